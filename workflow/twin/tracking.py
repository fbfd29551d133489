"""Following a file's execution through the Step Functions API (works against the twin and real AWS alike).

Finds the execution an upload started (its input is the EventBridge event naming the bucket and key), waits
for it with progress from the Map run's item counts, and turns its output (or the FileFailed cause, which
carries the same summary) into the flat result `etl run --json` prints.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_stepfunctions import SFNClient

    from workflow.twin.clients import TypedClients

MAX_REJECTS = 100
# A file's rows by what became of them (Summarize's output and the ledger's OBJECT item): the total, then
# its parts, which add up to it.
ROW_COUNTS = ("rows_total", "rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed")
SKEW = timedelta(seconds=2)  # clocks of the uploader and the service may differ a little
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def execution_for_key(
    sfn: SFNClient,
    state_machine_arn: str,
    bucket: str,
    key: str,
    *,
    since: datetime,
    timeout_s: float = 60.0,
    poll_s: float = 0.2,
) -> str:
    """The ARN of the execution started (at or after `since`) for s3://bucket/key; waits for it to appear."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    while True:
        paginator = sfn.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=state_machine_arn):
            for item in page.get("executions", []):
                arn = item["executionArn"]
                if arn in seen or item["startDate"] < since - SKEW:
                    continue
                seen.add(arn)
                described = sfn.describe_execution(executionArn=arn)
                try:
                    detail = json.loads(described.get("input") or "{}").get("detail", {})
                except json.JSONDecodeError:
                    continue
                obj = detail.get("object", {})
                if detail.get("bucket", {}).get("name") == bucket and obj.get("key") == key:
                    return arn
        if time.monotonic() > deadline:
            raise TimeoutError(f"no execution started for s3://{bucket}/{key} within {timeout_s:.0f} s")
        time.sleep(poll_s)


def map_progress(sfn: SFNClient, execution_arn: str) -> tuple[int, int | None]:
    """(items done, items total or None) from the execution's Map run, (0, None) before it exists."""
    try:
        runs = sfn.list_map_runs(executionArn=execution_arn).get("mapRuns", [])
        if not runs:
            return 0, None
        counts = sfn.describe_map_run(mapRunArn=runs[-1]["mapRunArn"]).get("itemCounts", {})
    except Exception:  # progress is best effort; the wait itself does not depend on it
        return 0, None
    done = (
        int(counts.get("succeeded", 0))
        + int(counts.get("failed", 0))
        + int(counts.get("timedOut", 0))
        + int(counts.get("aborted", 0))
    )
    total = counts.get("total")
    return done, int(total) if total is not None else None


def wait_for_execution(
    sfn: SFNClient,
    execution_arn: str,
    *,
    timeout_s: float = 600.0,
    poll_s: float = 0.2,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Poll DescribeExecution until the execution ends; returns its description."""
    deadline = time.monotonic() + timeout_s
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if on_progress is not None:
            on_progress(*map_progress(sfn, execution_arn))
        if described["status"] in TERMINAL:
            return dict(described)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{execution_arn} still {described['status']} after {timeout_s:.0f} s")
        time.sleep(poll_s)


def file_summary(described: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Summarize output: the execution output, or for FileFailed the JSON in the cause."""
    for text in (described.get("output"), described.get("cause")):
        if not text:
            continue
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            continue
        if isinstance(value, dict) and ("rows_total" in value or value.get("duplicate_event")):
            return value
    return None


def summarize_function(sfn: SFNClient, state_machine_arn: str) -> str | None:
    """The Summarize state's function, read from the state machine's own definition (twin and AWS alike)."""
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=state_machine_arn)["definition"])
    state = definition.get("States", {}).get("Summarize", {})
    name = (state.get("Parameters") or state.get("Arguments") or {}).get("FunctionName")
    return str(name) if name else None


def failure_summary(
    sfn: SFNClient,
    lam: LambdaClient,
    described: Mapping[str, Any],
    dynamodb: DynamoDBClient | None = None,
    ledger_table: str | None = None,
    wait_s: float = 10.0,
) -> dict[str, Any] | None:
    """A failed file's summary: the ledger's (finalised by Summarize on the execution's status-change event),
    else Summarize invoked on demand with the execution's error (a stack or twin without a ledger).

    A Map that fails is not caught (so a redrive reruns only its failed batches); the summary of what was
    written, rejected and failed is made from the batch records and the Map's partial results in S3.
    """
    if dynamodb is not None and ledger_table:
        summary = ledger_summary(dynamodb, ledger_table, described, wait_s=wait_s)
        if summary is not None:
            return summary
    try:
        detail = json.loads(described.get("input") or "{}")["detail"]
        function = summarize_function(sfn, described["stateMachineArn"])
        if not function:
            return None
        payload = {
            "bucket": detail["bucket"]["name"],
            "key": detail["object"]["key"],
            "execution": described["name"],
            "error": {"Error": described.get("error") or "", "Cause": described.get("cause") or ""},
        }
        response = lam.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
        if response.get("FunctionError"):
            return None
        summary = json.loads(response["Payload"].read())
    except Exception:  # the summary is a courtesy; the execution's own status stands without it
        return None
    return summary if isinstance(summary, dict) and "rows_total" in summary else None


def summarize_failed(
    clients: TypedClients, described: Mapping[str, Any], ledger_table: str | None, wait_s: float
) -> dict[str, Any] | None:
    """`failure_summary` with the clients of a twin or a CLI target."""
    return failure_summary(
        clients.client("stepfunctions"),
        clients.client("lambda"),
        described,
        clients.client("dynamodb"),
        ledger_table,
        wait_s=wait_s,
    )


