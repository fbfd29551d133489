"""Calling an AWS API the way Step Functions does: the response metadata it adds and the error names it uses.

Optimized integrations name errors `<Prefix>.<Exception>` with an AWS SDK for Java v1 style cause; the
aws-sdk integrations use the service's PascalCase name and a v2 style cause (see `aws_sdk.py`). Each
service module declares its names as a `ServiceNames`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.engine.errors import RUNTIME, ServiceError, StatesError
from workflow.engine.json_format import compact_json, sdk_json_value


@dataclass(frozen=True)
class ServiceNames:
    """How AWS names an optimized integration's errors."""

    prefix: str  # error-name prefix: "SQS" in `SQS.QueueDoesNotExistException`
    generic_exception: str  # reported when the service's code is not a modelled exception
    title: str  # the service name in causes (AWS SDK for Java v1 style, as recorded:
    # error_handling/test_task_service_{dynamodb,lambda,sqs}.snapshot.json)


def request_id() -> str:
    return str(uuid.uuid4())


def not_recognized(resource: str) -> StatesError:
    return StatesError(
        RUNTIME,
        f"The resource provided {resource} is not recognized. The value is not a "
        "valid resource ARN, or the resource is not available in this region.",
    )


def http_metadata(status: int, req_id: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The SdkHttpMetadata/SdkResponseMetadata pair AWS adds to optimized integration results."""
    all_headers = {"Content-Type": ["application/x-amz-json-1.0"], "x-amzn-RequestId": [req_id]}
    for name, value in (headers or {}).items():
        all_headers[name] = [value]
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": all_headers,
            "HttpHeaders": {name: values[0] for name, values in all_headers.items()},
            "HttpStatusCode": status,
        },
        "SdkResponseMetadata": {"RequestId": req_id},
    }


def with_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    """A boto3 response as an optimized integration's result: JSON values plus AWS's HTTP metadata."""
    meta = response.get("ResponseMetadata", {})
    result = {k: sdk_json_value(v) for k, v in response.items() if k != "ResponseMetadata"}
    result.update(http_metadata(meta.get("HTTPStatusCode", 200), meta.get("RequestId") or request_id()))
    return result


def as_text(value: Any) -> str:
    """A parameter AWS accepts as either a JSON object or a string (MessageBody, Input, Detail)."""
    if isinstance(value, str):
        return value
    return compact_json(value)


def params_object(params: Any, integration: str) -> dict[str, Any]:
    """The task's parameters as keyword arguments, or States.Runtime if they are not a JSON object."""
    if not isinstance(params, Mapping):
        raise StatesError(RUNTIME, f"The parameters of the {integration} integration must be a JSON object")
    return dict(params)


def optimized_cause(names: ServiceNames, status: int, code: str, message: str) -> str:
    """An optimized integration's cause as recorded on AWS, e.g. `Requested resource not found
    (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException;
    Request ID: ...; Proxy: null)`."""
    return (
        f"{message} (Service: {names.title}; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {request_id()}; Proxy: null)"
    )


def client_error_parts(exc: Exception) -> tuple[str, str, int] | None:
    """(code, message, status) of a botocore ClientError, a ServiceError, or None for anything else."""
    if isinstance(exc, ServiceError):
        return exc.code, exc.message, exc.status
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        err = response["Error"]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        return str(err.get("Code", "")), str(err.get("Message", "")), int(status)
    return None


def modelled_exception(exc: Exception, client: Any, code: str) -> str | None:
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


def with_exception_suffix(name: str) -> str:
    """ "Include the Exception suffix even if it is not part of the service's error name." (AWS)"""
    return name if name.endswith("Exception") else name + "Exception"


def optimized_error(names: ServiceNames, exc: Exception, client: Any = None) -> StatesError:
    """An optimized integration's API error as AWS names it: `<Prefix>.<Exception>`."""
    parts = client_error_parts(exc)
    if parts is None:
        return StatesError(f"{names.prefix}.SdkClientException", str(exc))
    code, message, status = parts
    # A code the SDK does not model is reported as the service's generic exception, as recorded
    # (DynamoDB ValidationException -> DynamoDB.AmazonDynamoDBException; SQS MissingParameter ->
    # SQS.AmazonSQSException). ServiceErrors (a local backend's) name their code directly.
    modelled = modelled_exception(exc, client, code)
    if modelled:
        name = modelled
    elif code and "." not in code and (client is None or isinstance(exc, ServiceError)):
        name = code
    else:
        name = names.generic_exception
    error = f"{names.prefix}.{with_exception_suffix(name)}"
    return StatesError(error, optimized_cause(names, status, code, message))


def call(names: ServiceNames, client: Any, request: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """`request()` (one client call), its errors named as the optimized integration `names` reports them."""
    try:
        response = request()
    except Exception as exc:
        raise optimized_error(names, exc, client) from exc
    return dict(response)
