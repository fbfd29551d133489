"""The in-process Step Functions API: parameters, responses and error codes as the AWS Step Functions API
reference documents them, through the service, the boto3-like in-process client and boto3 over HTTP."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from workflow.engine.errors import ServiceError
from workflow.engine.inprocess_client import InProcessStepFunctionsClient

ROLE = "arn:aws:iam::123456789012:role/sfn"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10**6, "End": True}}}


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ServiceError) as err:
        call(**kwargs)
    return err.value.code


def test_create_state_machine_is_idempotent_for_identical_requests(sfn: Any) -> None:
    """CreateStateMachine with the same name, definition and role returns the existing ARN; a different
    definition under the same name is StateMachineAlreadyExists."""
    first = sfn.create_state_machine(name="idem", definition=json.dumps(PASS), roleArn=ROLE)
    again = sfn.create_state_machine(name="idem", definition=json.dumps(PASS), roleArn=ROLE)
    assert first == again and first["stateMachineArn"].endswith(":stateMachine:idem")
    assert (
        code_of(sfn.create_state_machine, name="idem", definition=json.dumps(WAIT), roleArn=ROLE)
        == "StateMachineAlreadyExists"
    )


def test_create_state_machine_rejects_bad_names_definitions_and_types(sfn: Any) -> None:
    assert (
        code_of(sfn.create_state_machine, name="bad name", definition=json.dumps(PASS), roleArn=ROLE)
        == "InvalidName"
    )
    assert (
        code_of(sfn.create_state_machine, name="x", definition="{not json", roleArn=ROLE)
        == "InvalidDefinition"
    )
    missing_target = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    assert (
        code_of(sfn.create_state_machine, name="x", definition=json.dumps(missing_target), roleArn=ROLE)
        == "InvalidDefinition"
    )
    assert (
        code_of(sfn.create_state_machine, name="x", definition=json.dumps(PASS), roleArn=ROLE, type="FAST")
        == "ValidationException"
    )


def test_describe_update_list_delete_state_machine(sfn: Any) -> None:
    arn = sfn.create_state_machine(
        name="crud", definition=json.dumps(PASS), roleArn=ROLE, tags=[{"key": "team", "value": "etl"}]
    )["stateMachineArn"]
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["type"], described["status"]) == ("crud", "STANDARD", "ACTIVE")
    assert json.loads(described["definition"]) == PASS
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(WAIT))
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == WAIT
    assert code_of(sfn.update_state_machine, stateMachineArn=arn) == "MissingRequiredParameter"
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["crud"]
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "etl"}]
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    sfn.delete_state_machine(stateMachineArn=arn)
    assert code_of(sfn.describe_state_machine, stateMachineArn=arn) == "StateMachineDoesNotExist"
    assert code_of(sfn.describe_state_machine, stateMachineArn="arn:nope") == "InvalidArn"


def test_start_execution_idempotency_and_input_validation(sfn: Any) -> None:
    """StartExecution is idempotent for a running STANDARD execution with the same name and input;
    otherwise ExecutionAlreadyExists. Input must be JSON (InvalidExecutionInput)."""
    arn = sfn.create_state_machine(name="waiter", definition=json.dumps(WAIT), roleArn=ROLE)[
        "stateMachineArn"
    ]
    first = sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"a":1}')
    assert sfn.start_execution(stateMachineArn=arn, name="run-1", input='{"a":1}') == first
    assert (
        code_of(sfn.start_execution, stateMachineArn=arn, name="run-1", input='{"a":2}')
        == "ExecutionAlreadyExists"
    )
    assert code_of(sfn.start_execution, stateMachineArn=arn, input="{oops") == "InvalidExecutionInput"
    assert code_of(sfn.start_execution, stateMachineArn=arn + "x") == "StateMachineDoesNotExist"
    sfn.stop_execution(executionArn=first["executionArn"])
    assert (
        code_of(sfn.describe_execution, executionArn=first["executionArn"] + "x") == "ExecutionDoesNotExist"
    )


def test_list_executions_filters_and_pages(runner: Any) -> None:
    """ListExecutions: newest first, statusFilter, maxResults + nextToken paging."""
    sfn = runner.sfn
    arn = runner.machine(PASS)
    names = [f"e{i}" for i in range(5)]
    for name in names:
        runner.run(arn, {}, name=name)
    first = sfn.list_executions(stateMachineArn=arn, maxResults=2)
    second = sfn.list_executions(stateMachineArn=arn, maxResults=2, nextToken=first["nextToken"])
    third = sfn.list_executions(stateMachineArn=arn, maxResults=2, nextToken=second["nextToken"])
    listed = [e["name"] for page in (first, second, third) for e in page["executions"]]
    assert listed == list(reversed(names)) and "nextToken" not in third
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []
    assert code_of(sfn.list_executions) == "ValidationException"
    assert code_of(sfn.list_executions, stateMachineArn=arn, nextToken="!!") == "InvalidToken"


def test_get_execution_history_order_paging_and_execution_data(runner: Any) -> None:
    described = runner.run(PASS, {"secret": 1})
    sfn, arn = runner.sfn, described["executionArn"]
    full = sfn.get_execution_history(executionArn=arn)["events"]
    reverse = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == [e["id"] for e in reversed(full)]
    page = sfn.get_execution_history(executionArn=arn, maxResults=1)
    assert len(page["events"]) == 1 and page["nextToken"]
    stripped = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert "input" not in stripped[0]["executionStartedEventDetails"]


def test_start_sync_execution_only_for_express(runner: Any) -> None:
    """StartSyncExecution runs an EXPRESS machine to its end; STANDARD is StateMachineTypeNotSupported."""
    express = runner.machine(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"r": 1}, "End": True}}}, type_="EXPRESS"
    )
    result = runner.sfn.start_sync_execution(stateMachineArn=express, input="{}")
    assert result["status"] == "SUCCEEDED" and json.loads(result["output"]) == {"r": 1}
    assert ":express:" in result["executionArn"]
    standard = runner.machine(PASS)
    assert (
        code_of(runner.sfn.start_sync_execution, stateMachineArn=standard) == "StateMachineTypeNotSupported"
    )


def test_describe_state_machine_for_execution_of_a_map_child(runner: Any) -> None:
    """For a Distributed Map child, DescribeStateMachineForExecution returns mapRunArn and label."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Label": "Lbl",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    described = runner.run(definition, [1])
    map_run = runner.sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"][0]
    child = runner.sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"][0]
    for_child = runner.sfn.describe_state_machine_for_execution(executionArn=child["executionArn"])
    assert for_child["mapRunArn"] == map_run["mapRunArn"] and for_child["label"] == "Lbl"
    assert json.loads(for_child["definition"])["StartAt"] == "P"
    child_machine = runner.sfn.describe_state_machine(stateMachineArn=child["stateMachineArn"])
    assert child_machine["label"] == "Lbl" and json.loads(child_machine["definition"])["StartAt"] == "P"
    parent = runner.sfn.describe_state_machine_for_execution(executionArn=described["executionArn"])
    assert parent["stateMachineArn"] == described["stateMachineArn"] and "mapRunArn" not in parent


