"""What one execution's history says it was billed for: steps run, Lambda calls, SQS sends, log bytes.

Pure functions over GetExecutionHistory events (boto3's shape: `type`, `timestamp`, `id` and the
`<type>EventDetails` field), so they work alike on the twin's engine and on AWS.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Event = Mapping[str, Any]

# Events that end a task: the one after TaskStarted tells how long the call took.
TASK_ENDS = ("TaskSucceeded", "TaskFailed", "TaskTimedOut")
LAMBDA_LEGACY_ENDS = ("LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut")
# Step Functions' log levels: which history events each level sends to CloudWatch Logs.
# https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html (ALL, ERROR, FATAL, OFF)
FAILURE_MARKERS = ("Failed", "TimedOut", "Aborted")
FATAL_TYPES = ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
DATA_FIELDS = ("input", "output", "parameters", "result")
LOG_RECORD_OVERHEAD = 26  # bytes CloudWatch Logs meters per log event on top of its message


@dataclass(frozen=True)
class Steps:
    """Billed steps of one execution: each state entered, each task retry, each redrive."""

    states_entered: int
    retries: int
    redrives: int

    @property
    def transitions(self) -> int:
        return self.states_entered + self.retries + self.redrives


@dataclass(frozen=True)
class LambdaCall:
    """One Lambda invocation made by a Task state: the function named in its parameters, and its time."""

    function: str
    state: str
    duration_ms: int


@dataclass(frozen=True)
class QueueSend:
    """One sqs:sendMessage of a Task state: the body as sent, its size, and how long the task waited."""

    state: str
    body: Any
    body_bytes: int
    wait_ms: int | None


def details(event: Event) -> dict[str, Any]:
    """The event's `<type>EventDetails` dict (empty when it has none)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def steps(events: Sequence[Event]) -> Steps:
    """States entered, retries and redrives, as Step Functions bills Standard workflows.

    "Step Functions counts a state transition each time a step of your workflow is executed ... including
    retries" (https://aws.amazon.com/step-functions/pricing/): one per `*StateEntered` event, one per task
    scheduled again inside the same state entry (a Retry), and one per redrive ("Redriving an execution
    counts as a state transition", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html).
    """
    entered = retries = redrives = 0
    scheduled_in_entry = 0
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            entered += 1
            scheduled_in_entry = 0
        elif kind in ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"):
            scheduled_in_entry += 1
            if scheduled_in_entry > 1:
                retries += 1
        elif kind == "ExecutionRedriven":
            redrives += 1
    return Steps(entered, retries, redrives)


def _ms(start: datetime, end: datetime) -> int:
    """Billed milliseconds between two timestamps: rounded up to the next 1 ms, as Lambda bills."""
    return max(1, math.ceil((end - start).total_seconds() * 1000 - 1e-6))


def _function_name(parameters: Any) -> str:
    """`FunctionName` of a lambda:invoke task's parameters, without ARN prefix or qualifier."""
    params = _json(parameters) if isinstance(parameters, str) else parameters
    name = str((params or {}).get("FunctionName", "")) if isinstance(params, dict) else ""
    if ":function:" in name:
        name = name.split(":function:", 1)[1]
    return name.split(":", 1)[0]


def lambda_calls(events: Sequence[Event]) -> list[LambdaCall]:
    """Every Lambda invocation of a Task state, timed from TaskStarted to the task's end.

    The span includes Step Functions' own call overhead, so it is an upper bound of Lambda's billed duration.
    """
    calls: list[LambdaCall] = []
    state = ""
    pending: tuple[str, datetime | None] | None = None
    for event in events:
        kind = event["type"]
        info = details(event)
        if kind.endswith("StateEntered"):
            state = str(info.get("name", ""))
        elif kind == "TaskScheduled" and info.get("resourceType") == "lambda":
            pending = (_function_name(info.get("parameters")), None)
        elif kind == "LambdaFunctionScheduled":
            pending = (_function_name({"FunctionName": info.get("resource", "")}), None)
        elif kind in ("TaskStarted", "LambdaFunctionStarted") and pending is not None:
            pending = (pending[0], event["timestamp"])
        elif (kind in TASK_ENDS or kind in LAMBDA_LEGACY_ENDS or kind == "TaskStartFailed") and pending:
            name, started = pending
            duration = _ms(started, event["timestamp"]) if started is not None else 0
            calls.append(LambdaCall(name, state, duration))
            pending = None
    return calls


