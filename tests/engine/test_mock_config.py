"""Step Functions Local's mock configuration file, per "Using mocked service integrations for testing in
Step Functions Local" (AWS Step Functions developer guide)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workflow.engine.errors import StatesError
from workflow.engine.mock_config import MockConfig, split_test_case

# The example from the AWS documentation.
HELLO = {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
NOT_READY = {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}
DOC_EXAMPLE: dict[str, Any] = {
    "StateMachines": {
        "LambdaSQSIntegration": {
            "TestCases": {
                "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
                "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
            }
        }
    },
    "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": HELLO}},
        "LambdaMockedResourceNotReady": {"0": {"Throw": NOT_READY}},
        "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e", "MessageId": "3bcb6e8e-8b51"}}},
        "MockedLambdaRetry": {
            "0": {"Throw": NOT_READY},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
            "3": {"Return": HELLO},
        },
    },
}
SM = "LambdaSQSIntegration"


@pytest.fixture
def config() -> MockConfig:
    return MockConfig.load(DOC_EXAMPLE)


def test_return_response_for_first_invocation(config: MockConfig) -> None:
    """HappyPath: LambdaState returns the "0" Return value."""
    response = config.response_for(SM, "HappyPath", "LambdaState", 0)
    assert response is not None and not response.is_error
    assert response.value["Payload"]["body"] == "Hello from Lambda!"


def test_ranges_cover_consecutive_retry_attempts(config: MockConfig) -> None:
    """RetryPath: "0" throws, "1-2" (inclusive) throw Lambda.TimeoutException, "3" returns."""
    errors = [config.response_for(SM, "RetryPath", "LambdaState", n) for n in range(4)]
    assert [r.error for r in errors if r] == [
        "Lambda.ResourceNotReadyException",
        "Lambda.TimeoutException",
        "Lambda.TimeoutException",
        None,
    ]
    assert errors[3] is not None and errors[3].value["StatusCode"] == 200


def test_throw_raises_as_the_state_error(config: MockConfig) -> None:
    """The Throw Error must match the errors handled in Retry and Catch: it is raised as that error."""
    response = config.response_for(SM, "RetryPath", "LambdaState", 1)
    assert response is not None
    with pytest.raises(StatesError) as err:
        response.raise_if_error()
    assert (err.value.error, err.value.cause) == ("Lambda.TimeoutException", "Lambda timed out.")


def test_unmocked_state_calls_the_real_service(config: MockConfig) -> None:
    """HybridPath: SQSState has no mock, so the real integration runs (None here)."""
    assert config.response_for(SM, "HybridPath", "SQSState", 0) is None
    assert not config.is_mocked(SM, "HybridPath", "SQSState")
    assert config.is_mocked(SM, "HybridPath", "LambdaState")


def test_invocation_past_the_defined_responses_fails_the_execution(config: MockConfig) -> None:
    """ "If you do not specify a mocked response for a specific retry attempt ... the execution will fail"."""
    with pytest.raises(StatesError) as err:
        config.response_for(SM, "HappyPath", "LambdaState", 1)
    assert err.value.error == "States.Runtime"
    assert "invocation 1" in err.value.cause


def test_unknown_state_machine_or_test_case_is_not_mocked(config: MockConfig) -> None:
    assert config.response_for("Other", "HappyPath", "LambdaState", 0) is None
    assert config.response_for(SM, "NoSuchCase", "LambdaState", 0) is None
    assert config.has_test_case(SM, "RetryPath") and not config.has_test_case(SM, "Nope")


def test_test_case_is_selected_by_arn_suffix() -> None:
    """StartExecution on `<state machine ARN>#<test case>` runs that test case."""
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:LambdaSQSIntegration"
    assert split_test_case(arn + "#HappyPath") == (arn, "HappyPath")
    assert split_test_case(arn) == (arn, None)


def test_load_from_file_and_json_text(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(DOC_EXAMPLE))
    for source in (path, str(path), json.dumps(DOC_EXAMPLE)):
        assert MockConfig.load(source).has_test_case(SM, "HappyPath")


def test_from_environment_prefers_sfn_mock_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SFN_MOCK_CONFIG names the file; without it MockConfigFile.json in the launch directory is read."""
    (tmp_path / "MockConfigFile.json").write_text(json.dumps(DOC_EXAMPLE))
    other = tmp_path / "env.json"
    other.write_text(json.dumps({"StateMachines": {}, "MockedResponses": {}}))
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    found = MockConfig.from_environment(tmp_path)
    assert found is not None and found.has_test_case(SM, "HappyPath")
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(other))
    found = MockConfig.from_environment(tmp_path)
    assert found is not None and not found.has_test_case(SM, "HappyPath")
    monkeypatch.delenv("SFN_MOCK_CONFIG")
    assert MockConfig.from_environment(tmp_path / "nowhere") is None


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        ({"R": {"0": {"Return": 1, "Throw": {"Error": "E", "Cause": "c"}}}}, "exactly one field"),
        ({"R": {"0": {}}}, "exactly one field"),
        ({"R": {"x": {"Return": 1}}}, "not an invocation number"),
        ({"R": {"3-1": {"Return": 1}}}, "ends before it starts"),
        ({"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}, "defined twice"),
        ({"R": {"0": {"Throw": {"Cause": "no error"}}}}, "string Error"),
        ({"R": {}}, "non-empty"),
    ],
)
def test_malformed_responses_are_rejected(responses: dict[str, Any], message: str) -> None:
    """A response "must contain a single field named Return or Throw"; Throw holds Error and Cause strings."""
    with pytest.raises(ValueError, match=message):
        MockConfig.load({"StateMachines": {}, "MockedResponses": responses})


def test_test_case_naming_an_undefined_response_is_rejected() -> None:
    with pytest.raises(ValueError, match="does not define"):
        MockConfig.load(
            {"StateMachines": {"S": {"TestCases": {"C": {"T": "Missing"}}}}, "MockedResponses": {}}
        )


def test_null_return_value_is_a_valid_result() -> None:
    config = MockConfig.load(
        {
            "StateMachines": {"S": {"TestCases": {"C": {"T": "R"}}}},
            "MockedResponses": {"R": {"0": {"Return": None}}},
        }
    )
    response = config.response_for("S", "C", "T", 0)
    assert response is not None and response.raise_if_error() is None and not response.is_error
