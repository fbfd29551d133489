"""What the twin is doing, as typed records on a process-wide publish/subscribe bus (`etl up` prints them).

Places where something happens publish one record with one line (`activity.publish(...)`): the Lambda
runtime per invocation, the REST gateway per response, the S3 -> EventBridge delivery per started execution.
What has no single place to hook is watched (`TwinWatcher`): executions ending (the engine's own list, every
0.5 s) and messages arriving in the DLQ (SQS moves them on receive, inside moto, not in our code).
Subscribers run in the publisher's thread and must be quick; a failing subscriber never breaks the publisher.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from workflow.twin.lambdas import InvocationRecord

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ExecutionStarted:
    """An execution started: by an upload (`upload`), or by StartExecution or a redrive (the watcher)."""

    execution_arn: str
    key: str | None = None
    bucket: str | None = None
    redrive: bool = False
    upload: bool = False
    at: datetime = field(default_factory=_now)

    @property
    def name(self) -> str:
        return self.execution_arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class ExecutionEnded:
    """An execution reached a terminal status; the row counts come from its output when it has them."""

    execution_arn: str
    status: str
    key: str | None = None
    duration_s: float | None = None
    rows_written: int | None = None
    rows_rejected: int | None = None
    rows_failed: int | None = None
    error: str | None = None
    at: datetime = field(default_factory=_now)

    @property
    def name(self) -> str:
        return self.execution_arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class LambdaInvoked:
    """One Lambda invocation ended (its log lines are kept for `--verbose`)."""

    function: str
    request_id: str
    duration_ms: float
    error_type: str | None = None
    error_message: str | None = None
    execution: str | None = None
    logs: tuple[str, ...] = ()
    at: datetime = field(default_factory=_now)

    @classmethod
    def of(cls, record: InvocationRecord) -> LambdaInvoked:
        """From the runtime's InvocationRecord."""
        error = record.error or {}
        return cls(
            function=record.function,
            request_id=record.request_id,
            duration_ms=record.duration_ms or 0.0,
            error_type=error.get("errorType"),
            error_message=error.get("errorMessage"),
            execution=record.execution,
            logs=tuple(record.logs),
        )


@dataclass(frozen=True)
class ApiRequest:
    """One REST API request answered by the local API Gateway."""

    method: str
    path: str
    status: int
    latency_ms: float
    function: str | None = None
    at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class DlqArrival:
    """Messages arrived in the dead-letter queue (batches the writer failed maxReceiveCount times)."""

    queue: str
    arrived: int
    depth: int
    at: datetime = field(default_factory=_now)


Activity = ExecutionStarted | ExecutionEnded | LambdaInvoked | ApiRequest | DlqArrival
Subscriber = Callable[[Activity], None]


