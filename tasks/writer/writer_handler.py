"""Writer Lambda: SQS batch of row batches -> DynamoDB, then the outcome reported on each task token.

Choices (docs/architecture.md, Writer):
- A body whose task token can be read is always answered on that token, even when the body is bad
  (Writer.BadMessage): the execution learns at once instead of waiting for its timeout.
- A body with no readable token goes to batchItemFailures: redelivered, then parked in the DLQ.
- If SendTask* cannot reach Step Functions, the message goes to batchItemFailures; its redelivery
  finds the rows already stored by this execution (counted as written again) and reports again.
- After its item writes and before reporting, the writer puts the batch's record in the ledger table
  (`BATCH#<execution>#<first_row>`, an idempotent overwrite): the counts survive a crash between the
  writes and the report, and a redelivery rewrites the same record. Before its item writes it puts the
  same key marked `writing` (only if no record exists yet), so Summarize of a run that just ended knows a
  batch is still being stored and waits for it instead of a fixed time.
- A batch that takes long (throttling backoff) sends task heartbeats, so Enqueue's HeartbeatSeconds can be
  short enough to notice a lost message within minutes.
- If Step Functions says the token is finished (TaskTimedOut, TaskDoesNotExist, InvalidToken), the
  message is dropped: its execution has already failed that batch, a retry could never report. A heartbeat
  before writing asks exactly that, so a batch of an execution that already ended writes nothing.
- A message that fails on its last receive (ApproximateReceiveCount reached the queue's maxReceiveCount,
  MAX_RECEIVE_COUNT) is about to be parked in the DLQ by SQS: the writer first records it in the ledger
  (`DLQ#<execution>#<first_row>`), so Summarize counts the batch's rows as dead-lettered while it is failed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from batch_store import PUT_WORKERS, BatchStore, StoreOutcome, WriteFailed, WriteThrottled, table_item
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from writer_message import BadMessage, Body, WriterMessage, parse_message

logger = Logger(service="csv-etl-writer")

FINISHED_TOKEN_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
MAX_CAUSE_CHARS = 32_000  # SendTaskFailure's cause limit is 32,768 characters
HEARTBEAT_S = 30.0  # well below the Enqueue state's HeartbeatSeconds (300); HEARTBEAT_SECONDS overrides
MAX_DETAILS_CHARS = 300_000  # a batch record's rejects/conflicts JSON; DynamoDB items stop at 400 KB


class UnreportableMessage(Exception):
    """No task token to report on: the message must fail so SQS redelivers it and then parks it in the DLQ."""


@cache
def dynamodb_client() -> Any:
    """One client for the concurrent writes (thread-safe); its pool covers PUT_WORKERS with room to spare.

    Client-side parameter validation is off ("You can disable parameter validation for performance
    reasons", botocore's Config): every request is built here from typed items, DynamoDB validates each
    one anyway (a bad one still fails the batch, as ValidationException), and checking 25 statements of
    10 parameters per call was about 30% of the write call's CPU (0.14 to 0.10 ms per item, issue 14).
    """
    config = Config(max_pool_connections=PUT_WORKERS * 4, parameter_validation=False)
    return boto3.client("dynamodb", config=config)


@cache
def stepfunctions_client() -> Any:
    return boto3.client("stepfunctions")


def batch_store() -> BatchStore:
    return BatchStore(dynamodb_client(), os.environ["TABLE_NAME"])


def ledger_store() -> BatchStore | None:
    """The ledger table (per-batch records); None when the function has no LEDGER_TABLE setting."""
    name = os.environ.get("LEDGER_TABLE")
    return BatchStore(dynamodb_client(), name) if name else None


def batch_record(message: WriterMessage, outcome: StoreOutcome) -> dict[str, Any]:
    """The ledger's record of one batch: what happened to each of its rows, keyed so a rerun overwrites it."""
    details = json.dumps({"rejects": message.rejects, "conflicts": outcome.conflicts}, ensure_ascii=False)
    record: dict[str, Any] = {
        **_batch_identity(message),
        "written": outcome.written,
        "duplicate": outcome.duplicate,
        "conflict": len(outcome.conflicts),
        "rejected": len(message.rejects),
        "duplicate_origins": outcome.duplicate_origins,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    if len(details) <= MAX_DETAILS_CHARS:
        record["details"] = details
    else:  # Summarize then takes the rejects from the Map's results instead
        record["details_truncated"] = True
    if message.etag:
        record["etag"] = message.etag
    return record


def _batch_identity(message: WriterMessage) -> dict[str, Any]:
    """The keys and row range every record of one batch carries (its writing mark and its final record)."""
    execution = message.source["execution"]
    return {
        "file": message.source_file,
        "sk": f"BATCH#{execution}#{message.first_row:010d}",
        "execution": execution,
        "first_row": message.first_row,
        "last_row": message.first_row + message.rows - 1,
        "rows": message.rows,
    }


def writing_record(message: WriterMessage) -> dict[str, Any]:
    """The batch's record while its rows are being stored: no counts yet, replaced by batch_record()."""
    return {
        **_batch_identity(message),
        "written": 0,
        "writing": True,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


@contextmanager
def heartbeats(sfn: Any, token: str, every_s: float | None = None) -> Iterator[None]:
    """SendTaskHeartbeat every `every_s` while the block runs (only a slow batch ever sends one)."""
    if every_s is None:
        every_s = float(os.environ.get("HEARTBEAT_SECONDS") or HEARTBEAT_S)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            try:
                sfn.send_task_heartbeat(taskToken=token)
            except Exception as exc:  # a heartbeat is best effort; the report decides
                logger.warning("heartbeat not sent", extra={"error": str(exc)})
                return

    thread = threading.Thread(target=beat, name="writer-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()


def deliver(body: str, store: BatchStore, sfn: Any, ledger: BatchStore | None = None) -> str:
    """Write one message's items, record the batch in the ledger, report on its token; says what happened."""
    decoded = Body(body)
    token = decoded.task_token
    if token is None:
        raise UnreportableMessage("message body has no readable taskToken")
    if not _token_alive(sfn, token):
        return "token finished: batch dropped"
    try:
        message = parse_message(decoded)
        items = [
            table_item(item, message.source_file, message.source["execution"], message.etag)
            for item in message.items
        ]
        with heartbeats(sfn, token):
            marked = ledger is not None and ledger.put_record_if_absent(writing_record(message))
            try:
                outcome = store.store(items)
            except (WriteThrottled, WriteFailed):
                if marked and ledger is not None:  # the batch failed: nothing to wait for
                    _unmark(ledger, message)
                raise
            if ledger is not None:
                ledger.put_record(batch_record(message, outcome))
    except BadMessage as exc:
        return _report_failure(sfn, token, "Writer.BadMessage", str(exc))
    except WriteThrottled as exc:
        return _report_failure(sfn, token, "Writer.Throttled", str(exc))
    except WriteFailed as exc:
        return _report_failure(sfn, token, "Writer.WriteFailed", str(exc))
    reported = _report_success(sfn, token, outcome)
    if reported == "late" and ledger is not None:
        try:
            late_batch(ledger, message, outcome)
        except Exception as exc:  # the batch record stands; `etl file --verify` would show the difference
            logger.error("late batch not added to the ledger", extra={"error": str(exc)})
    return reported


def _unmark(ledger: BatchStore, message: WriterMessage) -> None:
    """Remove the batch's `writing` mark (not a record a concurrent delivery finished meanwhile)."""
    key = writing_record(message)
    try:
        ledger.client.delete_item(
            TableName=ledger.table_name,
            Key={"file": {"S": key["file"]}, "sk": {"S": key["sk"]}},
            ConditionExpression="writing = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )
    except Exception as exc:  # best effort: Summarize stops waiting for it after its settle time
        logger.warning("writing mark not removed", extra={"error": str(exc)})


def _token_alive(sfn: Any, token: str) -> bool:
    """A heartbeat before writing: a batch whose execution already ended (stopped, failed, timed out) is not
    written, so rows are not stored behind a run the ledger has already closed."""
    try:
        sfn.send_task_heartbeat(taskToken=token)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code", "") in FINISHED_TOKEN_CODES:
            logger.warning("task token already finished; batch not written")
            return False
        logger.warning("heartbeat failed; writing anyway", extra={"error": str(exc)})
    except BotoCoreError as exc:  # the report will meet the same trouble and be redelivered if it persists
        logger.warning("heartbeat failed; writing anyway", extra={"error": str(exc)})
    return True


def _report_success(sfn: Any, token: str, outcome: StoreOutcome) -> str:
    sent = _send(sfn.send_task_success, taskToken=token, output=json.dumps(outcome.as_output()))
    return "success" if sent else "late"


def _report_failure(sfn: Any, token: str, error: str, cause: str) -> str:
    logger.warning("batch not written", extra={"error": error, "cause": cause})
    _send(sfn.send_task_failure, taskToken=token, error=error, cause=cause[:MAX_CAUSE_CHARS])
    return error


def _send(call: Any, **kwargs: Any) -> bool:
    """Send a task report; a finished token is logged and dropped (False), any other failure propagates."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in FINISHED_TOKEN_CODES:
            raise
        logger.error("task token already finished; report dropped", extra={"code": code})
        return False
    return True


def late_batch(
    ledger: BatchStore, message: WriterMessage, outcome: StoreOutcome, wait_s: float = 30.0
) -> bool:
    """The run ended while this batch was being stored: add it to the object's ledger counts, once.

    Summarize counted it as failed unless it read this batch's record (its first row is then in
    `counted_batches`). The update moves the batch's rows from failed to their outcomes, on the condition
    that the object's counts are final, belong to this execution and do not include the batch yet. While
    the item is still RUNNING (Summarize settling), it waits and tries again.
    """
    if not message.etag:
        return False
    execution = message.source["execution"]
    key = {"file": {"S": message.source_file}, "sk": {"S": f"OBJECT#{message.etag}"}}
    numbers = {
        ":w": outcome.written,
        ":d": outcome.duplicate,
        ":c": len(outcome.conflicts),
        ":r": len(message.rejects),
        ":f": -message.rows,
    }
    values: dict[str, Any] = {name: {"N": str(value)} for name, value in numbers.items()}
    values |= {
        ":e": {"S": execution},
        ":run": {"S": "RUNNING"},
        ":row": {"N": str(message.first_row)},
        ":rows": {"NS": [str(message.first_row)]},
    }
    deadline = time.monotonic() + wait_s
    while True:
        try:
            ledger.call(
                "update_item",
                TableName=ledger.table_name,
                Key=key,
                UpdateExpression=(
                    "ADD rows_written :w, rows_duplicate :d, rows_conflict :c, rows_rejected :r, "
                    "rows_failed :f, counted_batches :rows"
                ),
                ConditionExpression=(
                    "latest_execution = :e AND #s <> :run AND NOT contains(counted_batches, :row)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
            logger.warning("late batch added to the ledger", extra={"first_row": message.first_row})
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        current = ledger.client.get_item(TableName=ledger.table_name, Key=key, ConsistentRead=True).get(
            "Item", {}
        )
        finalising = current.get("status", {}).get("S") == "RUNNING" and (
            current.get("executions", {})
            .get("L", [{}])[-1]
            .get("M", {})
            .get("execution_arn", {})
            .get("S", "")
        ).endswith(":" + execution)
        if not finalising or time.monotonic() > deadline:
            return False  # counted already, or a newer run owns the counts
        time.sleep(1.0)


def last_receive(record: SQSRecord) -> bool:
    """This delivery is the message's last: if it fails, SQS moves the message to the DLQ."""
    limit = int(os.environ.get("MAX_RECEIVE_COUNT") or 0)
    return limit > 0 and int(record.attributes.approximate_receive_count or 0) >= limit


def dead_letter_record(body: str, message_id: str, problem: str) -> dict[str, Any] | None:
    """The ledger's mark of a batch whose message goes to the DLQ; None when the body names no batch."""
    try:
        data = json.loads(body)
        source = data["source"]
        execution, first_row = str(source["execution"]), int(data["first_row"])
        file = f"s3://{source['bucket']}/{source['key']}"
        rows = int(data.get("rows") or len(data.get("items") or []) + len(data.get("rejects") or []))
    except (TypeError, ValueError, KeyError):
        return None
    return {
        "file": file,
        "sk": f"DLQ#{execution}#{first_row:010d}",
        "execution": execution,
        "first_row": first_row,
        "last_row": first_row + rows - 1,
        "rows": rows,
        "message_id": message_id,
        "problem": problem[:500],
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def record_handler(record: SQSRecord) -> None:
    ledger = ledger_store()
    try:
        outcome = deliver(record.body, batch_store(), stepfunctions_client(), ledger)
    except Exception as exc:
        if ledger is not None and last_receive(record):
            mark = dead_letter_record(record.body, record.message_id, f"{type(exc).__name__}: {exc}")
            if mark is not None:
                try:
                    ledger.put_record(mark)
                except Exception as put_error:  # the message still goes to the DLQ; etl dlq list shows it
                    logger.error("dead letter not recorded", extra={"error": str(put_error)})
            logger.error("last delivery failed: the message goes to the DLQ", extra={"error": str(exc)})
        raise
    logger.info("message handled", extra={"message_id": record.message_id, "outcome": outcome})


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """SQS partial batch response: only messages whose report could not be sent are redelivered.

    A processor per invocation: it keeps per-batch state, and the local twin may run invocations in
    parallel threads of one process. A batch where every message failed is reported the same way
    (all ids listed) instead of raising, so the twin and AWS both just redeliver those messages.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
