"""The log lines of the Lambda invocation a state made: CloudWatch Logs on AWS, invocation records locally.

A `lambda:invoke` result carries the request id (`SdkResponseMetadata.RequestId`), which names exactly one
invocation; a failed invocation has none in the history, so its lines are found by time window instead (and
may then include a concurrent invocation of the same function, which the panel says).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient

    from workflow.twin.lambdas import InvocationRecord

MAX_LINES = 200
SLACK = timedelta(seconds=2)


class LogSource(Protocol):
    def lines(
        self, function: str, request_id: str | None, start: datetime, end: datetime | None
    ) -> list[str]: ...


def function_name(value: Any) -> str | None:
    """`csv-etl-transform` from a function name or ARN (`arn:aws:lambda:r:a:function:NAME[:qualifier]`)."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else None
    return value.split(":")[0]


class NoLogs:
    """When no log source is reachable (e.g. `etl console` against a twin in another process)."""

    def lines(
        self, function: str, request_id: str | None, start: datetime, end: datetime | None
    ) -> list[str]:
        return []


def lambda_log_group(lambda_client: LambdaClient) -> Callable[[str], str]:
    """The function's log group from its configuration (`LoggingConfig.LogGroup`: the stack gives each
    function its own group), else Lambda's default `/aws/lambda/<function>`; remembered per function."""
    known: dict[str, str] = {}

    def find(function: str) -> str:
        if function not in known:
            try:
                config = lambda_client.get_function_configuration(FunctionName=function)
                group = (config.get("LoggingConfig") or {}).get("LogGroup")
                known[function] = group or f"/aws/lambda/{function}"
            except Exception:  # no permission or no such function: the default name
                known[function] = f"/aws/lambda/{function}"
        return known[function]

    return find


class CloudWatchLogs:
    """The function's CloudWatch log group: the lines between START and REPORT of the request."""

    def __init__(
        self, client: CloudWatchLogsClient, log_group_for: Callable[[str], str] | None = None
    ) -> None:
        self.client = client
        self.log_group_for = log_group_for or (lambda function: f"/aws/lambda/{function}")

    def lines(
        self, function: str, request_id: str | None, start: datetime, end: datetime | None
    ) -> list[str]:
        stop = (end or datetime.now(start.tzinfo)) + SLACK
        kwargs: dict[str, Any] = {
            "logGroupName": self.log_group_for(function),
            "startTime": int((start - SLACK).timestamp() * 1000),
            "endTime": int(stop.timestamp() * 1000),
            "limit": 1000,
        }
        try:
            events = self.client.filter_log_events(**kwargs).get("events", [])
        except Exception as exc:  # no log group yet, no permission: say so in the panel
            return [f"(logs unavailable: {type(exc).__name__}: {exc})"]
        if request_id is None:
            return [e["message"].rstrip("\n") for e in events[:MAX_LINES]]
        return _invocation_block([(e.get("logStreamName", ""), e["message"]) for e in events], request_id)


def _invocation_block(events: list[tuple[str, str]], request_id: str) -> list[str]:
    """The lines of one request: from its START line to its REPORT line, in the stream that holds them."""
    streams = {stream for stream, message in events if request_id in message}
    out: list[str] = []
    inside = False
    for stream, message in events:
        if stream not in streams:
            continue
        if message.startswith("START RequestId: " + request_id):
            inside = True
        if inside:
            out.append(message.rstrip("\n"))
        if message.startswith("REPORT RequestId: " + request_id):
            break
    return out[:MAX_LINES]


class InvocationRecords:
    """The twin's Lambda runtime keeps each invocation's lines (`LambdaRuntime.records`)."""

    def __init__(self, records: Callable[..., list[InvocationRecord]]) -> None:
        self.records = records

    def lines(
        self, function: str, request_id: str | None, start: datetime, end: datetime | None
    ) -> list[str]:
        try:
            if request_id:
                found = self.records(request_id=request_id)
            else:
                stop = (end or datetime.now(start.tzinfo)) + SLACK
                found = [r for r in self.records(function=function) if start - SLACK <= r.start <= stop]
        except Exception as exc:  # an unknown function name
            return [f"(logs unavailable: {exc})"]
        lines: list[str] = []
        for record in found:
            lines.extend(record.logs)
        return lines[:MAX_LINES]
