"""The twin's EventBridge rule for "Step Functions Execution Status Change" events, targeting Summarize.

On AWS the stack has a rule on source `aws.states`, detail-type `Step Functions Execution Status Change`,
this state machine's ARN and the statuses FAILED, ABORTED, TIMED_OUT, or RUNNING with a redriveCount above
0 (a redrive starting: Summarize marks the ledger item RUNNING again); its target is the Summarize
function, invoked asynchronously with the event, retried as EventBridge and Lambda retry
(workflow/twin/delivery_retry.py). The twin listens to the engine's history (the service's existing
`subscribe` hook: no engine change), and when an execution of the pipeline's state machine ends that way
(or is redriven) it builds the same event (shape: AWS, "Step Functions events in EventBridge",
https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html: `detail` holds
executionArn, stateMachineArn, name, status, startDate and stopDate in epoch milliseconds, input, output,
error, cause, redriveCount, ...) and invokes the function off the engine's threads (EventBridge invokes
asynchronously).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workflow.engine.time_format import epoch_millis
from workflow.twin.delivery_retry import LAMBDA_ASYNC_RETRY_DELAYS_S, RetryPolicy

STATUS_CHANGE = "Step Functions Execution Status Change"
ENDED_EVENTS = {"ExecutionFailed": "FAILED", "ExecutionAborted": "ABORTED", "ExecutionTimedOut": "TIMED_OUT"}
RULE_EVENTS = {**ENDED_EVENTS, "ExecutionRedriven": "RUNNING"}


def status_change_event(described: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """The EventBridge event AWS emits for an execution's status change, from DescribeExecution."""
    status = described["status"]
    start, stop = described.get("startDate"), described.get("stopDate")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": STATUS_CHANGE,
        "source": "aws.states",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [described["executionArn"]],
        "detail": {
            "executionArn": described["executionArn"],
            "stateMachineArn": described["stateMachineArn"],
            "name": described["name"],
            "status": status,
            "startDate": epoch_millis(start) if isinstance(start, datetime) else None,
            "stopDate": epoch_millis(stop) if isinstance(stop, datetime) else None,
            "input": described.get("input"),
            "output": described.get("output"),
            "inputDetails": {"included": True},
            "outputDetails": {"included": True} if described.get("output") is not None else None,
            "error": described.get("error"),
            "cause": described.get("cause"),
            "redriveCount": int(described.get("redriveCount") or 0),
            "redriveStatus": described.get("redriveStatus"),
            "redriveStatusReason": described.get("redriveStatusReason"),
        },
    }


@dataclass
class StatusDelivery:
    execution_arn: str
    status: str
    event: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0  # invocations tried (EventBridge retries and Lambda's asynchronous retries included)
    done: threading.Event = field(default_factory=threading.Event)


class ExecutionStatusRule:
    """Delivers FAILED / ABORTED / TIMED_OUT (and redrive RUNNING) status changes of one state machine to one
    function, retrying as EventBridge and Lambda's asynchronous invocation do."""

    def __init__(
        self,
        service: Any,
        state_machine_arn: str,
        invoke: Callable[[str, bytes, str], Any],
        function_name: str,
        *,
        region: str,
        account: str,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.service = service
        self.state_machine_arn = state_machine_arn
        self.invoke = invoke
        self.function_name = function_name
        self.region = region
        self.account = account
        self.retry = retry or RetryPolicy()
        clock = getattr(service, "clock", None)
        self._sleep: Callable[[float], None] = sleep or getattr(clock, "sleep", None) or time.sleep
        self._now: Callable[[], float] = now or (
            (lambda: float(clock.now().timestamp())) if clock is not None else time.time
        )  # virtual seconds, on the engine's clock when there is one
        self.deliveries: list[StatusDelivery] = []
        self._lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> ExecutionStatusRule:
        self._unsubscribe = self.service.subscribe(self._on_history_event)
        return self

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_history_event(self, execution_arn: str, event: dict[str, Any]) -> None:
        status = RULE_EVENTS.get(event.get("type", ""))
        prefix = self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":"
        if status is None or not execution_arn.startswith(prefix):  # Map children have their own machine
            return
        delivery = StatusDelivery(execution_arn, status)
        with self._lock:
            self.deliveries.append(delivery)
        # Never inside the engine's thread: EventBridge delivers asynchronously.
        threading.Thread(target=self._deliver, args=(delivery,), name="status-change", daemon=True).start()

    def _deliver(self, delivery: StatusDelivery) -> None:
        try:
            described = self.service.describe_execution(executionArn=delivery.execution_arn)
            delivery.event = status_change_event(described, self.region, self.account)
            delivery.event["detail"]["status"] = delivery.status  # what changed, even if it moved on since
            # EventBridge invokes asynchronously; this thread already is, and waiting here lets tests (and
            # the console) know when the ledger is final and whether the function failed.
            payload = json.dumps(delivery.event, default=str).encode()
            self._invoke_with_retries(delivery, payload)
        except Exception as exc:  # recorded for tests and the console
            delivery.error = f"{type(exc).__name__}: {exc}"
        finally:
            delivery.done.set()

    def _invoke_with_retries(self, delivery: StatusDelivery, payload: bytes) -> None:
        """Invoke until the function succeeds: an unreachable target is retried by EventBridge's policy, a
        function error twice more (Lambda's asynchronous retries); then the event is dropped (error kept)."""
        started = self._now()
        unreachable = function_errors = 0
        while True:
            delivery.attempts += 1
            try:
                result = self.invoke(self.function_name, payload, "RequestResponse")
            except Exception as exc:  # Invoke refused (throttled, unavailable): EventBridge retries
                unreachable += 1
                delivery.error = f"{type(exc).__name__}: {exc}"
                if self.retry.gives_up(unreachable, self._now() - started):
                    return
                self._sleep(self.retry.delay_s(unreachable))
                continue
            if not getattr(result, "function_error", None):
                delivery.error = None
                return
            delivery.error = result.payload.decode("utf-8", "replace")[:2000]
            if function_errors >= len(LAMBDA_ASYNC_RETRY_DELAYS_S):
                return
            self._sleep(LAMBDA_ASYNC_RETRY_DELAYS_S[function_errors])
            function_errors += 1

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        """Block until every delivery so far was handed to the function (tests)."""
        with self._lock:
            pending = list(self.deliveries)
        for delivery in pending:
            delivery.done.wait(timeout_s)
