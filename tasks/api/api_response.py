"""Answering an API request: JSON responses with exact numbers, the error shape, the handler wrapper.

`api_handler(operation)` makes a Lambda proxy handler of an operation; every failure leaves it as a JSON
error (`ApiError`), a 500 naming only the request id. Shared by the five API handlers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

logger = Logger(service="csv-etl-api")


class ApiError(Exception):
    """An error the client caused (or a clean 5xx): becomes `{"error": {"code", "message", "field"?}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def response(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return json_response(self.status, {"error": error}, self.headers)


def to_json(value: Any) -> str:
    """JSON with Decimals written exactly as numbers (json.dumps would need float and round them)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_response(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway Lambda proxy result; `body=None` sends no body (204)."""
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    return {
        "statusCode": status,
        "headers": all_headers,
        "body": "" if body is None else to_json(body),
        "isBase64Encoded": False,
    }


def location_of(event: APIGatewayProxyEvent, date: str, time: str) -> str:
    """The message's URL path as the client sees it: with the stage prefix that API Gateway strips from
    `path` but keeps in `requestContext.path`."""
    context_path = (event.get("requestContext") or {}).get("path") or ""
    path = event.get("path") or ""
    prefix = context_path[: -len(path)] if path and context_path.endswith(path) else ""
    return f"{prefix}/message/{date}?time={time}"


def request_id_of(event: APIGatewayProxyEvent, context: Any) -> str:
    from_gateway = (event.get("requestContext") or {}).get("requestId")
    return from_gateway or getattr(context, "aws_request_id", "") or ""


Operation = Callable[[APIGatewayProxyEvent, str], dict[str, Any]]


def api_handler(operation: Operation) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda proxy handler around `operation(event, request_id)`: every failure becomes a JSON error
    response (a 500 says only the request id; the stack trace goes to the log, never to the client)."""

    def handler(raw_event: dict[str, Any], context: Any) -> dict[str, Any]:
        event = APIGatewayProxyEvent(raw_event if isinstance(raw_event, dict) else {})
        request_id = request_id_of(event, context)
        try:
            result = operation(event, request_id)
        except ApiError as err:
            result = err.response()
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id})
            result = ApiError(500, "InternalError", f"internal error; request id {request_id}").response()
        logger.info(
            "handled",
            extra={
                "request_id": request_id,
                "method": event.get("httpMethod"),
                "path": event.get("path"),
                "status": result["statusCode"],
            },
        )
        return result

    handler.__doc__ = operation.__doc__
    return handler
