"""Fixtures for the executor/service tests: a Backend over moto's in-process AWS whose Lambda functions are
Python callables, and a StepFunctions service on a sped-up clock (Wait/Retry/Heartbeat tests take ms)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.io_fixtures import ACCOUNT, REGION, FakeBackend, moto_aws
from workflow.engine.clock import ManualClock, RealClock
from workflow.engine.service import StepFunctions

ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
SPEED = 1000.0  # virtual seconds per real second


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBackend]:
    """moto's in-process AWS, and the fake backend over it."""
    with moto_aws(monkeypatch):
        yield FakeBackend()


@pytest.fixture
def sfn_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBackend]:
    with moto_aws(monkeypatch):
        yield FakeBackend()


@pytest.fixture
def sfn(sfn_backend: FakeBackend) -> StepFunctions:
    return StepFunctions(sfn_backend, clock=RealClock(speed=SPEED), region=REGION, account=ACCOUNT, seed=7)


class Runner:
    """Create a machine, run one execution to its end, and look at what happened."""

    def __init__(self, sfn: StepFunctions) -> None:
        self.sfn = sfn

    def machine(self, definition: dict[str, Any], *, name: str | None = None, type_: str = "STANDARD") -> str:
        return self.sfn.create_state_machine(
            name=name or f"sm-{uuid.uuid4().hex[:8]}",
            definition=json.dumps(definition),
            roleArn=ROLE,
            type=type_,
        )["stateMachineArn"]

    def start(self, definition: dict[str, Any] | str, input_value: Any = None, **kwargs: Any) -> str:
        arn = definition if isinstance(definition, str) else self.machine(definition)
        return self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(input_value or {}), **kwargs)[
            "executionArn"
        ]

    def run(
        self, definition: dict[str, Any] | str, input_value: Any = None, timeout: float = 20.0, **kwargs: Any
    ) -> dict[str, Any]:
        arn = self.start(definition, input_value, **kwargs)
        return self.sfn.wait_for_execution(arn, timeout)

    def events(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]

    def types(self, execution_arn: str) -> list[str]:
        return [e["type"] for e in self.events(execution_arn)]

    @staticmethod
    def output(described: dict[str, Any]) -> Any:
        """The parsed output of a SUCCEEDED execution (fails the test with the description otherwise)."""
        assert described["status"] == "SUCCEEDED", described
        return json.loads(described["output"])

    @staticmethod
    def fn_arn(name: str) -> str:
        return fn_arn(name)


@pytest.fixture
def runner(sfn: StepFunctions) -> Runner:
    return Runner(sfn)


@pytest.fixture
def manual_runner(sfn_backend: FakeBackend) -> Runner:
    """A runner whose virtual time moves only by the engine's own waits: exact timestamps in histories."""
    return Runner(StepFunctions(sfn_backend, clock=ManualClock(), region=REGION, account=ACCOUNT, seed=7))