class ActivityBus:
    """Thread-safe publish/subscribe of activity records."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, record: Activity) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(record)
            except Exception:  # showing activity must never break what it shows
                log.exception("activity subscriber failed")


bus = ActivityBus()


def publish(record: Activity) -> None:
    """Publish on the process-wide bus (one twin per process, like moto's state)."""
    bus.publish(record)


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    return bus.subscribe(subscriber)


def execution_of(event: Any) -> str | None:
    """The execution name a pipeline Lambda event carries (so logs can be found by execution).

    The pipeline's contract (csv_etl.asl.json): Transform gets `BatchInput.execution`, Summarize gets
    `execution`, the writer gets SQS records whose body's `source.execution` names it.
    """
    if not isinstance(event, dict):
        return None
    if isinstance(event.get("execution"), str):
        return str(event["execution"])
    batch_input = event.get("BatchInput")
    if isinstance(batch_input, dict) and isinstance(batch_input.get("execution"), str):
        return str(batch_input["execution"])
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            source = json.loads(records[0].get("body") or "{}").get("source") or {}
            if isinstance(source.get("execution"), str):
                return str(source["execution"])
    return None


def _text_at(value: object, *keys: str) -> str | None:
    """The string at `value[k1][k2]...`, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, str) else None


def started_by_upload(event: Mapping[str, Any], execution_arn: str) -> ExecutionStarted:
    """The record for an "Object Created" event that started `execution_arn`."""
    return ExecutionStarted(
        execution_arn=execution_arn,
        key=_text_at(event, "detail", "object", "key"),
        bucket=_text_at(event, "detail", "bucket", "name"),
        upload=True,
    )


def key_of(described: Mapping[str, Any]) -> str | None:
    """The S3 key of the upload that started a described execution; None when its input is not an
    "Object Created" event (a StartExecution with any other input)."""
    text = described.get("input")
    try:
        event = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return _text_at(event, "detail", "object", "key")


def _ended(described: Mapping[str, Any]) -> ExecutionEnded:
    output: dict[str, Any] = {}
    for text in (described.get("output"), described.get("cause")):  # a FileFailed cause is the summary
        with contextlib.suppress(TypeError, ValueError):
            loaded = json.loads(text or "{}")
            if isinstance(loaded, dict) and "rows_written" in loaded:
                output = loaded
                break
    start, stop = described.get("startDate"), described.get("stopDate")
    duration = (stop - start).total_seconds() if start and stop else None
    if described.get("redriveDate") and stop:  # a redriven run: time since the redrive
        duration = (stop - described["redriveDate"]).total_seconds()
    return ExecutionEnded(
        execution_arn=described["executionArn"],
        status=described["status"],
        key=key_of(described),
        duration_s=duration,
        rows_written=output.get("rows_written"),
        rows_rejected=output.get("rows_rejected"),
        rows_failed=output.get("rows_failed"),
        error=described.get("error"),
        at=stop if isinstance(stop, datetime) else _now(),
    )


class ExecutionReader(Protocol):
    """What the watcher reads of the Step Functions API: the engine's service, or a boto3 client."""

    def list_executions(self, *, stateMachineArn: str) -> Mapping[str, Any]: ...

    def describe_execution(self, *, executionArn: str) -> Mapping[str, Any]: ...


class TwinWatcher:
    """Publishes what has no hook: executions ending (and starting outside an upload), DLQ arrivals.

    TODO(ledger): switch the execution part to the engine's status-change listener in
    workflow/engine/service.py once it lands, instead of listing the executions every `interval_s`.
    """

    def __init__(
        self,
        service: ExecutionReader,
        state_machine_arn: str,
        sqs: SQSClient | None = None,
        dlq_url: str | None = None,
        interval_s: float = 0.5,
        publish: Callable[[Activity], None] = publish,
    ) -> None:
        self.service = service
        self.state_machine_arn = state_machine_arn
        self.sqs = sqs
        self.dlq_url = dlq_url
        self.interval_s = interval_s
        self.publish = publish
        self._status: dict[str, tuple[str, int]] = {}
        self._waiting: dict[str, tuple[str, int] | None] = {}
        self._announced: set[str] = set()
        self._dlq_depth = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._loop, name="activity-watcher", daemon=True)

    def start(self) -> TwinWatcher:
        self._unsubscribe = subscribe(self._note)
        self._status = {
            e["executionArn"]: (e["status"], int(e.get("redriveCount") or 0)) for e in self._list()
        }
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._thread.join(timeout=2)

    def _note(self, record: Activity) -> None:
        if isinstance(record, ExecutionStarted):
            with self._lock:
                self._announced.add(record.execution_arn)

    def _list(self) -> list[Mapping[str, Any]]:
        return list(self.service.list_executions(stateMachineArn=self.state_machine_arn)["executions"])

    def check(self) -> None:
        """One look: publish what changed since the last one (oldest first, so lines come in order)."""
        for item in reversed(self._list()):
            arn = item["executionArn"]
            state = (item["status"], int(item.get("redriveCount") or 0))
            with self._lock:
                before = self._status.get(arn)
                announced = arn in self._announced
            if before == state:
                continue
            if state[0] == "RUNNING":
                if not announced:
                    if arn not in self._waiting:  # one more look: an upload announces its own start
                        self._waiting[arn] = before
                        continue
                    redriven = self._waiting.pop(arn) is not None
                    self.publish(self._started(arn, redriven))
            else:
                # redriven and ended again between two looks: its redrive count moved, status did not
                redriven = before is not None and before[0] != "RUNNING" and state[1] > before[1]
                if (before is None or arn in self._waiting or redriven) and not announced:
                    self.publish(self._started(arn, redriven or self._waiting.get(arn) is not None))
                self._waiting.pop(arn, None)
                self.publish(_ended(self.service.describe_execution(executionArn=arn)))
                with self._lock:
                    self._announced.discard(arn)
            with self._lock:
                self._status[arn] = state
        self._check_dlq()

    def _started(self, arn: str, redrive: bool) -> ExecutionStarted:
        key = key_of(self.service.describe_execution(executionArn=arn))
        return ExecutionStarted(execution_arn=arn, key=key, redrive=redrive)

    def _check_dlq(self) -> None:
        if self.sqs is None or not self.dlq_url:
            return
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.dlq_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        depth = sum(int(v) for v in attributes.values())
        if depth > self._dlq_depth:
            self.publish(DlqArrival(self.dlq_url.rsplit("/", 1)[-1], depth - self._dlq_depth, depth))
        self._dlq_depth = depth

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception as exc:  # the watcher keeps watching; a stopping twin may refuse calls
                if self._stop.is_set():
                    return
                log.debug("activity watcher: %s", exc)
