"""TestState's `mock` (19 November 2025): a canned result or error instead of the state's integration.

The rules and messages are AWS's, as recorded in localstack/localstack
tests/aws/services/stepfunctions/v2/test_state/test_state_mock_validation.snapshot.json and
test_field_validation_mode.snapshot.json:

- Pass, Fail and Succeed take no mock; Map and Parallel need one; `result` and `errorOutput` exclude each
  other; `revealSecrets` is refused with a mock;
- a Map's mocked result is an array (an object when it has a ResultWriter), a Parallel's an array with one
  item per branch;
- a Task's mocked result is checked against the API's output shape by `fieldValidationMode`: STRICT (the
  default) checks types, enums, bounds and required fields, PRESENT only the fields present, NONE nothing.
  Fields the API does not define are accepted in every mode.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from workflow.engine.errors import ServiceError
from workflow.engine.integrations import parse_resource
from workflow.engine.integrations.aws_sdk import boto3_service
from workflow.engine.mock_config import MockedResponse

NO_MOCK_TYPES = ("Pass", "Fail", "Succeed")
VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")
# optimized integrations -> (botocore service, operation); aws-sdk resources name theirs directly
_OPTIMIZED = {
    "lambda": "lambda",
    "sqs": "sqs",
    "sns": "sns",
    "dynamodb": "dynamodb",
    "events": "events",
    "states": "stepfunctions",
}


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _load(mock: Any) -> dict[str, Any]:
    if isinstance(mock, str):
        try:
            mock = json.loads(mock)
        except ValueError as exc:
            raise _invalid(f"The mock is not valid JSON: {exc}") from None
    if not isinstance(mock, Mapping):
        raise _invalid("The mock must be an object with a result or an errorOutput")
    return dict(mock)


def check_state_takes_mock(spec: Mapping[str, Any], mock: Any, reveal_secrets: bool) -> dict[str, Any] | None:
    """The mock, validated against the state; None when there is none (Map/Parallel then refused)."""
    kind = spec.get("Type")
    if mock is None:
        if kind in ("Map", "Parallel"):
            raise ServiceError(
                "InvalidDefinition",
                "TestState API does not support Map or Parallel states. Supported state types include: "
                "[Task, Wait, Pass, Succeed, Fail, Choice]",
            )
        return None
    loaded = _load(mock)
    if "result" in loaded and "errorOutput" in loaded:
        raise _invalid("A test mock should have only one of the following fields: [result, errorOutput].")
    if "result" not in loaded and "errorOutput" not in loaded:
        raise _invalid("A test mock should have one of the following fields: [result, errorOutput].")
    if reveal_secrets:
        raise _invalid("TestState does not support RevealSecrets when a mock is specified.")
    if kind in NO_MOCK_TYPES or kind in ("Wait", "Choice"):
        raise _invalid(f"State type '{kind}' is not supported when a mock is specified")
    mode = loaded.get("fieldValidationMode", "STRICT")
    if mode not in VALIDATION_MODES:
        raise _invalid(f"fieldValidationMode must be one of {list(VALIDATION_MODES)}")
    return loaded


def mocked_response(spec: Mapping[str, Any], mock: Mapping[str, Any]) -> MockedResponse:
    """The canned outcome, after the result checks AWS makes for this state."""
    if "errorOutput" in mock:
        error_output = mock["errorOutput"] or {}
        return MockedResponse(error=str(error_output.get("error", "")), cause=error_output.get("cause"))
    text = mock["result"]
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        raise _invalid("Mocked result must be a valid JSON string.") from None
    kind = spec.get("Type")
    if kind == "Map":
        if "ResultWriter" in spec and not isinstance(value, dict):
            raise _invalid("Mocked result must be a JSON object.")
        if "ResultWriter" not in spec and not isinstance(value, list):
            raise _invalid("Mocked result must be an array.")
    elif kind == "Parallel":
        if not isinstance(value, list):
            raise _invalid("Mocked result must be an array.")
        if len(value) != len(spec.get("Branches") or []):
            raise _invalid(
                "Mocked result must contain the same number of items as number of Parallel branches."
            )
    elif kind == "Task":
        mode = mock.get("fieldValidationMode", "STRICT")
        shape = _output_shape(str(spec.get("Resource", "")))
        if mode != "NONE" and shape is not None:
            problem = _check(value, shape, "", required=mode == "STRICT")
            if problem:
                raise _invalid(f"Mock result schema validation error: {problem}")
    return MockedResponse(value=value)


class SingleMock:
    """A mock configuration answering every invocation of the tested state with the one response."""

    def __init__(self, response: MockedResponse) -> None:
        self.response = response

    def response_for(self, machine: str, test_case: str, state: str, invocation: int) -> MockedResponse:
        return self.response


@functools.cache
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _output_shape(resource: str) -> Any:
    """The output shape of the API a Task resource calls, or None (a plain function ARN, an activity)."""
    try:
        ref = parse_resource(resource)
    except Exception:
        return None
    if ref.is_lambda_arn:
        return None
    if ref.service.startswith("aws-sdk:"):
        sdk = ref.service.split(":", 1)[1]
        service = boto3_service(sdk)
    elif ref.service in _OPTIMIZED:
        service = _OPTIMIZED[ref.service]
    else:
        return None
    action = ref.action[:1].upper() + ref.action[1:]
    try:
        return _service_model(service).operation_model(action).output_shape
    except Exception:
        return None


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _check(value: Any, shape: Any, name: str, *, required: bool) -> str | None:
    """The first way `value` breaks `shape`, worded as AWS words it; None when it fits."""
    kind = shape.type_name
    metadata = shape.metadata
    if kind == "structure":
        if not isinstance(value, Mapping):
            return f"Field '{name}' must be an object"
        members = {_pascal(m): s for m, s in shape.members.items()}
        if required:
            for member in shape.required_members:
                if _pascal(member) not in value:
                    return f"Required field '{_pascal(member)}' is missing"
        for key, item in value.items():
            if key in members and (problem := _check(item, members[key], key, required=required)):
                return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"Field '{name}' must be an array"
        for item in value:
            if problem := _check(item, shape.member, name, required=required):
                return problem
        return None
    if kind == "map":
        if not isinstance(value, Mapping):
            return f"Field '{name}' must be an object"
        for item in value.values():
            if problem := _check(item, shape.value, name, required=required):
                return problem
        return None
    if kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"Field '{name}' must be a number"
        if "min" in metadata and value < metadata["min"]:
            return f"Field '{name}' is less than the minimum value"
        if "max" in metadata and value > metadata["max"]:
            return f"Field '{name}' exceeds the maximum value"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"Field '{name}' must be a boolean"
    if kind in ("string", "blob", "timestamp"):
        if not isinstance(value, str):
            return f"Field '{name}' must be a string"
        if kind == "string" and shape.enum and value not in shape.enum:
            return f"Field '{name}' is not an expected value"
        if kind != "timestamp" and "min" in metadata and len(value) < metadata["min"]:
            return f"Field '{name}' is smaller than the minimum length"
        return None
    return None