def test_validate_state_machine_definition(sfn: Any) -> None:
    assert sfn.validate_state_machine_definition(definition=json.dumps(PASS))["result"] == "OK"
    bad = sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "X", "States": {}}))
    assert bad["result"] == "FAIL" and bad["diagnostics"]


def test_subscribe_sees_every_history_event(runner: Any) -> None:
    """subscribe(callback) receives each appended event with its execution ARN (for the live console)."""
    seen: list[tuple[str, str]] = []
    unsubscribe = runner.sfn.subscribe(lambda arn, event: seen.append((arn, event["type"])))
    described = runner.run(PASS)
    unsubscribe()
    mine = [t for arn, t in seen if arn == described["executionArn"]]
    assert mine == runner.types(described["executionArn"])


def test_test_state_api_inspection_and_statuses(sfn: Any, sfn_backend: Any) -> None:
    """TestState: output and inspectionData (DEBUG); a matching retrier gives RETRIABLE, a catcher
    CAUGHT_ERROR with the catcher's Next, an unhandled error FAILED."""
    passed = sfn.test_state(
        definition=json.dumps(
            {
                "Type": "Pass",
                "InputPath": "$.a",
                "Parameters": {"b.$": "$.b"},
                "ResultPath": "$.r",
                "Next": "N",
            }
        ),
        roleArn=ROLE,
        input='{"a": {"b": 1}}',
        inspectionLevel="DEBUG",
    )
    assert passed["status"] == "SUCCEEDED" and passed["nextState"] == "N"
    assert json.loads(passed["output"]) == {"a": {"b": 1}, "r": {"b": 1}}
    assert json.loads(passed["inspectionData"]["afterParameters"]) == {"b": 1}

    def boom(event: Any) -> Any:
        raise RuntimeError("x")

    sfn_backend.functions["boom"] = boom
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "boom"},
        "End": True,
    }
    assert sfn.test_state(definition=json.dumps(task), roleArn=ROLE)["status"] == "FAILED"
    retried = {**task, "Retry": [{"ErrorEquals": ["States.ALL"]}]}
    assert sfn.test_state(definition=json.dumps(retried), roleArn=ROLE)["status"] == "RETRIABLE"
    caught = {**task, "Catch": [{"ErrorEquals": ["RuntimeError"], "Next": "Handler"}]}
    result = sfn.test_state(definition=json.dumps(caught), roleArn=ROLE)
    assert (result["status"], result["nextState"], result["error"]) == (
        "CAUGHT_ERROR",
        "Handler",
        "RuntimeError",
    )


