"""Fixtures for the executor/service tests: a Backend over moto's in-process AWS whose Lambda functions are
Python callables, and a StepFunctions service on a sped-up clock (Wait/Retry/Heartbeat tests take ms)."""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from workflow.engine.backend import LambdaResult
from workflow.engine.clock import ManualClock, RealClock
from workflow.engine.errors import ServiceError
from workflow.engine.service import StepFunctions

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"
SPEED = 1000.0  # virtual seconds per real second


_SESSIONS: list[boto3.session.Session] = []


def _session() -> boto3.session.Session:
    """One boto3 session per test process: its loader caches service models, so clients are cheap."""
    if not _SESSIONS:
        _SESSIONS.append(boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                               region_name=REGION))
    return _SESSIONS[0]


class EngineBackend:
    """Clients from moto; `functions[name](event)` plays the Lambda function `name`."""

    region = REGION
    account = ACCOUNT

    def __init__(self) -> None:
        self.functions: dict[str, Callable[[Any], Any]] = {}
        self.calls: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self._session = _session()
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service, region_name=REGION)
            return self._clients[service]

    def invoke_lambda(self, function_name: str, payload: bytes, invocation_type: str = "RequestResponse",
                      client_context: str | None = None) -> LambdaResult:
        name = function_name.split(":function:")[-1].split(":")[0]
        event = json.loads(payload) if payload else None
        with self._lock:
            self.calls.append((name, event))
        if name not in self.functions:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {function_name}", 404)
        try:
            result = self.functions[name](event)
        except Exception as exc:  # reported as Lambda's Python runtime reports an unhandled error
            body = {"errorMessage": str(exc), "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_tb(exc.__traceback__)}
            return LambdaResult(200, json.dumps(body).encode(), str(uuid.uuid4()), function_error="Unhandled")
        return LambdaResult(200, json.dumps(result).encode(), str(uuid.uuid4()))

    def calls_to(self, name: str) -> list[Any]:
        with self._lock:
            return [event for fn, event in self.calls if fn == name]


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


@pytest.fixture
def sfn_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineBackend]:
    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield EngineBackend()


@pytest.fixture
def sfn(sfn_backend: EngineBackend) -> StepFunctions:
    return StepFunctions(sfn_backend, clock=RealClock(speed=SPEED), region=REGION, account=ACCOUNT, seed=7)


class Runner:
    """Create a machine, run one execution to its end, and look at what happened."""

    def __init__(self, sfn: StepFunctions) -> None:
        self.sfn = sfn

    def machine(self, definition: dict[str, Any], *, name: str | None = None, type_: str = "STANDARD") -> str:
        return self.sfn.create_state_machine(name=name or f"sm-{uuid.uuid4().hex[:8]}",
                                             definition=json.dumps(definition), roleArn=ROLE,
                                             type=type_)["stateMachineArn"]

    def start(self, definition: dict[str, Any] | str, input_value: Any = None, **kwargs: Any) -> str:
        arn = definition if isinstance(definition, str) else self.machine(definition)
        return self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(input_value or {}),
                                        **kwargs)["executionArn"]

    def run(self, definition: dict[str, Any] | str, input_value: Any = None, timeout: float = 20.0,
            **kwargs: Any) -> dict[str, Any]:
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
def manual_runner(sfn_backend: EngineBackend) -> Runner:
    """A runner whose virtual time moves only by the engine's own waits: exact timestamps in histories."""
    return Runner(StepFunctions(sfn_backend, clock=ManualClock(), region=REGION, account=ACCOUNT, seed=7))
