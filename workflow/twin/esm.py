"""The writer's SQS event source mapping, as Lambda runs it: poll, invoke with the SQS event, delete.

Lambda's pollers long-poll the queue, gather up to BatchSize messages within MaximumBatchingWindowInSeconds,
invoke the function synchronously with the SQS event, and then: on success delete the batch, except the
messages the function lists in `batchItemFailures` (ReportBatchItemFailures); on a function error delete
nothing, so the messages come back after the visibility timeout and, after maxReceiveCount receives, the
queue's redrive policy moves them to the DLQ (moto does that move on receive, as SQS does).
Polls are short so local runs are fast; the queue stays shallow (one message per batch of rows).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workflow.engine.backend import LambdaResult
from workflow.engine.quotas import SQS_RECEIVE_MAX

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

log = logging.getLogger(__name__)


def _attribute(value: MessageAttributeValueOutputTypeDef) -> dict[str, Any]:
    """An SQS message attribute as the Lambda event spells it (camelCase, lists always present)."""
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
    return out


def sqs_event(messages: Sequence[MessageTypeDef], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda passes for a batch of SQS messages."""
    records = []
    for message in messages:
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {k: _attribute(v) for k, v in message.get("MessageAttributes", {}).items()},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def failed_message_ids(result: LambdaResult, batch_ids: list[str], report_failures: bool) -> set[str]:
    """Which messages of the batch to keep (not delete), per Lambda's partial batch response rules.

    A function error keeps all. With ReportBatchItemFailures, the listed itemIdentifiers are kept; an
    empty list or no list means full success; a malformed response or an identifier that is null, empty or
    not in the batch makes Lambda treat the whole batch as failed.
    """
    if result.function_error:
        return set(batch_ids)
    if not report_failures:
        return set()
    try:
        payload = json.loads(result.payload or b"null")
    except json.JSONDecodeError:
        return set(batch_ids)
    if not isinstance(payload, dict) or payload.get("batchItemFailures") is None:
        return set()
    failures = payload["batchItemFailures"]
    if not isinstance(failures, list):
        return set(batch_ids)
    kept: set[str] = set()
    for failure in failures:
        ident = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not ident or ident not in batch_ids:
            return set(batch_ids)
        kept.add(ident)
    return kept


@dataclass
class EsmStats:
    """Counters the console and tests read."""

    polls: int = 0
    invocations: int = 0
    deleted: int = 0
    kept: int = 0
    function_errors: int = 0
    errors: list[str] = field(default_factory=list)


class SqsEventSourceMapping:
    """Pollers feeding one function from one queue."""

    def __init__(
        self,
        *,
        sqs: SQSClient,
        queue_url: str,
        queue_arn: str,
        function_name: str,
        invoke: Callable[[str, bytes], LambdaResult],
        region: str,
        batch_size: int = 10,
        batching_window_s: float = 0.0,
        report_batch_item_failures: bool = True,
        poll_wait_s: int = 1,
        pollers: int = 2,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.function_name = function_name
        self.invoke = invoke
        self.region = region
        self.batch_size = batch_size
        self.batching_window_s = batching_window_s
        self.report_batch_item_failures = report_batch_item_failures
        self.poll_wait_s = poll_wait_s
        self.stats = EsmStats()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, name=f"esm-{function_name}-{i}", daemon=True)
            for i in range(max(1, pollers))
        ]

    def start(self) -> SqsEventSourceMapping:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        # One shared wait: a poller still in a long poll or an invocation ends on its own (daemon threads,
        # nothing deleted unless the invocation succeeded): stopping takes a second, not 5 s per poller.
        deadline = time.monotonic() + self.poll_wait_s + 0.5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _receive(self, count: int, wait_s: int) -> list[MessageTypeDef]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(SQS_RECEIVE_MAX, count),
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        self.stats.polls += 1
        return list(response.get("Messages", []))

    def poll_once(self) -> int:
        """Gather one batch (batch size / batching window), invoke, settle it; returns messages handled."""
        batch = self._receive(self.batch_size, self.poll_wait_s)
        if not batch:
            return 0
        deadline = time.monotonic() + self.batching_window_s
        while len(batch) < self.batch_size and not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 and self.batching_window_s > 0:
                break
            wait = 0 if self.batching_window_s <= 0 else max(0, min(1, round(remaining)))
            more = self._receive(self.batch_size - len(batch), wait)
            if not more and self.batching_window_s <= 0:
                break
            batch.extend(more)
        event = sqs_event(batch, queue_arn=self.queue_arn, region=self.region)
        ids = [m["MessageId"] for m in batch]
        self.stats.invocations += 1
        result = self.invoke(self.function_name, json.dumps(event).encode("utf-8"))
        if result.function_error:
            self.stats.function_errors += 1
        kept = failed_message_ids(result, ids, self.report_batch_item_failures)
        to_delete = [m for m in batch if m["MessageId"] not in kept]
        for start in range(0, len(to_delete), SQS_RECEIVE_MAX):
            chunk = to_delete[start : start + SQS_RECEIVE_MAX]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        self.stats.deleted += len(to_delete)
        self.stats.kept += len(kept)
        return len(batch)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # the mapping keeps polling, as Lambda's does, and reports the error
                if self._stop.is_set():
                    return
                self.stats.errors.append(f"{type(exc).__name__}: {exc}")
                log.warning("event source mapping for %s: %s", self.function_name, exc)
                self._stop.wait(0.5)
