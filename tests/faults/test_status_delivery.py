"""The twin's status-change delivery to Summarize retries as AWS does (workflow/twin/delivery_retry.py).

AWS, "Event retry policy and using dead-letter queues in Amazon EventBridge": a target that cannot be
reached is retried for 24 hours and up to 185 times, with exponential backoff and jitter. AWS, "How Lambda
handles errors and retries with asynchronous invocation": a function error is retried twice, after about
one and then two minutes. Sleeps are virtual seconds (the twin's clock); here they are recorded, not slept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from workflow.engine.errors import ServiceError
from workflow.twin.delivery_retry import RetryPolicy
from workflow.twin.status_events import ExecutionStatusRule

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:csv-etl"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:csv-etl:run-1"


@dataclass
class Result:
    function_error: str | None = None
    payload: bytes = b"{}"


class FakeService:
    """The engine service as the rule uses it: subscribe to history, describe an execution."""

    def __init__(self) -> None:
        self.listener: Any = None

    def subscribe(self, listener: Any) -> Any:
        self.listener = listener
        return lambda: None

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return {
            "executionArn": executionArn,
            "stateMachineArn": MACHINE,
            "name": "run-1",
            "status": "FAILED",
            "startDate": datetime(2026, 1, 1, tzinfo=UTC),
            "stopDate": datetime(2026, 1, 1, 0, 1, tzinfo=UTC),
            "input": "{}",
            "redriveCount": 0,
        }


def rule_with(
    outcomes: list[Any], policy: RetryPolicy | None = None
) -> tuple[ExecutionStatusRule, list[float]]:
    """A rule whose invoke answers `outcomes` in turn (an exception is raised); the sleeps it asked for."""
    slept: list[float] = []
    clock = [0.0]
    answers = iter(outcomes)

    def invoke(name: str, payload: bytes, kind: str) -> Any:
        json.loads(payload)
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    service = FakeService()
    rule = ExecutionStatusRule(
        service,
        MACHINE,
        invoke,
        "csv-etl-summarize",
        region="us-east-1",
        account="123456789012",
        retry=policy or RetryPolicy(jitter=lambda: 1.0),
        sleep=sleep,
        now=lambda: clock[0],
    ).start()
    return rule, slept


def deliver(rule: ExecutionStatusRule, event_type: str = "ExecutionFailed") -> Any:
    rule._on_history_event(EXECUTION, {"type": event_type})
    delivery = rule.deliveries[-1]
    assert delivery.done.wait(10)
    return delivery


def test_an_unreachable_target_is_retried_with_exponential_backoff_until_it_answers() -> None:
    throttled = ServiceError("TooManyRequestsException", "Rate Exceeded.", 429)
    rule, slept = rule_with([throttled, throttled, throttled, Result()])
    delivery = deliver(rule)
    assert (delivery.error, delivery.attempts) == (None, 4)
    assert slept == [1.0, 2.0, 4.0]


def test_eventbridge_gives_up_after_185_attempts() -> None:
    rule, slept = rule_with([ServiceError("ServiceException", "down", 500)] * 185)
    delivery = deliver(rule)
    assert delivery.attempts == 185 and "ServiceException" in delivery.error
    assert len(slept) == 184 and max(slept) == 300.0


def test_eventbridge_gives_up_when_the_event_is_24_hours_old() -> None:
    policy = RetryPolicy(base_delay_s=3600.0, max_delay_s=6 * 3600.0, jitter=lambda: 1.0)
    rule, slept = rule_with([ServiceError("ServiceException", "down", 500)] * 10, policy)
    delivery = deliver(rule)
    assert sum(slept) >= 24 * 3600 - 6 * 3600 and delivery.attempts < 10


def test_a_function_error_is_retried_twice_one_then_two_minutes_later() -> None:
    failed = Result(function_error="Unhandled", payload=b'{"errorType": "RuntimeError"}')
    rule, slept = rule_with([failed, failed, failed, Result()])
    delivery = deliver(rule)
    assert delivery.attempts == 3 and "RuntimeError" in delivery.error
    assert slept == [60.0, 120.0]


@pytest.mark.parametrize("answers", [[Result()], [Result(function_error="Unhandled"), Result()]])
def test_a_redrive_is_delivered_as_a_running_status_change(answers: list[Any]) -> None:
    rule, _ = rule_with(answers)
    delivery = deliver(rule, "ExecutionRedriven")
    assert delivery.error is None
    assert (delivery.status, delivery.event["detail"]["status"]) == ("RUNNING", "RUNNING")
