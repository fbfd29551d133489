"""`etl dlq list|redrive`: what is in the writer's dead-letter queue, what each message means, moving it back.

A message lands in the DLQ after the writer failed it `maxReceiveCount` times. Its body is the batch the
state machine's Enqueue task sent (`taskToken`, `source` {bucket, key, execution}, `first_row`, `items`), so
each message is named by its file, rows and execution, and the execution's status says whether anything
still waits for it. `redrive` is SQS's message move task (StartMessageMoveTask, DLQ -> the source queue) on
AWS and on the twin alike (the twin answers it itself: workflow/twin/sqs_move.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from workflow.cli.common import EndpointOpt, JsonOpt, StackOpt, err, fail, out, target_for
from workflow.config import PipelineConfig

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef, MessageTypeDef
    from mypy_boto3_stepfunctions import SFNClient

    from workflow.twin.remote import Target

app = typer.Typer(
    no_args_is_help=True,
    help="The writer's dead-letter queue: list what is in it and why, move it back to the writer.",
)

ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def is_stale(described: dict[str, Any]) -> bool:
    """Nothing can ever take this message: not a pipeline batch, or its execution ended or is gone.
    (UNKNOWN, when Step Functions could not be asked, is kept.)"""
    if described["file"] is None:
        return True
    return described["execution_status"] in ENDED or described["execution_status"] == "NOT_FOUND"


def dlq_of(target: Target) -> tuple[str, str]:
    """(URL, ARN) of the pipeline's DLQ: the stack's DlqUrl output, else the config's queue name."""
    sqs: SQSClient = target.client("sqs")
    url = target.outputs.get("DlqUrl") or sqs.get_queue_url(QueueName=PipelineConfig().dlq_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return str(url), str(arn)


def peek(
    sqs: SQSClient, url: str, limit: int, remove: Callable[[MessageTypeDef], bool] | None = None
) -> list[MessageTypeDef]:
    """Up to `limit` messages, received (so each is seen once) and then made visible again at once;
    those `remove` picks are deleted instead (the ones returned are the others)."""
    seen: dict[str, MessageTypeDef] = {}
    handles: list[str] = []
    try:
        while len(seen) < limit:
            batch = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(seen)),
                VisibilityTimeout=30,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            for message in batch:
                if remove is not None and remove(message):
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    continue
                handles.append(message["ReceiptHandle"])
                seen.setdefault(message["MessageId"], message)
    finally:
        for start in range(0, len(handles), 10):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(handles[start : start + 10])
            ]
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
    return list(seen.values())


