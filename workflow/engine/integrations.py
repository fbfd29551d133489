"""Task state service integrations: what a `Resource` ARN means and how the call is made.

Results and error names follow what AWS Step Functions returns for each integration ("Integrating
services with Step Functions", "Invoke a Lambda function", "Discover service integration patterns",
"Learning to use AWS service SDK integrations"), so Retry/Catch blocks and ResultSelectors written
against AWS work unchanged here.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow.engine.backend import Backend, LambdaResult
from workflow.engine.errors import RUNTIME, TASK_FAILED, TIMEOUT, ServiceError, StatesError

REQUEST_RESPONSE = "REQUEST_RESPONSE"
RUN_JOB = "RUN_JOB"  # .sync
RUN_JOB_2 = "RUN_JOB_2"  # .sync:2
WAIT_FOR_TASK_TOKEN = "WAIT_FOR_TASK_TOKEN"

_SUFFIX_PATTERNS = {".sync:2": RUN_JOB_2, ".sync": RUN_JOB, ".waitForTaskToken": WAIT_FOR_TASK_TOKEN}
_PATTERN_SUFFIX = {v: k for k, v in _SUFFIX_PATTERNS.items()}

# Optimized integrations this engine implements, with the patterns AWS supports for each
# ("Integrating optimized services with Step Functions" table).
_OPTIMIZED: dict[tuple[str, str], frozenset[str]] = {
    ("lambda", "invoke"): frozenset({REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN}),
    ("sqs", "sendMessage"): frozenset({REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN}),
    ("dynamodb", "getItem"): frozenset({REQUEST_RESPONSE}),
    ("dynamodb", "putItem"): frozenset({REQUEST_RESPONSE}),
    ("dynamodb", "updateItem"): frozenset({REQUEST_RESPONSE}),
    ("dynamodb", "deleteItem"): frozenset({REQUEST_RESPONSE}),
    ("states", "startExecution"): frozenset({REQUEST_RESPONSE, RUN_JOB, RUN_JOB_2, WAIT_FOR_TASK_TOKEN}),
    ("events", "putEvents"): frozenset({REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN}),
    ("sns", "publish"): frozenset({REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN}),
}

# Error-name prefix AWS uses for each optimized integration, and the catch-all exception it reports
# when the service's error code is not a modelled exception.
_OPTIMIZED_ERROR_PREFIX = {
    "lambda": "Lambda",
    "sqs": "SQS",
    "dynamodb": "DynamoDB",
    "states": "StepFunctions",
    "events": "EventBridge",
    "sns": "SNS",
}
_GENERIC_EXCEPTION = {
    "lambda": "AWSLambdaException",
    "sqs": "AmazonSQSException",
    "dynamodb": "AmazonDynamoDBException",
    "states": "AWSStepFunctionsException",
    "events": "AmazonEventBridgeException",
    "sns": "AmazonSNSException",
}
# The service names optimized integrations put in their causes (AWS SDK for Java v1 style, as recorded:
# error_handling/test_task_service_{dynamodb,lambda,sqs}.snapshot.json)
_SERVICE_TITLE = {
    "lambda": "AWSLambda",
    "sqs": "AmazonSQS",
    "dynamodb": "AmazonDynamoDBv2",
    "states": "AWSStepFunctions",
    "events": "AmazonEventBridge",
    "sns": "AmazonSNS",
}

# aws-sdk service names (as written in the ARN) whose boto3 client name differs.
_SDK_TO_BOTO3 = {
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "cloudwatch": "cloudwatch",
    "apigateway": "apigateway",
    "lambda": "lambda",
}
# PascalCase service names AWS uses in aws-sdk error names where a plain capitalisation is wrong.
_SDK_ERROR_PREFIX = {
    "s3": "S3",
    "sqs": "Sqs",
    "sns": "Sns",
    "dynamodb": "DynamoDb",
    "sfn": "Sfn",
    "eventbridge": "EventBridge",
    "acmpca": "AcmPca",
    "secretsmanager": "SecretsManager",
    "ssm": "Ssm",
    "cloudwatchlogs": "CloudWatchLogs",
    "cloudwatch": "CloudWatch",
    "kinesis": "Kinesis",
    "athena": "Athena",
    "ec2": "Ec2",
    "ecs": "Ecs",
    "iam": "Iam",
    "kms": "Kms",
    "sts": "Sts",
    "lambda": "Lambda",
    "apigateway": "ApiGateway",
}

_STATES_ARN = re.compile(r"^arn:[\w-]+:states:[\w-]*:\d*:(?P<rest>.+)$")
_LAMBDA_ARN = re.compile(r"^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$")


@dataclass
class ResourceRef:
    """A parsed Task `Resource`, with the names AWS shows in taskScheduledEventDetails."""

    service: str  # "lambda", "sqs", ..., or "aws-sdk:<service>"
    action: str  # API action as written in the ARN (camelCase), e.g. "sendMessage"
    pattern: str  # REQUEST_RESPONSE | RUN_JOB | RUN_JOB_2 | WAIT_FOR_TASK_TOKEN
    resource_type: str  # e.g. "lambda", "sqs", "aws-sdk:s3"
    resource: str  # e.g. "invoke", "sendMessage.waitForTaskToken", or the function ARN
    is_lambda_arn: bool = False  # plain function ARN: history uses LambdaFunction* events


@dataclass
class TaskRequest:
    """One attempt of a Task state: the resource and its already-evaluated Parameters/Arguments."""

    resource: str
    parameters: Any
    execution_arn: str
    state_name: str
    task_token: str | None = None
    timeout_s: float | None = None


class TaskCancelled(Exception):
    """Raised by `run_task` when `cancelled()` turned true while waiting for a .sync job."""


def _not_recognized(resource: str) -> StatesError:
    return StatesError(
        RUNTIME,
        f"The resource provided {resource} is not recognized. The value is not a "
        "valid resource ARN, or the resource is not available in this region.",
    )


def parse_resource(resource: str) -> ResourceRef:
    """Parse a Task state's Resource ARN; unknown or unsupported ones raise StatesError(States.Runtime)."""
    if _LAMBDA_ARN.match(resource):
        return ResourceRef("lambda", "invoke", REQUEST_RESPONSE, "lambda", resource, is_lambda_arn=True)
    match = _STATES_ARN.match(resource)
    if not match:
        raise _not_recognized(resource)
    rest = match["rest"]
    pattern = REQUEST_RESPONSE
    for suffix, name in _SUFFIX_PATTERNS.items():
        if rest.endswith(suffix):
            pattern, rest = name, rest[: -len(suffix)]
            break
    parts = rest.split(":")
    if len(parts) == 3 and parts[0] == "aws-sdk" and parts[1] and parts[2]:
        # The AWS SDK integrations support Request Response and Wait for Callback, not .sync.
        if pattern in (RUN_JOB, RUN_JOB_2):
            raise _not_recognized(resource)
        service, action = f"aws-sdk:{parts[1]}", parts[2]
    elif len(parts) == 2 and (parts[0], parts[1]) in _OPTIMIZED:
        service, action = parts[0], parts[1]
        if pattern not in _OPTIMIZED[(service, action)]:
            raise _not_recognized(resource)
    else:
        raise _not_recognized(resource)
    return ResourceRef(service, action, pattern, service, action + _PATTERN_SUFFIX.get(pattern, ""))


