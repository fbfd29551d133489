"""Writer Lambda: SQS batch of row batches -> DynamoDB, then the outcome reported on each task token.

Choices (docs/architecture.md, Writer):
- A body whose task token can be read is always answered on that token, even when the body is bad
  (Writer.BadMessage): the execution learns at once instead of waiting for its timeout.
- A body with no readable token goes to batchItemFailures: redelivered, then parked in the DLQ.
- If SendTask* cannot reach Step Functions, the message goes to batchItemFailures; its redelivery
  finds the rows already stored (already_written) and reports again.
- If Step Functions says the token is finished (TaskTimedOut, TaskDoesNotExist, InvalidToken), the
  message is dropped: its execution has already failed that batch, a retry could never report.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from batch_store import BatchStore, StoreOutcome, WriteFailed, WriteThrottled, table_item
from botocore.exceptions import ClientError
from writer_message import BadMessage, parse_message, read_task_token

logger = Logger(service="csv-etl-writer")

FINISHED_TOKEN_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
MAX_CAUSE_CHARS = 32_000  # SendTaskFailure's cause limit is 32,768 characters


class UnreportableMessage(Exception):
    """No task token to report on: the message must fail so SQS redelivers it and then parks it in the DLQ."""


@cache
def dynamodb_client() -> Any:
    return boto3.client("dynamodb")


@cache
def stepfunctions_client() -> Any:
    return boto3.client("stepfunctions")


def batch_store() -> BatchStore:
    return BatchStore(dynamodb_client(), os.environ["TABLE_NAME"])


def deliver(body: str, store: BatchStore, sfn: Any) -> str:
    """Write one message's items and report on its token; returns what happened (for the log)."""
    token = read_task_token(body)
    if token is None:
        raise UnreportableMessage("message body has no readable taskToken")
    try:
        message = parse_message(body)
        items = [table_item(item, message.source_file, message.source["execution"]) for item in message.items]
        outcome = store.store(items)
    except BadMessage as exc:
        return _report_failure(sfn, token, "Writer.BadMessage", str(exc))
    except WriteThrottled as exc:
        return _report_failure(sfn, token, "Writer.Throttled", str(exc))
    except WriteFailed as exc:
        return _report_failure(sfn, token, "Writer.WriteFailed", str(exc))
    return _report_success(sfn, token, outcome)


def _report_success(sfn: Any, token: str, outcome: StoreOutcome) -> str:
    _send(sfn.send_task_success, taskToken=token, output=json.dumps(outcome.as_output()))
    return "success"


def _report_failure(sfn: Any, token: str, error: str, cause: str) -> str:
    logger.warning("batch not written", extra={"error": error, "cause": cause})
    _send(sfn.send_task_failure, taskToken=token, error=error, cause=cause[:MAX_CAUSE_CHARS])
    return error


def _send(call: Any, **kwargs: Any) -> None:
    """Send a task report; a finished token is logged and dropped, any other failure propagates."""
    try:
        call(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in FINISHED_TOKEN_CODES:
            raise
        logger.error("task token already finished; report dropped", extra={"code": code})


def record_handler(record: SQSRecord) -> None:
    outcome = deliver(record.body, batch_store(), stepfunctions_client())
    logger.info("message handled", extra={"message_id": record.message_id, "outcome": outcome})


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """SQS partial batch response: only messages whose report could not be sent are redelivered.

    A processor per invocation: it keeps per-batch state, and the local twin may run invocations in
    parallel threads of one process. A batch where every message failed is reported the same way
    (all ids listed) instead of raising, so the twin and AWS both just redeliver those messages.
    """
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
