"""Lambda: `arn:aws:states:::lambda:invoke` (the optimized integration) and plain function ARNs.

Results and errors as AWS returns them ("Invoke a Lambda function with Step Functions"): the optimized
integration wraps the function's payload with its status, version and HTTP metadata; a plain function ARN
returns the payload alone. A function error is named after the errorType the runtime reported.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from workflow.engine.backend import Backend, LambdaResult
from workflow.engine.errors import RUNTIME, StatesError
from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import TaskCall
from workflow.engine.json_format import compact_json
from workflow.engine.time_format import http_date

NAMES = sdk.ServiceNames("Lambda", "AWSLambdaException", "AWSLambda")


def _headers(result: LambdaResult) -> dict[str, str]:
    """The headers Lambda's Invoke answers with, as recorded in a lambda:invoke result
    (evaluate_jsonata/test_base_evaluate_expressions.py::test_base_task): JSON body, its length, keep-alive,
    the date, a trace id, the executed version and the remapped content length."""
    trace = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0"
    return {
        "Connection": "keep-alive",
        "Content-Length": str(len(result.payload)),
        "Content-Type": "application/json",
        "Date": http_date(),
        "X-Amz-Executed-Version": result.executed_version,
        "x-amzn-Remapped-Content-Length": "0",
        "X-Amzn-Trace-Id": trace,
    }


def _function_error(result: LambdaResult) -> StatesError:
    """A function error: the name is the errorType the runtime reported, the cause the error payload."""
    text = result.payload.decode("utf-8", errors="replace")
    error = "Lambda.Unknown"
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("errorType"), str) and body["errorType"]:
        error = body["errorType"]
    return StatesError(error, text)


def _parse_payload(payload: bytes) -> Any:
    if not payload:
        return ""
    text = payload.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _invoke(
    backend: Backend, function_name: str, payload: Any, invocation_type: str, client_context: str | None
) -> LambdaResult:
    # Payload is a JSON value whatever its type: a string is sent as a JSON string, as AWS does.
    data = b"{}" if payload is None else compact_json(payload).encode("utf-8")
    try:
        return backend.invoke_lambda(function_name, data, invocation_type, client_context)
    except StatesError:
        raise
    except Exception as exc:
        raise sdk.optimized_error(NAMES, exc) from exc


def invoke(call: TaskCall) -> Any:
    """`lambda:invoke`: the function's result wrapped as the Invoke API answers (Payload, StatusCode...)."""
    params = call.params
    if not isinstance(params, Mapping) or not params.get("FunctionName"):
        raise StatesError(RUNTIME, "The field 'FunctionName' is required for the lambda:invoke integration")
    name = str(params["FunctionName"])
    if params.get("Qualifier"):
        name = f"{name}:{params['Qualifier']}"
    invocation_type = str(params.get("InvocationType", "RequestResponse"))
    result = _invoke(call.backend, name, params.get("Payload"), invocation_type, params.get("ClientContext"))
    if result.function_error:
        raise _function_error(result)
    output: dict[str, Any] = {
        "ExecutedVersion": result.executed_version,
        "Payload": _parse_payload(result.payload),
    }
    if params.get("LogType") == "Tail" and result.log_result is not None:
        output["LogResult"] = result.log_result
    output.update(sdk.http_metadata(result.status_code, result.request_id, _headers(result)))
    output["StatusCode"] = result.status_code
    return output


def invoke_function_arn(call: TaskCall) -> Any:
    """Plain function ARN: the effective input is the payload, the output is the function's result."""
    payload = call.params if call.params is not None else {}
    result = _invoke(call.backend, call.ref.resource, payload, "RequestResponse", None)
    if result.function_error:
        raise _function_error(result)
    return _parse_payload(result.payload)
