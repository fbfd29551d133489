"""Fixtures shared by the I/O-layer tests: a Backend over moto's in-process AWS and Python "functions"."""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from workflow.engine.backend import LambdaResult
from workflow.engine.errors import ServiceError

REGION = "us-east-1"
ACCOUNT = "123456789012"


_SESSION: list[boto3.session.Session] = []


def _session() -> boto3.session.Session:
    """One session for the whole test run: its loader caches service models, making clients cheap."""
    if not _SESSION:
        _SESSION.append(
            boto3.session.Session(
                aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
            )
        )
    return _SESSION[0]


class FakeBackend:
    """Backend whose clients are moto's and whose Lambda functions are Python callables (event -> result)."""

    region = REGION
    account = ACCOUNT

    def __init__(self) -> None:
        self.functions: dict[str, Callable[[Any], Any]] = {}
        self.invocations: list[tuple[str, Any, str]] = []
        self.throttle_next: int = 0
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()  # Map children and Parallel branches invoke from several threads

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = _session().client(service, region_name=REGION)
            return self._clients[service]

    def invoke_lambda(
        self,
        function_name: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> LambdaResult:
        name = function_name.split(":function:")[-1].split(":")[0]
        event = json.loads(payload) if payload else None
        with self._lock:
            self.invocations.append((function_name, event, invocation_type))
            throttled = self.throttle_next > 0
            self.throttle_next -= throttled
        if throttled:
            raise ServiceError("TooManyRequestsException", "Rate Exceeded.", 429)
        if name not in self.functions:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {function_name}", 404)
        request_id = str(uuid.uuid4())
        if invocation_type == "Event":
            return LambdaResult(202, b"", request_id)
        try:
            result = self.functions[name](event)
        except Exception as exc:  # the function's error, reported as Lambda's Python runtime does
            body = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return LambdaResult(200, json.dumps(body).encode(), request_id, function_error="Unhandled")
        return LambdaResult(200, json.dumps(result).encode(), request_id)


@contextmanager
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS with dummy credentials and no endpoint override."""
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBackend]:
    """moto's in-process AWS, and a backend over it."""
    with moto_aws(monkeypatch):
        yield FakeBackend()


def no_sleep(_seconds: float) -> None:
    """Polling without waiting: moto finishes work synchronously."""


def never_cancelled() -> bool:
    return False