def test_inprocess_client_raises_client_errors_and_paginates(sfn: Any) -> None:
    """The in-process client behaves like boto3's: ClientError with the AWS code, client.exceptions.<Code>,
    ResponseMetadata and paginators."""
    client = InProcessStepFunctionsClient(sfn)
    arn = client.create_state_machine(name="c", definition=json.dumps(PASS), roleArn=ROLE)["stateMachineArn"]
    with pytest.raises(client.exceptions.ExecutionDoesNotExist) as err:
        client.describe_execution(executionArn=arn.replace("stateMachine", "execution") + ":nope")
    assert isinstance(err.value, ClientError)
    assert err.value.response["Error"]["Code"] == "ExecutionDoesNotExist"
    started = client.start_execution(stateMachineArn=arn, input="{}")
    assert started["ResponseMetadata"]["HTTPStatusCode"] == 200
    sfn.wait_for_execution(started["executionArn"], 10)
    pages = list(
        client.get_paginator("get_execution_history").paginate(
            executionArn=started["executionArn"], PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 4 and pages[0]["events"][0]["type"] == "ExecutionStarted"


def test_boto3_over_http_api(sfn: Any) -> None:
    """boto3's own stepfunctions client against the service through http_api (AWS JSON 1.0)."""
    from werkzeug.serving import make_server

    from workflow.engine.http_api import make_app

    server = make_server("127.0.0.1", 0, make_app(sfn), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = boto3.client(
            "stepfunctions",
            endpoint_url=f"http://127.0.0.1:{server.server_port}",
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        arn = client.create_state_machine(name="http", definition=json.dumps(PASS), roleArn=ROLE)[
            "stateMachineArn"
        ]
        execution = client.start_execution(stateMachineArn=arn, input='{"x": 1}')["executionArn"]
        for _ in range(200):
            described = client.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                break
            time.sleep(0.02)
        assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"x": 1}
        with pytest.raises(client.exceptions.ExecutionDoesNotExist):
            client.describe_execution(executionArn=execution + "x")
    finally:
        server.shutdown()


def test_mock_config_test_case_selected_by_arn_suffix(sfn_backend: Any) -> None:
    """Step Functions Local's mocked service integrations: `<state machine ARN>#<test case>` uses the test
    case's canned responses per invocation (0-based), here a Throw that is retried and then a Return."""
    from workflow.engine.clock import RealClock
    from workflow.engine.mock_config import MockConfig
    from workflow.engine.service import StepFunctions

    mock = MockConfig.load(
        {
            "StateMachines": {"mocked": {"TestCases": {"Flaky": {"Call": "FailThenOk"}}}},
            "MockedResponses": {
                "FailThenOk": {
                    "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                    "1": {"Return": {"Payload": {"ok": True}, "StatusCode": 200}},
                }
            },
        }
    )
    sfn = StepFunctions(
        sfn_backend, clock=RealClock(speed=1000), region="us-east-1", account="123456789012", mock_config=mock
    )
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "absent"},
                "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 1}],
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    arn = sfn.create_state_machine(name="mocked", definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=f"{arn}#Flaky", input="{}")["executionArn"]
    described = sfn.wait_for_execution(execution, 10)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"ok": True}
    assert sfn_backend.calls == []  # the real function was never invoked
    without_case = sfn.wait_for_execution(sfn.start_execution(stateMachineArn=arn)["executionArn"], 10)
    assert without_case["error"] == "Lambda.ResourceNotFoundException"


def test_test_state_wait_does_not_wait(sfn: Any) -> None:
    """TestState runs a Wait state without waiting (the state's output is returned at once)."""
    started = time.monotonic()
    result = sfn.test_state(
        definition=json.dumps({"Type": "Wait", "Seconds": 10**6, "Next": "N"}), input='{"a":1}'
    )
    assert result["status"] == "SUCCEEDED" and json.loads(result["output"]) == {"a": 1}
    assert time.monotonic() - started < 5