def execution_status(target: Target, execution: str) -> str:
    """The execution's status, or NOT_FOUND / UNKNOWN when Step Functions cannot say."""
    try:
        arn = target.execution_arn(execution)
        sfn: SFNClient = target.client("stepfunctions")
        return sfn.describe_execution(executionArn=arn)["status"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        return "NOT_FOUND" if code == "ExecutionDoesNotExist" else "UNKNOWN"


def meaning(status: str | None, execution: str | None) -> str:
    """What a dead letter of a batch means for its file, and what to do about it."""
    if status is None:
        return (
            "not a batch of the pipeline (no task token): no execution waits for it; read the body, then "
            "`etl dlq delete --stale`"
        )
    if status == "RUNNING":
        return (
            "its execution still waits for this batch (until the Enqueue task times out): `etl dlq redrive` "
            "sends it back to the writer"
        )
    if status == "SUCCEEDED":
        return (
            "its execution already SUCCEEDED: another delivery of this batch was reported; "
            "`etl dlq delete --stale`"
        )
    if status in ENDED:
        return (
            f"its execution already ended ({status}): nothing waits for this report, the batch counts as "
            f"failed; `etl redrive {execution}` reruns the failed batches, then `etl dlq delete --stale`"
        )
    return (
        f"its execution cannot be found ({status}): nothing waits for this report; `etl dlq delete --stale`"
    )


def describe_message(target: Target, message: MessageTypeDef, statuses: dict[str, str]) -> dict[str, Any]:
    """One dead letter, decoded: which file, rows and execution, and what it means."""
    attributes = message.get("Attributes", {})
    sent_ms = int(attributes.get("SentTimestamp", 0) or 0)
    described: dict[str, Any] = {
        "message_id": message["MessageId"],
        "sent": datetime.fromtimestamp(sent_ms / 1000, UTC).isoformat() if sent_ms else None,
        "receives": int(attributes.get("ApproximateReceiveCount", 0) or 0),
        "file": None,
        "rows": None,
        "first_row": None,
        "last_row": None,
        "execution": None,
        "execution_status": None,
    }
    try:
        body = json.loads(message.get("Body") or "")
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("taskToken"):
        described["meaning"] = meaning(None, None)
        described["body"] = (message.get("Body") or "")[:200]
        return described
    source = body.get("source") or {}
    items = body.get("items") or []
    first = body.get("first_row")
    execution = source.get("execution")
    described.update(
        file=f"s3://{source.get('bucket')}/{source.get('key')}",
        rows=len(items),
        first_row=first,
        last_row=first + len(items) - 1 if isinstance(first, int) and items else first,
        execution=execution,
    )
    if execution:
        if execution not in statuses:
            statuses[execution] = execution_status(target, str(execution))
        described["execution_status"] = statuses[execution]
    described["meaning"] = meaning(described["execution_status"] or "NOT_FOUND", execution)
    return described


@app.command("list")
def list_messages(
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", help="at most this many messages")] = 100,
) -> None:
    """What is in the DLQ: each message's file, rows and execution, and what it means."""
    target = target_for(stack, endpoint_url)
    try:
        url, _ = dlq_of(target)
        sqs = target.client("sqs")
        depth = int(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        statuses: dict[str, str] = {}
        messages = [describe_message(target, m, statuses) for m in peek(sqs, url, limit)]
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    messages.sort(key=lambda m: (m["file"] or "", m["first_row"] or 0))
    if as_json:
        print(json.dumps({"queue_url": url, "approximate_messages": depth, "messages": messages}))
        return
    if not messages:
        out.print(f"the DLQ is empty ({url})")
        return
    table = Table("file", "rows", "execution", "status", "meaning", title=f"{len(messages)} dead letter(s)")
    for m in messages:
        rows = f"{m['first_row']}-{m['last_row']} ({m['rows']})" if m["rows"] is not None else ""
        table.add_row(m["file"] or "?", rows, m["execution"] or "", m["execution_status"] or "", m["meaning"])
    out.print(table)


@app.command("redrive")
def redrive(
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    wait: Annotated[bool, typer.Option("--wait", help="wait until the move task ends")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait")] = 300.0,
) -> None:
    """Move every DLQ message back to the writer's queue (SQS StartMessageMoveTask)."""
    target = target_for(stack, endpoint_url)
    try:
        _, arn = dlq_of(target)
        sqs = target.client("sqs")
        handle = sqs.start_message_move_task(SourceArn=arn)["TaskHandle"]
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    task: dict[str, Any] = {"TaskHandle": handle, "Status": "RUNNING", "SourceArn": arn}
    if wait:
        deadline = time.monotonic() + timeout
        while task.get("Status") == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.2)
            results = sqs.list_message_move_tasks(SourceArn=arn, MaxResults=1).get("Results", [])
            task = {"TaskHandle": handle, **results[0]} if results else task
    if as_json:
        print(json.dumps(task))
    else:
        moved = task.get("ApproximateNumberOfMessagesMoved")
        suffix = f", {moved} of {task.get('ApproximateNumberOfMessagesToMove')} moved" if wait else ""
        err.print(f"message move task {handle}: {task.get('Status')}{suffix}")
        if task.get("FailureReason"):
            err.print(f"[red]failed:[/] {task['FailureReason']}")
    if task.get("Status") == "FAILED":
        raise typer.Exit(1)
    if wait and task.get("Status") == "RUNNING":
        raise fail(f"the move task is still running after {timeout:.0f} s")


@app.command("delete")
def delete(
    message_ids: Annotated[
        list[str] | None, typer.Argument(help="message ids, as `etl dlq list` shows them")
    ] = None,
    stale: Annotated[
        bool, typer.Option("--stale", help="every message nothing waits for (its execution ended or is gone)")
    ] = False,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete dead letters: the ones named, or with --stale all that no running execution waits for."""
    wanted = set(message_ids or [])
    if not wanted and not stale:
        raise fail("name the message ids to delete, or give --stale")
    target = target_for(stack, endpoint_url)
    statuses: dict[str, str] = {}
    deleted: list[dict[str, Any]] = []

    def remove(message: MessageTypeDef) -> bool:
        described = describe_message(target, message, statuses)
        if message["MessageId"] in wanted or (stale and is_stale(described)):
            deleted.append(described)
            return True
        return False

    try:
        url, _ = dlq_of(target)
        if wanted:  # every id named must be there, or nothing is deleted: a typo is not "0 deleted"
            present = {m["MessageId"] for m in peek(target.client("sqs"), url, 10_000)}
            missing = sorted(wanted - present)
            if missing:
                names = ", ".join(repr(m) for m in missing)
                noun = "message" if len(missing) == 1 else "messages"
                raise fail(
                    f"no {noun} {names} in the DLQ (`etl dlq list` shows the ids); nothing else deleted"
                )
        kept = peek(target.client("sqs"), url, 10_000, remove)
    except typer.Exit:
        raise
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        print(json.dumps({"deleted": deleted, "kept": len(kept)}))
        return
    for m in deleted:
        out.print(f"deleted {m['message_id']} ({m['file'] or 'not a batch'}, {m['execution_status'] or '-'})")
    out.print(f"{len(deleted)} deleted, {len(kept)} kept")
