"""S3 object creations become EventBridge "Object Created" events for the stack's rule (prefix, .csv)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from tests.twin.fake_endpoint import ACCOUNT
from workflow.twin.backend import endpoint_client
from workflow.twin.endpoint import ServerThread
from workflow.twin.events import ObjectCreatedRule, S3EventBridge

BUCKET = "csv-etl-data"
RULE = ObjectCreatedRule(BUCKET, "incoming/", ".csv")
MB5 = 5 * 1024 * 1024


@pytest.fixture
def wired(endpoint: ServerThread) -> Iterator[tuple[Any, list[dict[str, Any]], threading.Event]]:
    s3 = endpoint_client("s3", endpoint.url, "us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    def target(event: dict[str, Any]) -> str:
        received.append(event)
        arrived.set()
        return "arn:started"

    bridge = S3EventBridge(
        account=ACCOUNT,
        region="us-east-1",
        rule=ObjectCreatedRule(BUCKET, "incoming/", ".csv"),
        target=target,
    ).start()
    yield s3, received, arrived
    bridge.stop()


def test_put_object_produces_the_event_eventbridge_delivers(wired: Any) -> None:
    """S3 user guide, 'EventBridge event message structure' (Object Created, reason PutObject)."""
    s3, received, arrived = wired
    put = s3.put_object(Bucket=BUCKET, Key="incoming/day 1:a.csv", Body=b"h\n1\n")
    assert arrived.wait(5)
    (event,) = received
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["version"] == "0" and event["detail-type"] == "Object Created"
    assert event["source"] == "aws.s3"
    assert event["account"] == ACCOUNT and event["region"] == "us-east-1"
    assert event["resources"] == [f"arn:aws:s3:::{BUCKET}"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert re.fullmatch(r"[0-9a-f-]{36}", event["id"])
    detail = event["detail"]
    assert detail["version"] == "0"
    assert detail["bucket"] == {"name": BUCKET}
    assert detail["object"]["key"] == "incoming/day 1:a.csv", "EventBridge keys are not URL-encoded"
    assert detail["object"]["size"] == 4
    assert detail["object"]["etag"] == put["ETag"].strip('"')
    assert re.fullmatch(r"[0-9A-F]{18}", detail["object"]["sequencer"])
    assert detail["reason"] == "PutObject"
    assert detail["requester"] == ACCOUNT
    assert set(detail) == {
        "version",
        "bucket",
        "object",
        "request-id",
        "requester",
        "source-ip-address",
        "reason",
    }


def test_multipart_upload_and_copy_are_object_created_too(wired: Any, tmp_path: Path) -> None:
    """What `aws s3 cp` does for large files (CompleteMultipartUpload) and for copies (CopyObject)."""
    s3, received, _ = wired
    big = tmp_path / "big.csv"
    big.write_bytes(b"h\n" + b"1234567\n" * (5 * 1024 * 1024 // 8 + 10))
    s3.upload_file(
        str(big),
        BUCKET,
        "incoming/big.csv",
        Config=TransferConfig(multipart_threshold=MB5, multipart_chunksize=MB5),
    )
    s3.copy_object(
        Bucket=BUCKET, Key="incoming/copy.csv", CopySource={"Bucket": BUCKET, "Key": "incoming/big.csv"}
    )
    for _ in range(300):
        if len(received) >= 2:
            break
        threading.Event().wait(0.1)
    reasons = {e["detail"]["object"]["key"]: e["detail"]["reason"] for e in received}
    expected = {"incoming/big.csv": "CompleteMultipartUpload", "incoming/copy.csv": "CopyObject"}
    assert reasons == expected, received
    assert received[0]["detail"]["object"]["size"] == big.stat().st_size


def test_other_prefix_other_suffix_and_other_bucket_start_nothing(wired: Any) -> None:
    s3, received, arrived = wired
    s3.put_object(Bucket=BUCKET, Key="incoming/notes.txt", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="results/a.csv", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="a.csv", Body=b"x")
    s3.create_bucket(Bucket="other-bucket")
    s3.put_bucket_notification_configuration(
        Bucket="other-bucket", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    s3.put_object(Bucket="other-bucket", Key="incoming/a.csv", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="incoming/last.csv", Body=b"x")
    assert arrived.wait(5)
    threading.Event().wait(0.2)
    assert [e["detail"]["object"]["key"] for e in received] == ["incoming/last.csv"]


def test_no_events_without_eventbridge_notifications_on_the_bucket(endpoint: ServerThread) -> None:
    """S3 sends events to EventBridge only when the bucket has EventBridge notifications enabled."""
    s3 = endpoint_client("s3", endpoint.url, "us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    received: list[dict[str, Any]] = []
    bridge = S3EventBridge(account=ACCOUNT, region="us-east-1", rule=RULE, target=received.append).start()
    try:
        s3.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=b"x")
        threading.Event().wait(0.3)
        assert received == []
    finally:
        bridge.stop()


def test_a_failing_target_is_retried(endpoint: ServerThread) -> None:
    """EventBridge retries a target that fails (here: twice, then it succeeds)."""
    s3 = endpoint_client("s3", endpoint.url, "us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    calls: list[str] = []

    def flaky(event: dict[str, Any]) -> str:
        calls.append(event["id"])
        if len(calls) < 3:
            raise ConnectionError("engine not ready")
        return "arn:ok"

    bridge = S3EventBridge(
        account=ACCOUNT, region="us-east-1", rule=RULE, target=flaky, retry_delay_s=0.01
    ).start()
    try:
        s3.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=b"x")
        for _ in range(100):
            if bridge.deliveries and bridge.deliveries[0].done.is_set():
                break
            threading.Event().wait(0.02)
        delivery = bridge.deliveries[0]
        assert delivery.result == "arn:ok" and delivery.attempts == 3 and len(set(calls)) == 1
    finally:
        bridge.stop()


def events_for(received: list[dict[str, Any]], key: str, settle_s: float = 1.0) -> list[dict[str, Any]]:
    """The events received for key once deliveries have settled (a duplicate would arrive within ms)."""
    deadline = threading.Event()
    for _ in range(600):
        if any(e["detail"]["object"]["key"] == key for e in received):
            break
        deadline.wait(0.1)
    deadline.wait(settle_s)
    return [e for e in received if e["detail"]["object"]["key"] == key]


def test_one_multipart_upload_is_one_object_created_event_via_boto3_and_the_aws_cli(
    wired: Any, tmp_path: Path
) -> None:
    """S3 sends one "Object Created" per object version, its `reason` naming the API that created it (S3
    user guide, "Using EventBridge"); moto also notifies a PutObject inside CompleteMultipartUpload."""
    s3, received, _ = wired
    big = tmp_path / "big.csv"
    big.write_bytes(b"h\n" + b"1234567\n" * (9 * 1024 * 1024 // 8))  # > 8 MiB: multipart by default
    s3.upload_file(str(big), BUCKET, "incoming/boto3.csv")  # boto3's default threshold is 8 MiB
    aws = shutil.which("aws") or str(Path(sys.executable).with_name("aws"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    endpoint_url = s3.meta.endpoint_url
    done = subprocess.run(
        [aws, "--endpoint-url", endpoint_url, "s3", "cp", str(big), f"s3://{BUCKET}/incoming/cli.csv"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for key in ("incoming/boto3.csv", "incoming/cli.csv"):
        events = events_for(received, key)
        assert [e["detail"]["reason"] for e in events] == ["CompleteMultipartUpload"], key
        assert events[0]["detail"]["object"]["size"] == big.stat().st_size
        assert events[0]["detail"]["object"]["etag"].endswith("-2")  # a multipart ETag: two parts


def test_two_puts_of_the_same_content_are_two_events(wired: Any) -> None:
    """Only moto's inner notification is dropped: every real PutObject is an object version of its own."""
    s3, received, _ = wired
    for _ in range(2):
        s3.put_object(Bucket=BUCKET, Key="incoming/same.csv", Body=b"h\n1\n")
    deadline = threading.Event()
    for _ in range(50):
        if len([e for e in received if e["detail"]["object"]["key"] == "incoming/same.csv"]) >= 2:
            break
        deadline.wait(0.1)
    assert [e["detail"]["reason"] for e in events_for(received, "incoming/same.csv", 0.3)] == [
        "PutObject"
    ] * 2