# --------------------------------------------------------------------------------------------- helpers


def _request_id() -> str:
    return str(uuid.uuid4())


def _lambda_headers(result: LambdaResult) -> dict[str, str]:
    """The headers Lambda's Invoke answers with, as recorded in a lambda:invoke result
    (evaluate_jsonata/test_base_evaluate_expressions.py::test_base_task): JSON body, its length, keep-alive,
    the date, a trace id, the executed version and the remapped content length."""
    trace = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0"
    return {
        "Connection": "keep-alive",
        "Content-Length": str(len(result.payload)),
        "Content-Type": "application/json",
        "Date": email.utils.formatdate(usegmt=True),
        "X-Amz-Executed-Version": result.executed_version,
        "x-amzn-Remapped-Content-Length": "0",
        "X-Amzn-Trace-Id": trace,
    }


def _http_metadata(status: int, request_id: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The SdkHttpMetadata/SdkResponseMetadata pair AWS adds to optimized integration results."""
    all_headers = {"Content-Type": ["application/x-amz-json-1.0"], "x-amzn-RequestId": [request_id]}
    for name, value in (headers or {}).items():
        all_headers[name] = [value]
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": all_headers,
            "HttpHeaders": {name: values[0] for name, values in all_headers.items()},
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def _with_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    meta = response.get("ResponseMetadata", {})
    result = {k: _jsonable(v) for k, v in response.items() if k != "ResponseMetadata"}
    result.update(_http_metadata(meta.get("HTTPStatusCode", 200), meta.get("RequestId") or _request_id()))
    return result


def _jsonable(value: Any) -> Any:
    """SDK response values as JSON: timestamps as ISO-8601 strings, bytes as base64, streams read."""
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "read") and callable(value.read):
        data = value.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode("ascii")
    return value


def _as_text(value: Any) -> str:
    """A parameter AWS accepts as either a JSON object or a string (MessageBody, Input, Detail)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _cause(service_title: str, status: int, message: str) -> str:
    """An aws-sdk integration's cause (AWS SDK for Java v2 style)."""
    return f"{message} (Service: {service_title}, Status Code: {status}, Request ID: {_request_id()})"


def _optimized_cause(service_title: str, status: int, code: str, message: str) -> str:
    """An optimized integration's cause as recorded on AWS, e.g. `Requested resource not found
    (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException;
    Request ID: ...; Proxy: null)`."""
    return (
        f"{message} (Service: {service_title}; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {_request_id()}; Proxy: null)"
    )


def _client_error_parts(exc: Exception) -> tuple[str, str, int] | None:
    """(code, message, status) of a botocore ClientError, a ServiceError, or None for anything else."""
    if isinstance(exc, ServiceError):
        return exc.code, exc.message, exc.status
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        err = response["Error"]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        return str(err.get("Code", "")), str(err.get("Message", "")), int(status)
    return None


def _modelled_exception(exc: Exception, client: Any, code: str) -> str | None:
    """botocore's modelled exception name for an error (SQS's wire code -> QueueDoesNotExist)."""
    names = [type(exc).__name__]
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and response.get("Error", {}).get("QueryErrorCode"):
        names.append(str(response["Error"]["QueryErrorCode"]))
    if client is not None:
        with contextlib.suppress(Exception):
            names.append(client.exceptions.from_code(code).__name__)
    for name in names:
        if name not in ("", "ClientError", "ServiceError") and "." not in name:
            return name
    return None


def _with_exception_suffix(name: str) -> str:
    return name if name.endswith("Exception") else name + "Exception"


def _optimized_error(service: str, exc: Exception, client: Any = None) -> StatesError:
    """An optimized integration's API error as AWS names it: `<Prefix>.<Exception>`."""
    parts = _client_error_parts(exc)
    if parts is None:
        return StatesError(f"{_OPTIMIZED_ERROR_PREFIX[service]}.SdkClientException", str(exc))
    code, message, status = parts
    # A code the SDK does not model is reported as the service's generic exception, as recorded
    # (DynamoDB ValidationException -> DynamoDB.AmazonDynamoDBException; SQS MissingParameter ->
    # SQS.AmazonSQSException). ServiceErrors (a local backend's) name their code directly.
    modelled = _modelled_exception(exc, client, code)
    if modelled:
        name = modelled
    elif code and "." not in code and (client is None or isinstance(exc, ServiceError)):
        name = code
    else:
        name = _GENERIC_EXCEPTION[service]
    error = f"{_OPTIMIZED_ERROR_PREFIX[service]}.{_with_exception_suffix(name)}"
    return StatesError(error, _optimized_cause(_SERVICE_TITLE[service], status, code, message))


# --------------------------------------------------------------------------------------------- lambda


def _lambda_function_error(result: LambdaResult) -> StatesError:
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
    data = (
        b"{}"
        if payload is None
        else json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    )
    try:
        return backend.invoke_lambda(function_name, data, invocation_type, client_context)
    except StatesError:
        raise
    except Exception as exc:
        raise _optimized_error("lambda", exc) from exc


def _run_lambda_invoke(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    if not isinstance(params, Mapping) or not params.get("FunctionName"):
        raise StatesError(RUNTIME, "The field 'FunctionName' is required for the lambda:invoke integration")
    name = str(params["FunctionName"])
    if params.get("Qualifier"):
        name = f"{name}:{params['Qualifier']}"
    invocation_type = str(params.get("InvocationType", "RequestResponse"))
    result = _invoke(backend, name, params.get("Payload"), invocation_type, params.get("ClientContext"))
    if result.function_error:
        raise _lambda_function_error(result)
    output: dict[str, Any] = {
        "ExecutedVersion": result.executed_version,
        "Payload": _parse_payload(result.payload),
    }
    if params.get("LogType") == "Tail" and result.log_result is not None:
        output["LogResult"] = result.log_result
    output.update(_http_metadata(result.status_code, result.request_id, _lambda_headers(result)))
    output["StatusCode"] = result.status_code
    return output


def _run_lambda_arn(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    """Plain function ARN: the effective input is the payload, the output is the function's result."""
    result = _invoke(backend, ref.resource, params if params is not None else {}, "RequestResponse", None)
    if result.function_error:
        raise _lambda_function_error(result)
    return _parse_payload(result.payload)


# --------------------------------------------------------------------------------------------- others


def _call(service: str, backend: Backend, boto_service: str, method: str, **kwargs: Any) -> dict[str, Any]:
    client = backend.client(boto_service)
    try:
        return getattr(client, method)(**kwargs)
    except Exception as exc:
        raise _optimized_error(service, exc, client) from exc


def _params(params: Any, integration: str) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise StatesError(RUNTIME, f"The parameters of the {integration} integration must be a JSON object")
    return dict(params)


def _run_sqs(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    kwargs = _params(params, "sqs:sendMessage")
    if kwargs.get("MessageBody", None) is None:
        # a null (or no) body reaches SQS as no body at all: its MissingParameter, as recorded
        # (error_handling/test_task_service_sqs.py::test_send_message_empty_body)
        raise StatesError(
            "SQS.AmazonSQSException",
            _optimized_cause(
                _SERVICE_TITLE["sqs"],
                400,
                "MissingParameter",
                "The request must contain the parameter MessageBody.",
            ),
        )
    kwargs["MessageBody"] = _as_text(kwargs["MessageBody"])
    response = _call("sqs", backend, "sqs", "send_message", **kwargs)
    return _with_metadata(response)


def _run_sns(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    kwargs = _params(params, "sns:publish")
    if "Message" in kwargs:
        kwargs["Message"] = _as_text(kwargs["Message"])  # a JSON Message is published as its JSON text
    response = _call("sns", backend, "sns", "publish", **kwargs)
    return _with_metadata(response)


def _run_dynamodb(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    kwargs = _params(params, f"dynamodb:{ref.action}")
    method = {
        "getItem": "get_item",
        "putItem": "put_item",
        "updateItem": "update_item",
        "deleteItem": "delete_item",
    }[ref.action]
    return _with_metadata(_call("dynamodb", backend, "dynamodb", method, **kwargs))


def _run_events(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    kwargs = _params(params, "events:putEvents")
    entries = [dict(e) for e in kwargs.get("Entries", [])]
    for entry in entries:
        if "Detail" in entry:
            entry["Detail"] = _as_text(entry["Detail"])
    kwargs["Entries"] = entries
    response = _call("events", backend, "events", "put_events", **kwargs)
    if response.get("FailedEntryCount", 0):
        # "If there's a failed entry, the task fails with EventBridge.FailedEntry" (connect-eventbridge).
        failed = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        raise StatesError("EventBridge.FailedEntry", json.dumps(failed, separators=(",", ":")))
    return _with_metadata(response)


def _epoch_ms(value: Any) -> Any:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


_DESCRIBE_KEYS = {
    "executionArn": "ExecutionArn",
    "stateMachineArn": "StateMachineArn",
    "name": "Name",
    "status": "Status",
    "startDate": "StartDate",
    "stopDate": "StopDate",
    "input": "Input",
    "inputDetails": "InputDetails",
    "output": "Output",
    "outputDetails": "OutputDetails",
    "error": "Error",
    "cause": "Cause",
    "redriveCount": "RedriveCount",
    "redriveStatus": "RedriveStatus",
    "redriveStatusReason": "RedriveStatusReason",
    "mapRunArn": "MapRunArn",
    "traceHeader": "TraceHeader",
    "redriveDate": "RedriveDate",
}


def _describe_output(described: Mapping[str, Any], parse_output: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in described.items():
        if key == "ResponseMetadata":
            continue
        name = _DESCRIBE_KEYS.get(key, key[:1].upper() + key[1:])
        if isinstance(value, Mapping):
            value = {k[:1].upper() + k[1:]: v for k, v in value.items()}
        out[name] = _epoch_ms(value)
    if parse_output:
        for field in ("Input", "Output"):
            if isinstance(out.get(field), str):
                with contextlib.suppress(ValueError):
                    out[field] = json.loads(out[field])
    return out


def _run_states(
    ref: ResourceRef,
    params: Any,
    backend: Backend,
    *,
    sleep: Callable[[float], None],
    cancelled: Callable[[], bool],
    gave_up: Callable[[], bool],
) -> Any:
    kwargs = _params(params, "states:startExecution")
    call: dict[str, Any] = {"stateMachineArn": kwargs.get("StateMachineArn")}
    if "Input" in kwargs:
        call["input"] = _as_text(kwargs["Input"])
    if kwargs.get("Name"):
        call["name"] = kwargs["Name"]
    if kwargs.get("TraceHeader"):
        call["traceHeader"] = kwargs["TraceHeader"]
    started = _call("states", backend, "stepfunctions", "start_execution", **call)
    if ref.pattern in (REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN):
        result = {"ExecutionArn": started["executionArn"], "StartDate": _epoch_ms(started["startDate"])}
        result.update(_with_metadata({"ResponseMetadata": started.get("ResponseMetadata", {})}))
        return result
    interval = 0.05
    arn = started["executionArn"]
    while True:
        described = _call("states", backend, "stepfunctions", "describe_execution", executionArn=arn)
        if described.get("status") != "RUNNING":
            break
        if gave_up():  # the task timed out: leave the child running, as AWS does, and stop polling
            return None
        if cancelled():
            try:
                _call("states", backend, "stepfunctions", "stop_execution", executionArn=arn)
            finally:
                raise TaskCancelled(arn)
        sleep(interval)
        interval = min(interval * 2, 1.0)
    output = _describe_output(described, parse_output=ref.pattern == RUN_JOB_2)
    if described.get("status") != "SUCCEEDED":
        # The child's failure fails the task, the DescribeExecution output as cause (connect-stepfunctions).
        raise StatesError(
            TASK_FAILED, json.dumps(_describe_output(described, False), separators=(",", ":"), default=str)
        )
    output.update(_with_metadata({"ResponseMetadata": described.get("ResponseMetadata", {})}))
    return output


def _sdk_error_prefix(sdk_service: str) -> str:
    return _SDK_ERROR_PREFIX.get(sdk_service, sdk_service[:1].upper() + sdk_service[1:])


def _snake(action: str) -> str:
    from botocore import xform_name

    return xform_name(action[:1].upper() + action[1:])


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _to_sdk_input(value: Any, shape: Any) -> Any:
    """ASL's PascalCase parameter names to the service's own member names (sfn's are camelCase)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, Mapping):
        members = {_pascal(m): m for m in shape.members}
        out = {}
        for key, item in value.items():
            member = key if key in shape.members else members.get(_pascal(key), key)
            out[member] = _to_sdk_input(item, shape.members.get(member))
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_sdk_input(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, Mapping):
        return {k: _to_sdk_input(v, shape.value) for k, v in value.items()}
    return value


def _from_sdk_output(value: Any, shape: Any) -> Any:
    """SDK response as Step Functions shows it: structure members PascalCase, map keys untouched."""
    if shape is not None and shape.type_name == "structure" and isinstance(value, Mapping):
        return {
            _pascal(k): _from_sdk_output(v, shape.members.get(k))
            for k, v in value.items()
            if k != "ResponseMetadata"
        }
    if shape is not None and shape.type_name == "list" and isinstance(value, list):
        return [_from_sdk_output(v, shape.member) for v in value]
    if shape is not None and shape.type_name == "map" and isinstance(value, Mapping):
        return {k: _from_sdk_output(v, shape.value) for k, v in value.items()}
    return _jsonable(value)


def _run_aws_sdk(ref: ResourceRef, params: Any, backend: Backend) -> Any:
    sdk_service = ref.service.split(":", 1)[1]
    prefix = _sdk_error_prefix(sdk_service)
    client = backend.client(_SDK_TO_BOTO3.get(sdk_service, sdk_service))
    method = _snake(ref.action)
    if not hasattr(client, method):
        raise _not_recognized(f"arn:aws:states:::aws-sdk:{sdk_service}:{ref.action}")
    operation = client.meta.service_model.operation_model(ref.action[:1].upper() + ref.action[1:])
    kwargs = _to_sdk_input(dict(params) if isinstance(params, Mapping) else {}, operation.input_shape)
    try:
        response = getattr(client, method)(**kwargs)
    except Exception as exc:
        parts = _client_error_parts(exc)
        if parts is None:
            # Parameter validation happens in the SDK before any request, as AWS's SDK client does.
            raise StatesError(f"{prefix}.SdkClientException", str(exc)) from exc
        code, message, status = parts
        # A code the SDK does not model is the service's generic exception, as recorded in
        # error_handling/test_aws_sdk.py (DynamoDb ValidationException -> DynamoDb.DynamoDbException,
        # SecretsManager -> SecretsManager.SecretsManagerException); modelled ones keep their name.
        modelled = _modelled_exception(exc, client, code)
        if modelled is None and isinstance(exc, ServiceError):
            modelled = code.rsplit(".", 1)[-1] or None
        name = modelled or f"{prefix}Exception"
        cause = _cause(prefix, status, message)
        if (
            sdk_service == "s3"
        ):  # S3 answers with an extended request id too (test_aws_sdk::test_no_such_bucket)
            cause = cause[:-1] + f", Extended Request ID: {_request_id()})"
        # "Include the Exception suffix even if it is not part of the service's error name."
        raise StatesError(f"{prefix}.{_with_exception_suffix(name)}", cause) from exc
    return _from_sdk_output(response, operation.output_shape)


Waiter = Callable[[threading.Event, "float | None"], bool]


def _dispatch(
    ref: ResourceRef,
    request: TaskRequest,
    backend: Backend,
    *,
    sleep: Callable[[float], None],
    cancelled: Callable[[], bool],
    gave_up: Callable[[], bool],
) -> Any:
    params = request.parameters
    if ref.is_lambda_arn:
        return _run_lambda_arn(ref, params, backend)
    if ref.service == "lambda":
        return _run_lambda_invoke(ref, params, backend)
    if ref.service == "sqs":
        return _run_sqs(ref, params, backend)
    if ref.service == "dynamodb":
        return _run_dynamodb(ref, params, backend)
    if ref.service == "sns":
        return _run_sns(ref, params, backend)
    if ref.service == "events":
        return _run_events(ref, params, backend)
    if ref.service == "states":
        return _run_states(ref, params, backend, sleep=sleep, cancelled=cancelled, gave_up=gave_up)
    if ref.service.startswith("aws-sdk:"):
        return _run_aws_sdk(ref, params, backend)
    raise _not_recognized(request.resource)


def _within_timeout(
    call: Callable[[Callable[[], bool]], Any],
    timeout: float,
    wait: Waiter,
    cancelled: Callable[[], bool],
    execution_arn: str,
) -> Any:
    """Run `call` in a worker thread and give up after `timeout` seconds of the engine's (virtual) time.

    As on AWS, a task that runs past TimeoutSeconds fails with States.Timeout; the call itself (a Lambda
    function, say) is not interrupted, its late result is dropped.
    """
    done = threading.Event()
    abandoned = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call(abandoned.is_set)
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="sfn-task-call", daemon=True).start()
    remaining = float(timeout)
    while not done.is_set():
        if remaining <= 0:
            abandoned.set()
            raise StatesError(TIMEOUT, "")
        step = min(remaining, 1.0)  # re-check cancellation at least every virtual second
        if wait(done, step):
            break
        remaining -= step
        if cancelled():
            abandoned.set()
            raise TaskCancelled(execution_arn)
    if "error" in box:
        raise box["error"]
    return box.get("result")


def run_task(
    request: TaskRequest,
    backend: Backend,
    *,
    sleep: Callable[[float], None],
    cancelled: Callable[[], bool],
    wait: Waiter | None = None,
) -> Any:
    """Perform one Task attempt and return its result as AWS's integration returns it.

    For `.waitForTaskToken` resources it sends the request and returns the service's response, which the
    history records in the TaskSubmitted event; the executor then waits for SendTaskSuccess/Failure/
    Heartbeat. Errors raise StatesError with AWS's error names. When the
    request has a timeout, the call runs in a worker thread and States.Timeout is raised once `timeout_s`
    passes on the engine's clock: `wait` is the clock's `wait(event, seconds)` (by default taken from the
    clock that `sleep` belongs to); without one the call runs inline, unbounded.
    """
    ref = parse_resource(request.resource)
    if wait is None:
        wait = getattr(getattr(sleep, "__self__", None), "wait", None)
    if request.timeout_s is None or wait is None:
        return _dispatch(ref, request, backend, sleep=sleep, cancelled=cancelled, gave_up=lambda: False)
    return _within_timeout(
        lambda gave_up: _dispatch(ref, request, backend, sleep=sleep, cancelled=cancelled, gave_up=gave_up),
        request.timeout_s,
        wait,
        cancelled,
        request.execution_arn,
    )
