"""A boto3-`stepfunctions`-like client that calls the in-process service directly.

Code written for boto3 works unchanged: same method names and parameters, responses with ResponseMetadata,
errors raised as botocore `ClientError` subclasses reachable as `client.exceptions.<Code>`, and paginators for
the List*/GetExecutionHistory operations. The twin hands this out for client("stepfunctions") when there is
no HTTP endpoint.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from workflow.engine.errors import ServiceError

_ClientErrorClass = type[ClientError]

_PAGINATED = {
    "list_executions": "executions",
    "get_execution_history": "events",
    "list_state_machines": "stateMachines",
    "list_map_runs": "mapRuns",
}


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class _Exceptions:
    """`client.exceptions.ExecutionDoesNotExist` etc.: ClientError subclasses created on first use."""

    ClientError = ClientError

    def __init__(self) -> None:
        self._classes: dict[str, _ClientErrorClass] = {}

    def __getattr__(self, code: str) -> _ClientErrorClass:
        if code.startswith("_"):
            raise AttributeError(code)
        return self.for_code(code)

    def for_code(self, code: str) -> _ClientErrorClass:
        if code not in self._classes:
            self._classes[code] = type(code, (ClientError,), {})
        return self._classes[code]


class _Paginator:
    def __init__(self, method: Callable[..., dict[str, Any]]) -> None:
        self._method = method

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        config = kwargs.pop("PaginationConfig", None) or {}
        if "PageSize" in config:
            kwargs["maxResults"] = config["PageSize"]
        token = config.get("StartingToken")
        while True:
            page = self._method(**kwargs, **({"nextToken": token} if token else {}))
            yield page
            token = page.get("nextToken")
            if not token:
                return


class InProcessStepFunctionsClient:
    """Calls `service.StepFunctions` methods the way boto3's client would call the HTTP API."""

    def __init__(self, service: object, region: str | None = None) -> None:
        """`service`: any object with the API's snake_case methods (a `service.StepFunctions`)."""
        self._service = service
        self.exceptions = _Exceptions()
        self.region = region or getattr(service, "region", "us-east-1")

    def _call(self, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self._service, name)
        try:
            inspect.signature(method).bind(**kwargs)
        except TypeError as exc:
            raise ParamValidationError(report=f"{_pascal(name)}: {exc}") from exc
        try:
            result = method(**kwargs) or {}
        except ServiceError as exc:
            request_id = str(uuid.uuid4())
            response: Any = {  # botocore's ClientError response shape
                "Error": {"Code": exc.code, "Message": exc.message},
                "ResponseMetadata": {"HTTPStatusCode": exc.status, "RequestId": request_id},
            }
            raise self.exceptions.for_code(exc.code)(response, _pascal(name)) from exc
        return {**result, "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": str(uuid.uuid4())}}

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name.startswith("_") or not callable(getattr(self._service, name, None)):
            raise AttributeError(name)

        def call(**kwargs: Any) -> dict[str, Any]:
            return self._call(name, kwargs)

        call.__name__ = name
        return call

    def can_paginate(self, operation_name: str) -> bool:
        return operation_name in _PAGINATED

    def get_paginator(self, operation_name: str) -> _Paginator:
        if operation_name not in _PAGINATED:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        return _Paginator(getattr(self, operation_name))
