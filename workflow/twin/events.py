"""S3 -> EventBridge "Object Created" -> StartExecution, as the stack's EventBridge rule does on AWS.

moto's EventBridge cannot target Step Functions, so the twin listens to moto's S3 in-process: every object
creation in a bucket with EventBridge notifications on (PutObject, POST, CopyObject, CompleteMultipartUpload:
whatever the client, boto3, `aws s3 cp` or `etl drop`) becomes the event AWS delivers, filtered like the
stack's rule (bucket, key prefix, `.csv` suffix), and is handed to a target on a delivery thread (EventBridge
is asynchronous: the upload never waits for the execution). The hook on moto's S3 notifications is a seam
in `moto_seams.py` (`add_s3_listener`); this module sees plain `S3Notification` values, no moto object.
"""

from __future__ import annotations

import itertools
import logging
import queue
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workflow.twin import activity
from workflow.twin.moto_seams import S3Notification, add_s3_listener

log = logging.getLogger(__name__)

# EventBridge's `detail.reason` for each S3 event name (S3 user guide, "EventBridge event message structure").
REASONS = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
}
DELIVERY_ATTEMPTS = 5

_sequence = itertools.count(1)


@dataclass
class ObjectCreatedRule:
    """The stack's rule: Object Created events of one bucket whose key has the prefix and the suffix."""

    bucket: str
    prefix: str = ""
    suffix: str = ""

    def matches(self, event: dict[str, Any]) -> bool:
        detail = event.get("detail", {})
        key = detail.get("object", {}).get("key", "")
        return (
            event.get("source") == "aws.s3"
            and event.get("detail-type") == "Object Created"
            and detail.get("bucket", {}).get("name") == self.bucket
            and key.startswith(self.prefix)
            and key.endswith(self.suffix)
        )


@dataclass
class Delivery:
    """One matched event and what its target made of it (the execution ARN), for the console and tests."""

    event: dict[str, Any]
    result: str | None = None  # the execution ARN
    error: str | None = None
    attempts: int = 0
    done: threading.Event = field(default_factory=threading.Event)


def _request_id() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))


def object_created_event(
    *,
    account: str,
    region: str,
    bucket: str,
    key: str,
    size: int,
    etag: str,
    reason: str,
    version_id: str | None = None,
    requester: str | None = None,
    source_ip: str = "127.0.0.1",
    when: datetime | None = None,
) -> dict[str, Any]:
    """The "Object Created" event exactly as S3 delivers it to EventBridge (key not URL-encoded)."""
    obj: dict[str, Any] = {"key": key, "size": size, "etag": etag}
    if version_id:
        obj["version-id"] = version_id
    obj["sequencer"] = f"{time.time_ns() // 1000:014X}{next(_sequence) % 0x10000:04X}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": obj,
            "request-id": _request_id(),
            "requester": requester or account,
            "source-ip-address": source_ip,
            "reason": reason,
        },
    }


class S3EventBridge:
    """Turns moto S3 object creations into EventBridge events and delivers the matching ones to `target`."""

    def __init__(
        self,
        *,
        account: str,
        region: str,
        rule: ObjectCreatedRule,
        target: Callable[[dict[str, Any]], str],
        retry_delay_s: float = 0.5,
    ) -> None:
        self.account = account
        self.region = region
        self.rule = rule
        self.target = target
        self.retry_delay_s = retry_delay_s
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread = threading.Thread(target=self._deliver_loop, name="eventbridge", daemon=True)
        self._remove_listener: Callable[[], None] | None = None

    def start(self) -> S3EventBridge:
        self._thread.start()
        self._remove_listener = add_s3_listener(self.on_s3_event)
        return self

    def stop(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        self._queue.put(None)
        self._thread.join(timeout=5)

    def on_s3_event(self, s3: S3Notification) -> None:
        if s3.account_id != self.account or s3.event_name not in REASONS:
            return
        if s3.event_name == "s3:ObjectCreated:Put" and s3.multipart:
            # moto's CompleteMultipartUpload stores the object with its own put_object, which notifies a
            # PutObject, then notifies the completion. S3 sends one "Object Created" per object version,
            # its reason naming the one API that created it (S3 user guide, "Using EventBridge"): keep the
            # completion only. A CopyObject of a multipart object is stored without that inner notification.
            return
        if not s3.to_eventbridge:
            return  # like AWS: no events unless the bucket sends them to EventBridge
        event = object_created_event(
            account=self.account,
            region=self.region,
            bucket=s3.bucket,
            key=s3.key,
            size=s3.size,
            etag=s3.etag,
            reason=REASONS[s3.event_name],
            version_id=s3.version_id,
        )
        if self.rule.matches(event):
            delivery = Delivery(event=event)
            self.deliveries.append(delivery)
            self._queue.put(delivery)

    def _deliver_loop(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            while delivery.attempts < DELIVERY_ATTEMPTS:
                delivery.attempts += 1
                try:
                    arn = delivery.result = self.target(delivery.event)
                    activity.publish(activity.started_by_upload(delivery.event, arn))
                    delivery.error = None
                    break
                except Exception as exc:  # EventBridge retries a failed target with back-off
                    delivery.error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "delivering %s failed (attempt %d): %s",
                        delivery.event["id"],
                        delivery.attempts,
                        delivery.error,
                    )
                    time.sleep(self.retry_delay_s * delivery.attempts)
            delivery.done.set()
