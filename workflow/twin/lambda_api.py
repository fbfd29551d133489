"""Lambda's REST API (the part the twin needs) as a WSGI app: ListFunctions, GetFunction, Invoke.

Shaped as boto3's `lambda` client and `aws lambda invoke` call it (`/2015-03-31/functions/...`), so handlers,
the engine's Backend and users can all reach the in-process functions through the one endpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from workflow.config import FunctionSpec
from workflow.engine.errors import ServiceError
from workflow.twin.lambdas import RUNTIME, LambdaRuntime

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

PREFIX = "/2015-03-31/functions"
_LOADED_AT = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def function_configuration(runtime: LambdaRuntime, spec: FunctionSpec) -> dict[str, Any]:
    """FunctionConfiguration as Lambda's API returns it."""
    variables = runtime.config.function_env(spec.key)
    return {
        "FunctionName": spec.name,
        "FunctionArn": runtime.arn(spec),
        "Runtime": RUNTIME,
        "Role": f"arn:aws:iam::{runtime.account}:role/{spec.name}-role",
        "Handler": spec.handler,
        "CodeSize": 0,
        "Description": f"tasks/{spec.folder}",
        "Timeout": spec.timeout_s,
        "MemorySize": spec.memory_mb,
        "LastModified": _LOADED_AT,
        "CodeSha256": hashlib.sha256(f"{spec.folder}/{spec.handler}".encode()).hexdigest(),
        "Version": "$LATEST",
        "Environment": {"Variables": variables},
        "TracingConfig": {"Mode": "PassThrough"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
    }


class LambdaApi:
    """WSGI app for `/2015-03-31/functions/...` backed by a LambdaRuntime."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ServiceError as exc:
            response = _error(exc.code, exc.message, exc.status)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = unquote(request.path)
        if not path.startswith(PREFIX):
            raise ServiceError("ResourceNotFoundException", f"Unknown path {path}", 404)
        parts = [p for p in path[len(PREFIX) :].split("/") if p]
        if not parts and request.method == "GET":
            functions = [function_configuration(self.runtime, s) for s in self.runtime.config.functions]
            return _json({"Functions": functions})
        if len(parts) == 1 and request.method == "GET":
            spec = self.runtime.resolve(parts[0])
            return _json(
                {
                    "Configuration": function_configuration(self.runtime, spec),
                    "Code": {"RepositoryType": "S3", "Location": f"file://tasks/{spec.folder}"},
                    "Tags": {},
                }
            )
        if len(parts) == 2 and parts[1] == "configuration" and request.method == "GET":
            return _json(function_configuration(self.runtime, self.runtime.resolve(parts[0])))
        if len(parts) == 2 and parts[1] == "invocations" and request.method == "POST":
            return self.invoke(request, parts[0])
        raise ServiceError("ResourceNotFoundException", f"Unsupported call {request.method} {path}", 404)

    def invoke(self, request: Request, name: str) -> Response:
        qualifier = request.args.get("Qualifier")
        if qualifier and qualifier != "$LATEST":
            name = f"{name}:{qualifier}"
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        result = self.runtime.invoke(
            name, request.get_data(), invocation_type, request.headers.get("X-Amz-Client-Context")
        )
        headers = {"x-amzn-RequestId": result.request_id, "X-Amz-Executed-Version": result.executed_version}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if request.headers.get("X-Amz-Log-Type") == "Tail" and result.log_result is not None:
            headers["X-Amz-Log-Result"] = result.log_result
        return Response(
            result.payload, status=result.status_code, headers=headers, content_type="application/json"
        )


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(code: str, message: str, status: int) -> Response:
    response = _json({"Type": "User", "message": message}, status)
    response.headers["x-amzn-ErrorType"] = code
    return response