# ---- the ledger (docs/architecture.md, Ledger) ----------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def _items(raw_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return [{k: _plain(deserializer.deserialize(v)) for k, v in raw.items()} for raw in raw_items]


def ledger_query(dynamodb: DynamoDBClient, table: str | None, file: str) -> list[dict[str, Any]] | None:
    """Every ledger item of one file (OBJECT and BATCH items); None when there is no ledger table."""
    if not table:
        return None
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#f = :f",
        "ExpressionAttributeNames": {"#f": "file"},
        "ExpressionAttributeValues": {":f": {"S": file}},
    }
    try:
        while True:
            page = dynamodb.query(**kwargs)
            found += _items(page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def ledger_objects(
    dynamodb: DynamoDBClient, table: str | None, file: str | None = None
) -> list[dict[str, Any]] | None:
    """OBJECT items (one per object version), newest upload first; None when there is no ledger table."""
    if not table:
        return None
    if file is not None:
        items = ledger_query(dynamodb, table, file)
        if items is None:
            return None
    else:
        items = []
        kwargs: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "begins_with(sk, :o)",
            "ExpressionAttributeValues": {":o": {"S": "OBJECT#"}},
        }
        try:
            while True:
                page = dynamodb.scan(**kwargs)
                items += _items(page.get("Items", []))
                if not page.get("LastEvaluatedKey"):
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
    objects = [item for item in items if str(item.get("sk", "")).startswith("OBJECT#")]
    return sorted(
        objects, key=lambda o: (str(o.get("uploaded_at") or ""), str(o.get("updated_at") or "")), reverse=True
    )


def ledger_entry(described: Mapping[str, Any], objects: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The OBJECT item whose latest execution is this one and is finished (the ledger's summary of it)."""
    for obj in objects or []:
        entries = obj.get("executions") or []
        last = entries[-1] if entries else {}
        if last.get("execution_arn") == described["executionArn"] and (
            last.get("status") == described["status"] == obj.get("status")
        ):
            return obj
    return None


def ledger_summary(
    dynamodb: DynamoDBClient, table: str | None, described: Mapping[str, Any], wait_s: float = 0.0
) -> dict[str, Any] | None:
    """The ledger's finalised account of a finished execution, as a summary; waits up to `wait_s` for it
    (a failed run is finalised by the status-change event, shortly after the execution ends)."""
    try:
        detail = json.loads(described.get("input") or "{}")["detail"]
        file = f"s3://{detail['bucket']['name']}/{detail['object']['key']}"
    except (KeyError, TypeError, json.JSONDecodeError):
        return None
    deadline = time.monotonic() + wait_s
    while True:
        try:
            obj = ledger_entry(described, ledger_objects(dynamodb, table, file))
        except Exception:  # the ledger is a better summary when it is there; never a reason to fail
            return None
        if obj is not None:
            return {
                **obj,
                "file": file,
                "execution": described["name"],
                "failed_batches_sample": obj.get("failed_batches") or [],
            }
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


def flat_rejects(summary: dict[str, Any] | None, limit: int = MAX_REJECTS) -> list[dict[str, Any]]:
    """One {row, field, reason} per problem, from the summary's rejects_sample (row -> errors)."""
    flat: list[dict[str, Any]] = []
    for reject in (summary or {}).get("rejects_sample", []) or []:
        errors = reject.get("errors") or [{"field": reject.get("field"), "reason": reject.get("reason")}]
        for error in errors:
            flat.append(
                {"row": reject.get("row"), "field": error.get("field"), "reason": error.get("reason")}
            )
            if len(flat) >= limit:
                return flat
    return flat


def run_result(
    described: Mapping[str, Any],
    duration_s: float,
    summarize: Callable[[Mapping[str, Any]], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """The flat result of one file's run (what `etl run --json` prints); `summarize` makes the summary of a
    failed execution (see failure_summary)."""
    summary = file_summary(described)
    if summary is None and described["status"] != "SUCCEEDED" and summarize is not None:
        summary = summarize(described)
    summary = summary or {}
    failed = [
        {
            "first_row": batch.get("first_row"),
            "last_row": batch.get("last_row"),
            "rows": batch.get("rows"),
            "error": batch.get("error"),
            "cause": batch.get("cause"),
        }
        for batch in summary.get("failed_batches") or summary.get("failed_batches_sample") or []
    ]
    next_step = summary.get("next_step")
    if next_step is None and described["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
        next_step = f"etl redrive {described.get('name') or described['executionArn'].rsplit(':', 1)[-1]}"
    return {
        "execution_arn": described["executionArn"],
        "status": described["status"],
        "outcome": summary.get("outcome"),
        "file": summary.get("file"),
        **{name: summary.get(name) for name in ROW_COUNTS},
        "batches_total": summary.get("batches_total"),
        "batches_failed": summary.get("batches_failed"),
        "duplicates_of": summary.get("duplicates_of") or {},
        "rejects": flat_rejects(summary),
        "rejects_location": summary.get("rejects_location"),
        "failed_batches": failed,
        "warnings": summary.get("warnings") or [],
        "duplicate_event": summary.get("duplicate_event") or False,
        "message": summary.get("message"),
        "next_step": next_step,
        "error": described.get("error"),
        "cause": described.get("cause"),
        "duration_s": round(duration_s, 3),
    }


def replay_input(original: str | None) -> str:
    """An execution's input marked `replay: true`, for `etl replay` and the console's Replay alike.

    The definition registers each object version once: without the mark its IsReplay choice sends the
    same event to RegisterObject, which ends a processed version at DuplicateEvent, so nothing would run.
    """
    try:
        event = json.loads(original or "{}")
    except json.JSONDecodeError:
        return original or "{}"
    if not isinstance(event, dict):
        return original or "{}"
    return json.dumps({**event, "replay": True})
