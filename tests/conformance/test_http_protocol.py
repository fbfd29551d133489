"""The AWS JSON 1.0 protocol layer of workflow.engine.http_api, against a tiny fake service.

Wire format as documented in the Step Functions API reference ("Common parameters", "Common errors") and
botocore's `json` protocol: POST /, `X-Amz-Target: AWSStepFunctions.<Operation>`, epoch-second timestamps,
errors as `{"__type", "message"}`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conformance.serving import serve, sfn_client
from workflow.engine.errors import ServiceError
from workflow.engine.http_api import is_stepfunctions_request, make_app, snake_case, to_wire

SM_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:fake"
STARTED = datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC)


class FakeService:
    """Records calls; answers like the real service (API param names in, API response dicts out)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start_execution(
        self, stateMachineArn: str, name: str | None = None, input: str = "{}", traceHeader: str | None = None
    ) -> dict[str, Any]:
        self.calls.append(
            ("start_execution", {"stateMachineArn": stateMachineArn, "name": name, "input": input})
        )
        if name == "taken":
            raise ServiceError("ExecutionAlreadyExists", "Execution Already Exists: 'taken'")
        return {"executionArn": f"{SM_ARN.replace('stateMachine', 'execution')}:{name}", "startDate": STARTED}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{executionArn}'")

    def list_state_machines(self, maxResults: int = 0, nextToken: str | None = None) -> dict[str, Any]:
        return {
            "stateMachines": [
                {"stateMachineArn": SM_ARN, "name": "fake", "type": "STANDARD", "creationDate": STARTED}
            ]
        }

    def delete_state_machine(self, stateMachineArn: str) -> None:
        self.calls.append(("delete_state_machine", {"stateMachineArn": stateMachineArn}))

    def stop_execution(self, executionArn: str, error: str | None = None, cause: str | None = None) -> dict:
        raise RuntimeError("engine bug")


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[FakeService, str]]:
    service = FakeService()
    with serve(make_app(service)) as url:
        yield service, url


def _post(url: str, target: str | None, body: bytes, method: str = "POST") -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(
        url + "/", data=body if method == "POST" else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_snake_case_matches_boto3_method_names() -> None:
    assert snake_case("StartExecution") == "start_execution"
    assert snake_case("DescribeStateMachineForExecution") == "describe_state_machine_for_execution"
    assert snake_case("TestState") == "test_state"
    assert snake_case("ListMapRuns") == "list_map_runs"


def test_boto3_call_reaches_service_with_api_parameter_names(fake: tuple[FakeService, str]) -> None:
    service, url = fake
    response = sfn_client(url).start_execution(stateMachineArn=SM_ARN, name="one", input='{"a": 1}')
    expected = {"stateMachineArn": SM_ARN, "name": "one", "input": '{"a": 1}'}
    assert ("start_execution", expected) in service.calls
    assert response["executionArn"].endswith(":one")
    # JSON protocol timestamps travel as epoch seconds; boto3 turns them back into datetimes.
    assert response["startDate"] == STARTED
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_timestamps_are_epoch_seconds_on_the_wire(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "AWSStepFunctions.ListStateMachines", b"{}")
    assert status == 200
    assert body["stateMachines"][0]["creationDate"] == pytest.approx(STARTED.timestamp())


def test_service_error_becomes_modeled_boto3_exception(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    client = sfn_client(url)
    with pytest.raises(client.exceptions.ExecutionDoesNotExist) as caught:
        client.describe_execution(executionArn=SM_ARN.replace("stateMachine", "execution") + ":nope")
    assert "Execution Does Not Exist" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(client.exceptions.ExecutionAlreadyExists):
        client.start_execution(stateMachineArn=SM_ARN, name="taken")


def test_error_body_has_aws_json_shape(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "AWSStepFunctions.DescribeExecution", b'{"executionArn": "x"}')
    assert status == 400
    assert body == {"__type": "ExecutionDoesNotExist", "message": "Execution Does Not Exist: 'x'"}


def test_operation_returning_nothing_answers_empty_object(fake: tuple[FakeService, str]) -> None:
    service, url = fake
    response = sfn_client(url).delete_state_machine(stateMachineArn=SM_ARN)
    assert set(response) == {"ResponseMetadata"}
    assert ("delete_state_machine", {"stateMachineArn": SM_ARN}) in service.calls


def test_unknown_operation_is_unknown_operation_exception(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "AWSStepFunctions.FlyToTheMoon", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_real_operation_the_service_lacks_is_reported_not_crashed(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    with pytest.raises(ClientError) as caught:
        sfn_client(url).list_activities()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert "not implemented" in caught.value.response["Error"]["Message"]


def test_malformed_json_is_serialization_exception(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "AWSStepFunctions.StartExecution", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = _post(url, "AWSStepFunctions.StartExecution", b"[1, 2]")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_missing_required_member_is_validation_exception(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "AWSStepFunctions.StartExecution", b'{"name": "x"}')
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "stateMachineArn" in body["message"]


def test_members_unknown_to_aws_are_ignored_known_but_unsupported_are_refused(
    fake: tuple[FakeService, str],
) -> None:
    _, url = fake
    status, _ = _post(
        url,
        "AWSStepFunctions.StartExecution",
        json.dumps({"stateMachineArn": SM_ARN, "name": "ok", "futureField": 1}).encode(),
    )
    assert status == 200
    status, body = _post(
        url,
        "AWSStepFunctions.DescribeExecution",
        json.dumps({"executionArn": "x", "includedData": "METADATA_ONLY"}).encode(),
    )
    assert (status, body["__type"]) == (400, "ValidationException")
    assert "includedData" in body["message"]


def test_unexpected_service_exception_is_500_internal_failure(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "AWSStepFunctions.StopExecution", b'{"executionArn": "x"}')
    assert (status, body["__type"]) == (500, "InternalFailure")


def test_wrong_target_and_get_are_refused(fake: tuple[FakeService, str]) -> None:
    _, url = fake
    status, body = _post(url, "DynamoDB_20120810.ListTables", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, body = _post(url, None, b"", method="GET")
    assert status == 404


def test_is_stepfunctions_request_routes_on_target_or_sigv4_scope() -> None:
    assert is_stepfunctions_request({"HTTP_X_AMZ_TARGET": "AWSStepFunctions.StartExecution"})
    assert not is_stepfunctions_request({"HTTP_X_AMZ_TARGET": "DynamoDB_20120810.PutItem"})
    assert not is_stepfunctions_request({"HTTP_X_AMZ_TARGET": "AmazonSQS.SendMessage"})
    scope = "AWS4-HMAC-SHA256 Credential=test/20240501/us-east-1/{}/aws4_request, SignedHeaders=host"
    assert is_stepfunctions_request({"HTTP_AUTHORIZATION": scope.format("states")})
    assert not is_stepfunctions_request({"HTTP_AUTHORIZATION": scope.format("s3")})
    assert not is_stepfunctions_request({})


def test_to_wire_converts_nested_datetimes_and_drops_response_metadata() -> None:
    naive = datetime(2024, 5, 1, 12, 0, 0)
    wire = to_wire({"events": [{"timestamp": naive, "id": 1}], "ResponseMetadata": {"x": 1}})
    assert wire == {"events": [{"timestamp": STARTED.replace(microsecond=0).timestamp(), "id": 1}]}
