"""The Step Functions API over HTTP: the AWS JSON 1.0 protocol, so boto3 and the AWS CLI work unchanged.

AWS's wire format is small: every call is `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` and a
JSON body of the API's parameters; the answer is JSON with timestamps as epoch seconds, and an error is a 400
with `{"__type": "<Code>", "message": "..."}` from which botocore builds `client.exceptions.<Code>`.
This module only translates that format to calls of `service.StepFunctions` (`StartExecution` ->
`service.start_execution(**body)`); all behaviour lives in the service.

Run a standalone engine: `python -m workflow.engine.http_api --host 127.0.0.1 --port 4566`.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from werkzeug.wrappers import Request, Response

from workflow.engine.backend import LambdaResult
from workflow.engine.errors import ServiceError
from workflow.engine.json_format import compact_json, decimal_number
from workflow.engine.time_format import epoch_seconds

TARGET_PREFIX = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/states/aws4_request")

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_stepfunctions_request(environ: Mapping[str, Any]) -> bool:
    """True for a request meant for Step Functions, so a gateway sharing one port can route it here.

    The target header is decisive; the SigV4 credential scope (`.../states/aws4_request`) also identifies
    Step Functions requests whose target header a proxy might have dropped.
    """
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target.startswith(TARGET_PREFIX):
        return True
    if target:
        return False
    return bool(_CREDENTIAL_SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", ""))))


def snake_case(operation: str) -> str:
    """`StartExecution` -> `start_execution`, the service's method name (boto3's naming)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", operation).lower()


@dataclass(frozen=True)
class _OperationShape:
    members: frozenset[str]
    required: frozenset[str]


@cache
def _operation_shapes() -> dict[str, _OperationShape]:
    """Operation names and input members from botocore's model of the real API (shipped with boto3)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("stepfunctions")
    shapes: dict[str, _OperationShape] = {}
    for name in model.operation_names:
        input_shape = model.operation_model(name).input_shape
        members = frozenset(input_shape.members) if input_shape is not None else frozenset()
        required = frozenset(input_shape.required_members) if input_shape is not None else frozenset()
        shapes[name] = _OperationShape(members, required)
    return shapes


def to_wire(value: Any) -> Any:
    """API response value -> JSON value: datetimes become epoch seconds as the JSON protocol sends them."""
    if isinstance(value, datetime | date):
        return epoch_seconds(value)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, Decimal):
        return decimal_number(value)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _json_response(body: Any, status: int = 200, request_id: str | None = None) -> Response:
    response = Response(compact_json(body, ensure_ascii=True), status=status, content_type=CONTENT_TYPE)
    response.headers["x-amzn-RequestId"] = request_id or str(uuid.uuid4())
    return response


def error_response(code: str, message: str, status: int = 400) -> Response:
    """AWS JSON error body; botocore reads `__type` as the error code."""
    response = _json_response({"__type": code, "message": message}, status=status)
    response.headers["x-amzn-ErrorType"] = code
    return response


def _validation_error(problems: list[str]) -> Response:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    message = f"{count} validation {noun} detected: " + "; ".join(problems)
    return error_response("ValidationException", message)


def _call(service: object, operation: str, body: dict[str, Any]) -> Response:
    shape = _operation_shapes().get(operation)
    method = getattr(service, snake_case(operation), None)
    if shape is None or method is None or not callable(method):
        detail = "" if shape is None else " (not implemented by the local engine)"
        return error_response("UnknownOperationException", f"Operation {operation} is not supported{detail}")
    missing = sorted(m for m in shape.required if body.get(m) is None)
    if missing:
        return _validation_error(
            [f"Value null at '{m}' failed to satisfy constraint: Member must not be null" for m in missing]
        )
    # AWS ignores members its model does not know (forward compatibility); a member AWS knows but the local
    # service does not take is refused, so nothing a caller asked for is silently dropped.
    kwargs = {k: v for k, v in body.items() if k in shape.members}
    params = inspect.signature(method).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unsupported = sorted(k for k in kwargs if not takes_any and k not in params)
    if unsupported:
        return error_response(
            "ValidationException",
            f"{operation}: parameter(s) {', '.join(unsupported)} not supported by the local engine",
        )
    try:
        result = method(**kwargs)
    except ServiceError as exc:
        return error_response(exc.code, exc.message, exc.status)
    except Exception as exc:  # an engine bug must still answer in AWS's format, not as an HTML page
        log.exception("%s failed", operation)
        return error_response("InternalFailure", f"{type(exc).__name__}: {exc}", 500)
    return _json_response(to_wire(result) if result is not None else {})


def make_app(service: object) -> WSGIApp:
    """A WSGI application answering the Step Functions API with `service`: any object with the API's
    snake_case methods (a `service.StepFunctions`; the protocol tests use a small fake)."""

    @Request.application
    def app(request: Request) -> Response:
        target = request.headers.get("X-Amz-Target", "")
        if request.method != "POST":
            return error_response("UnknownOperationException", "Step Functions only answers POST /", 404)
        if not target.startswith(TARGET_PREFIX):
            return error_response("UnknownOperationException", f"Unknown target {target!r}")
        operation = target[len(TARGET_PREFIX) :]
        raw = request.get_data()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError) as exc:
            return error_response("SerializationException", f"Request body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            return error_response("SerializationException", "Request body must be a JSON object")
        return _call(service, operation, body)

    return app


class EndpointBackend:
    """A Backend whose AWS clients point at one endpoint (AWS_ENDPOINT_URL), e.g. the twin or moto's server.

    Used by the standalone server only; the twin brings its own backend with its local Lambda runtime.
    """

    def __init__(self, endpoint_url: str | None, region: str, account: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
            )
        return self._clients[service]

    def invoke_lambda(
        self,
        function_name: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> LambdaResult:
        from botocore.exceptions import ClientError

        kwargs: dict[str, Any] = {
            "FunctionName": function_name,
            "Payload": payload,
            "InvocationType": invocation_type,
        }
        if client_context:
            kwargs["ClientContext"] = client_context
        try:
            response = self.client("lambda").invoke(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
            raise ServiceError(
                str(error.get("Code", "ServiceException")), str(error.get("Message", "")), status
            ) from exc
        body = response.get("Payload")
        return LambdaResult(
            status_code=int(response.get("StatusCode", 200)),
            payload=body.read() if body is not None else b"",
            request_id=str(response.get("ResponseMetadata", {}).get("RequestId", uuid.uuid4())),
            function_error=response.get("FunctionError"),
            executed_version=str(response.get("ExecutedVersion", "$LATEST")),
            log_result=response.get("LogResult"),
        )


def main(argv: list[str] | None = None) -> None:
    """Serve a standalone engine; its tasks reach S3/SQS/DynamoDB/Lambda at AWS_ENDPOINT_URL if set."""
    from werkzeug.serving import run_simple

    from workflow.config import LOCAL_ACCOUNT, LOCAL_REGION
    from workflow.engine.service import StepFunctions

    parser = argparse.ArgumentParser(prog="python -m workflow.engine.http_api", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", LOCAL_REGION))
    parser.add_argument("--account", default=LOCAL_ACCOUNT)
    args = parser.parse_args(argv)
    backend = EndpointBackend(os.environ.get("AWS_ENDPOINT_URL"), args.region, args.account)
    service = StepFunctions(backend, region=args.region, account=args.account)
    logging.basicConfig(level=logging.INFO)
    run_simple(args.host, args.port, make_app(service), threaded=True)


if __name__ == "__main__":
    main()
