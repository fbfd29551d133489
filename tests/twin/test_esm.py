"""The writer's SQS event source mapping: the SQS event, partial batch responses, DLQ after N receives."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from workflow.engine.backend import LambdaResult
from workflow.twin.backend import endpoint_client
from workflow.twin.endpoint import ServerThread
from workflow.twin.esm import SqsEventSourceMapping, failed_message_ids, sqs_event


def queues(endpoint: ServerThread, max_receive_count: int = 2) -> tuple[Any, str, str, str]:
    sqs = endpoint_client("sqs", endpoint.url, "us-east-1")
    dlq = sqs.create_queue(QueueName="esm-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="esm-q",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
            ),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn, dlq


def mapping(
    endpoint: ServerThread,
    sqs: Any,
    url: str,
    arn: str,
    function: str,
    invoke: Callable[[str, bytes], LambdaResult] | None = None,
    batch_size: int = 5,
) -> SqsEventSourceMapping:
    runtime = endpoint.runtime  # type: ignore[attr-defined]
    return SqsEventSourceMapping(
        sqs=sqs,
        queue_url=url,
        queue_arn=arn,
        function_name=function,
        invoke=invoke or runtime.invoke,
        region="us-east-1",
        batch_size=batch_size,
        poll_wait_s=1,
        pollers=1,
    )


def depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    return sum(int(v) for v in attrs["Attributes"].values())


def wait_until(predicate: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_event_has_the_shape_lambda_gives_sqs_batches(endpoint: ServerThread) -> None:
    """Lambda docs, 'Using Lambda with Amazon SQS': example SQS event (messageId ... awsRegion)."""
    sqs, url, arn, _ = queues(endpoint)
    sqs.send_message(
        QueueUrl=url,
        MessageBody='{"rows": 1}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "batch"}},
    )
    seen: list[dict[str, Any]] = []

    def capture(name: str, payload: bytes) -> LambdaResult:
        seen.append(json.loads(payload))
        return LambdaResult(status_code=200, payload=b"null", request_id="r")

    esm = mapping(endpoint, sqs, url, arn, "t-partial", invoke=capture)
    assert esm.poll_once() == 1
    (record,) = seen[0]["Records"]
    assert set(record) >= {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["body"] == '{"rows": 1}'
    assert record["md5OfBody"] == hashlib.md5(b'{"rows": 1}').hexdigest()
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "batch",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert depth(sqs, url) == 0, "a successful batch is deleted"


def test_partial_batch_failure_deletes_only_the_successes(endpoint: ServerThread) -> None:
    """ReportBatchItemFailures: only the batchItemFailures come back; the others are deleted."""
    sqs, url, arn, _ = queues(endpoint, max_receive_count=5)
    for body in ("ok-1", "fail", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    esm = mapping(endpoint, sqs, url, arn, "t-partial")
    assert esm.poll_once() == 3
    assert esm.stats.deleted == 2 and esm.stats.kept == 1
    time.sleep(1.1)  # the visibility timeout of the kept message
    again = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert [m["Body"] for m in again] == ["fail"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_function_error_keeps_the_batch_then_the_dlq_gets_it(endpoint: ServerThread) -> None:
    """On a function error nothing is deleted; after maxReceiveCount receives SQS moves it to the DLQ."""
    sqs, url, arn, dlq = queues(endpoint, max_receive_count=2)
    sqs.send_message(QueueUrl=url, MessageBody="doomed")
    esm = mapping(endpoint, sqs, url, arn, "t-crash").start()
    try:
        assert wait_until(lambda: depth(sqs, dlq) == 1)
    finally:
        esm.stop()
    assert esm.stats.function_errors == 2 and esm.stats.deleted == 0
    assert depth(sqs, url) == 0
    moved = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in moved] == ["doomed"]


def test_partial_response_rules() -> None:
    """Lambda docs: an empty/absent list is success; a null/unknown itemIdentifier fails the whole batch."""
    ok = LambdaResult(200, b'{"batchItemFailures": []}', "r")
    none = LambdaResult(200, b"null", "r")
    some = LambdaResult(200, b'{"batchItemFailures": [{"itemIdentifier": "b"}]}', "r")
    bad = LambdaResult(200, b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', "r")
    empty_id = LambdaResult(200, b'{"batchItemFailures": [{"itemIdentifier": ""}]}', "r")
    crashed = LambdaResult(200, b'{"errorType": "X"}', "r", function_error="Unhandled")
    ids = ["a", "b", "c"]
    assert failed_message_ids(ok, ids, True) == set()
    assert failed_message_ids(none, ids, True) == set()
    assert failed_message_ids(some, ids, True) == {"b"}
    assert failed_message_ids(some, ids, False) == set()
    assert failed_message_ids(bad, ids, True) == set(ids)
    assert failed_message_ids(empty_id, ids, True) == set(ids)
    assert failed_message_ids(crashed, ids, True) == set(ids)


def test_sqs_event_copies_binary_attributes_as_base64() -> None:
    message = {
        "MessageId": "m",
        "ReceiptHandle": "h",
        "Body": "b",
        "MD5OfBody": "x",
        "MessageAttributes": {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}},
    }
    event = sqs_event([message], queue_arn="arn:q", region="eu-west-1")
    assert event["Records"][0]["messageAttributes"]["blob"]["binaryValue"] == "AAE="
