"""The AWS SDK integrations: `arn:aws:states:::aws-sdk:<service>:<apiAction>` for any service boto3 knows
("Use AWS SDK service integrations"). Parameters are the API's (PascalCase, mapped onto the service's own
member names), the answer its response with PascalCase members; errors are `<Service>.<Exception>`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.engine.errors import ServiceError, StatesError
from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import TaskCall
from workflow.engine.json_format import sdk_json_value

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


def boto3_service(sdk_service: str) -> str:
    """The boto3 client name of an aws-sdk service name (`sfn` -> `stepfunctions`)."""
    return _SDK_TO_BOTO3.get(sdk_service, sdk_service)


def _error_prefix(sdk_service: str) -> str:
    return _SDK_ERROR_PREFIX.get(sdk_service, sdk_service[:1].upper() + sdk_service[1:])


def _snake(action: str) -> str:
    from botocore import xform_name

    return str(xform_name(action[:1].upper() + action[1:]))


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
    return sdk_json_value(value)


def call_api(call: TaskCall) -> Any:
    """One API action of any service, by its boto3 client."""
    ref = call.ref
    sdk_service = ref.service.split(":", 1)[1]
    prefix = _error_prefix(sdk_service)
    client = call.backend.client(boto3_service(sdk_service))
    method = _snake(ref.action)
    if not hasattr(client, method):
        raise sdk.not_recognized(f"arn:aws:states:::aws-sdk:{sdk_service}:{ref.action}")
    operation = client.meta.service_model.operation_model(_pascal(ref.action))
    params = call.params
    kwargs = _to_sdk_input(dict(params) if isinstance(params, Mapping) else {}, operation.input_shape)
    try:
        response = getattr(client, method)(**kwargs)
    except Exception as exc:
        parts = sdk.client_error_parts(exc)
        if parts is None:
            # Parameter validation happens in the SDK before any request, as AWS's SDK client does.
            raise StatesError(f"{prefix}.SdkClientException", str(exc)) from exc
        code, message, status = parts
        # A code the SDK does not model is the service's generic exception, as recorded in
        # error_handling/test_aws_sdk.py (DynamoDb ValidationException -> DynamoDb.DynamoDbException,
        # SecretsManager -> SecretsManager.SecretsManagerException); modelled ones keep their name.
        modelled = sdk.modelled_exception(exc, client, code)
        if modelled is None and isinstance(exc, ServiceError):
            modelled = code.rsplit(".", 1)[-1] or None
        name = modelled or f"{prefix}Exception"
        # An aws-sdk integration's cause is AWS SDK for Java v2 style.
        cause = f"{message} (Service: {prefix}, Status Code: {status}, Request ID: {sdk.request_id()})"
        if sdk_service == "s3":  # an extended request id too (test_aws_sdk::test_no_such_bucket)
            cause = cause[:-1] + f", Extended Request ID: {sdk.request_id()})"
        raise StatesError(f"{prefix}.{sdk.with_exception_suffix(name)}", cause) from exc
    return _from_sdk_output(response, operation.output_shape)
