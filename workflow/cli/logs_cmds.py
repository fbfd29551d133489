"""`etl logs`: the Lambda functions' log lines, from the twin's invocation records or CloudWatch Logs.

The twin keeps each invocation's lines (START/END/REPORT and what the handler logged) and serves them at
`GET /_twin/invocations` on the AWS endpoint; a deployed stack's functions log to the log groups the stack
creates (found among its resources), read with FilterLogEvents.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workflow.cli.common import EndpointOpt, StackOpt, err, fail, out
from workflow.config import FunctionSpec, PipelineConfig

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

FunctionArg = Annotated[
    str | None,
    typer.Argument(help="a function: key (writer), name (csv-etl-writer); default all", show_default=False),
]
ExecutionOpt = Annotated[
    str | None, typer.Option("--execution", "-x", help="only the invocations of this execution (name)")
]
FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="keep printing new lines until Ctrl-C")]
SinceOpt = Annotated[float, typer.Option("--since", help="with --stack: minutes back to start from")]
JsonLinesOpt = Annotated[
    bool,
    typer.Option("--json", help="one JSON object per line: per invocation (twin) or log event (--stack)"),
]


def logs(
    function: FunctionArg = None,
    execution: ExecutionOpt = None,
    follow: FollowOpt = False,
    stack: StackOpt = None,
    since: SinceOpt = 60.0,
    endpoint_url: EndpointOpt = None,
    as_json: JsonLinesOpt = False,
) -> None:
    """Show the Lambda functions' logs: the twin's invocations, or CloudWatch Logs with --stack."""
    spec = _spec(function)
    try:
        if stack:
            _cloudwatch(stack, spec, execution, follow, since, as_json)
        else:
            _twin(endpoint_url, spec, execution, follow, as_json)
    except KeyboardInterrupt:
        return


def _spec(function: str | None) -> FunctionSpec | None:
    if function is None:
        return None
    config = PipelineConfig()
    for spec in config.functions:
        if function in (spec.key, spec.name):
            return spec
    names = ", ".join(spec.key for spec in config.functions)
    raise fail(f"no function {function!r}: use one of {names} (or its name, csv-etl-...)")


# ---- the twin -------------------------------------------------------------------------------------------
def twin_invocations(
    endpoint_url: str, function: str | None = None, execution: str | None = None
) -> list[dict[str, Any]]:
    """The twin's completed invocation records, oldest first."""
    query = {k: v for k, v in {"function": function, "execution": execution}.items() if v}
    url = endpoint_url.rstrip("/") + "/_twin/invocations?" + urllib.parse.urlencode(query)
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return list(json.loads(response.read())["invocations"])
    except urllib.error.HTTPError as exc:
        raise ConnectionError(
            f"the twin at {endpoint_url} answered {exc.code}: {exc.read()[:200]!r}"
        ) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise ConnectionError(
            f"cannot read invocations from the twin at {endpoint_url} ({type(exc).__name__}); "
            "start it with `etl up`"
        ) from exc


def _twin(
    endpoint_url: str | None, spec: FunctionSpec | None, execution: str | None, follow: bool, as_json: bool
) -> None:
    import os

    from workflow.twin.remote import DEFAULT_ENDPOINT

    url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    seen: set[str] = set()
    while True:
        try:
            records = twin_invocations(url, spec.name if spec else None, execution)
        except ConnectionError as exc:
            raise fail(str(exc)) from exc
        for record in records:
            if record["request_id"] in seen:
                continue
            seen.add(record["request_id"])
            _print_record(record, as_json)
        if not follow:
            if not seen and not as_json:  # say so, rather than an empty screen with exit 0
                wanted = " and ".join(
                    part
                    for part in (spec and f"function {spec.name}", execution and f"execution {execution}")
                    if part
                )
                err.print(f"no invocations{' of ' + wanted if wanted else ' yet'} at {url}", highlight=False)
            return
        time.sleep(1.0)


def _print_record(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(record), flush=True)
        return
    error = record.get("error") or {}
    started = datetime.fromisoformat(record["start"]).astimezone()
    head = f"{started:%H:%M:%S.%f}"[:-3] + f" {record['function']} {record['request_id']}"
    if record.get("execution"):
        head += f" execution {record['execution']}"
    if error:
        head += f"  [red]{error.get('errorType')}[/]"
    out.print(f"[bold]{head}[/]", highlight=False)
    for line in record.get("logs") or []:
        out.print("  " + line, highlight=False, markup=False)


# ---- a deployed stack -----------------------------------------------------------------------------------
def stack_log_groups(
    cloudformation: CloudFormationClient, stack: str, spec: FunctionSpec | None
) -> dict[str, str]:
    """{function key: log group name} from the stack's AWS::Logs::LogGroup resources (`<Key>Logs...`)."""
    config = PipelineConfig()
    wanted = [spec] if spec else list(config.functions)
    prefixes = {"".join(p.capitalize() for p in s.key.split("_")) + "Logs": s.key for s in wanted}
    groups: dict[str, str] = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            if resource["ResourceType"] != "AWS::Logs::LogGroup":
                continue
            for prefix, key in prefixes.items():
                # CDK logical ids: the construct path and a hash, e.g. FunctionsTransformLogs1A2B3C4D
                if prefix in resource["LogicalResourceId"]:
                    groups[key] = resource["PhysicalResourceId"]
    return groups


def _cloudwatch(
    stack: str, spec: FunctionSpec | None, execution: str | None, follow: bool, since: float, as_json: bool
) -> None:
    from workflow.cli.common import aws_session

    session = aws_session()
    try:
        groups = stack_log_groups(session.client("cloudformation"), stack, spec)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if not groups:
        raise fail(f"stack {stack} has no log group for {spec.key if spec else 'its functions'}")
    client = session.client("logs")
    start = int((time.time() - since * 60) * 1000)
    seen: set[str] = set()
    while True:
        newest = start
        for key, group in groups.items():
            kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start}
            if execution:
                kwargs["filterPattern"] = f'"{execution}"'
            for page in client.get_paginator("filter_log_events").paginate(**kwargs):
                for event in page.get("events", []):
                    if event["eventId"] in seen:
                        continue
                    seen.add(event["eventId"])
                    newest = max(newest, int(event["timestamp"]))
                    _print_event(key, event, as_json)
        if not follow:
            return
        start = newest
        time.sleep(2.0)


def _print_event(key: str, event: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"function": key, **event}), flush=True)
        return
    stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC).astimezone().strftime("%H:%M:%S")
    out.print(f"{stamp} {key} {event['message'].rstrip()}", highlight=False, markup=False)
