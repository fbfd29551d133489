"""The one fake of the engine's Backend (`workflow.engine.backend.Backend`) for tests.

AWS clients come from `make_client` (by default boto3 clients with dummy keys, for moto's in-process
`mock_aws`: enter it first, e.g. with `tests.engine.io_fixtures.moto_aws`); Lambda functions are Python
callables `event -> result` in `functions`, by function name. Like the twin's `TwinBackend` it creates
clients under a lock (Map children and Parallel branches call from several threads; creating botocore
clients is not thread-safe). What a function does maps to what Lambda's Invoke returns:
- a result: StatusCode 200 with the result as JSON;
- an exception: a function error (`FunctionError: Unhandled`), the payload as Lambda's Python runtime
  writes it (errorMessage, errorType = the exception's class name, requestId, stackTrace);
  `function_error("Some.Error", "message")` raises one with any errorType;
- a `ServiceError`: the Invoke call itself fails (Step Functions reports `Lambda.<Code>`), as does a missing
  function (ResourceNotFoundException, 404, the message naming the function's ARN) or `throttle_next`.
InvocationType Event runs the function and answers 202 with an empty payload, whatever the function did.
"""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import boto3

from workflow.engine.backend import LambdaResult
from workflow.engine.errors import ServiceError

REGION = "us-east-1"
ACCOUNT = "123456789012"

_SESSION: list[boto3.session.Session] = []
_SESSION_LOCK = threading.Lock()


def _moto_client(service: str) -> Any:
    """A client from one session for the whole test run (its loader caches service models: clients are
    cheap), dummy keys, no endpoint: moto's `mock_aws` answers it."""
    with _SESSION_LOCK:
        if not _SESSION:
            _SESSION.append(
                boto3.session.Session(
                    aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
                )
            )
        session = _SESSION[0]
    return session.client(service, region_name=REGION)  # type: ignore[call-overload]


def function_error(error_type: str, message: str) -> Exception:
    """An exception whose class name is `error_type` (e.g. "Lambda.ServiceException"), so the function error
    Step Functions sees is exactly that."""
    return type(error_type, (Exception,), {})(message)


def short_name(function_name: str) -> str:
    """The function's name from a name, a partial ARN or a full (qualified) ARN."""
    return function_name.split(":function:")[-1].split(":")[0]


class FakeBackend:
    """Backend whose clients are `make_client`'s and whose Lambda functions are Python callables."""

    def __init__(
        self,
        *,
        region: str = REGION,
        account: str = ACCOUNT,
        make_client: Callable[[str], Any] = _moto_client,
        functions: dict[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        self.region = region
        self.account = account
        self.make_client = make_client
        self.functions: dict[str, Callable[[Any], Any]] = dict(functions or {})
        self.invocations: list[tuple[str, Any, str]] = []  # (function name as called, event, type)
        self.throttle_next: int = 0  # this many next invocations fail with TooManyRequestsException
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.make_client(service)
            return self._clients[service]

    @property
    def calls(self) -> list[tuple[str, Any]]:
        """(short function name, event) of each invocation so far."""
        with self._lock:
            return [(short_name(fn), event) for fn, event, _ in self.invocations]

    def calls_to(self, name: str) -> list[Any]:
        return [event for fn, event in self.calls if fn == name]

    def invoke_lambda(
        self,
        function_name: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> LambdaResult:
        name = short_name(function_name)
        event = json.loads(payload) if payload else None
        with self._lock:
            self.invocations.append((function_name, event, invocation_type))
            throttled = self.throttle_next > 0
            self.throttle_next -= throttled
        if throttled:
            raise ServiceError("TooManyRequestsException", "Rate Exceeded.", 429)
        if name not in self.functions:  # Lambda's own message names the function's ARN
            arn = function_name
            if not arn.startswith("arn:"):
                arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{function_name}"
            raise ServiceError("ResourceNotFoundException", f"Function not found: {arn}", 404)
        request_id = str(uuid.uuid4())
        try:
            result = self.functions[name](event)
        except ServiceError:
            raise
        except Exception as exc:  # the function's error, reported as Lambda's Python runtime does
            if invocation_type == "Event":
                return LambdaResult(202, b"", request_id)
            body = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return LambdaResult(200, json.dumps(body).encode(), request_id, function_error="Unhandled")
        if invocation_type == "Event":
            return LambdaResult(202, b"", request_id)
        return LambdaResult(200, json.dumps(result).encode(), request_id)