def queue_sends(events: Sequence[Event]) -> list[QueueSend]:
    """Every sqs:sendMessage(.waitForTaskToken) a Task state scheduled, with the body's size in bytes.

    Step Functions sends a JSON MessageBody as compact JSON text; that text is what SQS meters.
    """
    sends: list[QueueSend] = []
    state = ""
    current: dict[str, Any] | None = None
    for event in events:
        kind = event["type"]
        info = details(event)
        if kind.endswith("StateEntered"):
            state = str(info.get("name", ""))
        elif kind == "TaskScheduled" and info.get("resourceType") == "sqs":
            if not str(info.get("resource", "")).startswith("sendMessage"):
                continue
            params = _json(info.get("parameters")) or {}
            body = params.get("MessageBody")
            text = body if isinstance(body, str) else compact(body)
            current = {"state": state, "body": body, "bytes": len(text.encode()), "submitted": None}
            sends.append(QueueSend(state, body, current["bytes"], None))
        elif kind == "TaskSubmitted" and current is not None and info.get("resourceType") == "sqs":
            current["submitted"] = event["timestamp"]
        elif kind in TASK_ENDS and current is not None and info.get("resourceType") == "sqs":
            if current["submitted"] is not None:
                sends[-1] = QueueSend(
                    current["state"],
                    current["body"],
                    current["bytes"],
                    _ms(current["submitted"], event["timestamp"]),
                )
            current = None
    return sends


DYNAMODB_WRITES = ("putItem", "updateItem", "deleteItem")
DYNAMODB_READS = ("getItem", "query", "scan")


@dataclass(frozen=True)
class TableCall:
    """One DynamoDB request a Task state made itself (dynamodb:updateItem, aws-sdk:dynamodb:getItem, ...)."""

    state: str
    action: str

    @property
    def writes(self) -> bool:
        return self.action in DYNAMODB_WRITES


def table_calls(events: Sequence[Event]) -> list[TableCall]:
    """Every DynamoDB request a Task state scheduled (the optimized integration or the AWS SDK one).

    Step Functions adds no charge of its own for these; DynamoDB bills each request's capacity units.
    """
    calls: list[TableCall] = []
    state = ""
    for event in events:
        kind = event["type"]
        info = details(event)
        if kind.endswith("StateEntered"):
            state = str(info.get("name", ""))
        elif kind == "TaskScheduled" and info.get("resourceType") in ("dynamodb", "aws-sdk:dynamodb"):
            action = str(info.get("resource", "")).split(".", 1)[0]
            if action in DYNAMODB_WRITES or action in DYNAMODB_READS:
                calls.append(TableCall(state, action))
    return calls


def execution_input(events: Sequence[Event]) -> str:
    for event in events:
        if event["type"] == "ExecutionStarted":
            return str(details(event).get("input", ""))
    return ""


def execution_output(events: Sequence[Event]) -> Any:
    """The parsed output of a succeeded execution, else None."""
    for event in reversed(events):
        if event["type"] == "ExecutionSucceeded":
            return _json(details(event).get("output"))
    return None


def log_bytes(events: Iterable[Event], level: str, include_data: bool, execution_arn: str) -> int:
    """Bytes the state machine's logging sends to CloudWatch Logs for these events.

    Step Functions logs history events as JSON records (`id`, `type`, `details`, `execution_arn`, ...);
    ALL logs every event, ERROR failures only, FATAL only the execution's own failure, OFF nothing, and
    without execution data the inputs, outputs and parameters are left out.
    """
    level = level.upper()
    if level == "OFF":
        return 0
    total = 0
    for event in events:
        kind = event["type"]
        if level == "ERROR" and not any(marker in kind for marker in FAILURE_MARKERS):
            continue
        if level == "FATAL" and kind not in FATAL_TYPES:
            continue
        info = details(event)
        if not include_data:
            info = {k: v for k, v in info.items() if k not in DATA_FIELDS}
        record = {
            "id": str(event.get("id", "")),
            "type": kind,
            "details": info,
            "previous_event_id": str(event.get("previousEventId", "")),
            "event_timestamp": str(event.get("timestamp", "")),
            "execution_arn": execution_arn,
            "redrive_count": "0",
        }
        total += len(compact(record).encode()) + LOG_RECORD_OVERHEAD
    return total


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return None
