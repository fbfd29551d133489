"""Task states: Lambda integrations and their history events, Retry/Catch, task tokens and timeouts,
checked against the behaviour the AWS Step Functions developer guide documents."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest


def task(resource: str, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, **extra, "End": True}}}


INVOKE = "arn:aws:states:::lambda:invoke"


def test_lambda_invoke_result_selector_result_path_output_path(runner: Any, sfn_backend: Any) -> None:
    """lambda:invoke returns {Payload, StatusCode, ...}; ResultSelector/ResultPath/OutputPath shape it."""
    sfn_backend.functions["double"] = lambda e: {"v": e["n"] * 2}
    definition = task(
        INVOKE,
        Parameters={"FunctionName": runner.fn_arn("double"), "Payload": {"n.$": "$.n"}},
        ResultSelector={"doubled.$": "$.Payload.v", "code.$": "$.StatusCode"},
        ResultPath="$.res",
        OutputPath="$.res",
    )
    described = runner.run(definition, {"n": 21})
    assert runner.output(described) == {"doubled": 42, "code": 200}
    events = runner.events(described["executionArn"])
    scheduled = next(e for e in events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
    assert scheduled["resourceType"] == "lambda" and scheduled["resource"] == "invoke"
    assert json.loads(scheduled["parameters"])["Payload"] == {"n": 21}
    assert [e["type"] for e in events][2:6] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
    ]


def test_plain_function_arn_uses_lambda_function_events(runner: Any, sfn_backend: Any) -> None:
    """A Task whose Resource is a function ARN records LambdaFunctionScheduled/Started/Succeeded events."""
    sfn_backend.functions["echo"] = lambda e: {"got": e}
    described = runner.run(task(runner.fn_arn("echo")), {"a": 1})
    assert runner.output(described) == {"got": {"a": 1}}
    types = runner.types(described["executionArn"])
    assert types[2:5] == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded"]


def test_function_error_name_is_error_type_and_catch_puts_it_at_result_path(
    runner: Any, sfn_backend: Any
) -> None:
    """A function error surfaces as its errorType; a Catcher goes to Next with {Error, Cause}
    at ResultPath."""

    class PaymentDeclined(Exception):
        pass

    def boom(event: Any) -> Any:
        raise PaymentDeclined("card refused")

    sfn_backend.functions["pay"] = boom
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {"FunctionName": "pay", "Payload.$": "$"},
                "Catch": [
                    {"ErrorEquals": ["Nope"], "Next": "Other"},
                    {"ErrorEquals": ["PaymentDeclined"], "ResultPath": "$.error", "Next": "Handled"},
                ],
                "End": True,
            },
            "Other": {"Type": "Fail"},
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    out = runner.output(runner.run(definition, {"order": 1}))
    assert out["order"] == 1 and out["error"]["Error"] == "PaymentDeclined"
    assert "card refused" in out["error"]["Cause"]


def test_retry_attempts_are_visible_in_history_and_backoff_grows(
    manual_runner: Any, sfn_backend: Any
) -> None:
    """Retry: MaxAttempts retries after IntervalSeconds * BackoffRate^n; each attempt is a TaskScheduled/
    TaskFailed pair in the history, and $$.State.RetryCount counts them."""
    attempts: list[int] = []

    def flaky(event: Any) -> Any:
        attempts.append(event["retry"])
        if len(attempts) < 3:
            raise RuntimeError("transient")
        return "ok"

    sfn_backend.functions["flaky"] = flaky
    definition = task(
        INVOKE,
        Parameters={"FunctionName": "flaky", "Payload": {"retry.$": "$$.State.RetryCount"}},
        Retry=[{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 10, "MaxAttempts": 3, "BackoffRate": 3}],
        OutputPath="$.Payload",
    )
    described = manual_runner.run(definition)
    assert manual_runner.output(described) == "ok"
    assert attempts == [0, 1, 2]
    events = manual_runner.events(described["executionArn"])
    types = [e["type"] for e in events]
    assert types.count("TaskScheduled") == 3 and types.count("TaskFailed") == 2
    scheduled = [e["timestamp"] for e in events if e["type"] == "TaskScheduled"]
    first_gap = (scheduled[1] - scheduled[0]).total_seconds()
    second_gap = (scheduled[2] - scheduled[1]).total_seconds()
    assert 10 <= first_gap < 29 and second_gap >= 30  # 10 s, then 10 * 3 s


def test_retry_exhausted_then_catch_and_max_attempts_zero_never_retries(
    runner: Any, sfn_backend: Any
) -> None:
    """When retries are used up the catchers apply; MaxAttempts 0 means the retrier never retries."""
    calls: list[Any] = []

    def fail(event: Any) -> Any:
        calls.append(event)
        raise ValueError("no")

    sfn_backend.functions["fail"] = fail
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {"FunctionName": "fail"},
                "Retry": [
                    {"ErrorEquals": ["ValueError"], "MaxAttempts": 0},
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Pass", "End": True},
        },
    }
    out = runner.output(runner.run(definition))
    assert out["Error"] == "ValueError" and "no" in out["Cause"]
    assert len(calls) == 1  # the first matching retrier (MaxAttempts 0) wins; the States.ALL one is not used


def test_retry_jitter_full_and_max_delay_cap_delays(sfn: Any) -> None:
    """JitterStrategy FULL picks a delay in [0, delay]; MaxDelaySeconds caps it."""
    from dataclasses import replace

    from workflow.engine.asl import Retrier
    from workflow.engine.asl.vocabulary import JitterStrategy
    from workflow.engine.states.retry import delay_seconds

    retrier = Retrier(("States.ALL",), interval_seconds=10, backoff_rate=2.0, max_delay_seconds=25)
    assert [delay_seconds(retrier, n) for n in range(3)] == [10, 20, 25]
    full = replace(retrier, jitter_strategy=JitterStrategy.FULL)
    jittered = [delay_seconds(full, 2) for _ in range(50)]
    assert all(0 <= d <= 25 for d in jittered) and len(set(jittered)) > 1
    assert delay_seconds(full, 2, jitter=False) == 25  # TestState reports the delay before jitter


def test_states_all_does_not_catch_states_runtime(runner: Any, sfn_backend: Any) -> None:
    """'A retry or catch on States.ALL won't catch States.Runtime errors' (Error handling doc)."""
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": INVOKE,
                "InputPath": "$.missing",
                "Parameters": {"FunctionName": "x"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Succeed"},
        },
    }
    described = runner.run(definition)
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"


def test_missing_function_is_lambda_resource_not_found(runner: Any) -> None:
    described = runner.run(task(INVOKE, Parameters={"FunctionName": "ghost"}))
    assert described["status"] == "FAILED" and described["error"] == "Lambda.ResourceNotFoundException"


def _token_machine(runner: Any, heartbeat: int | None = None, timeout: int | None = None) -> tuple[str, str]:
    """A Task that sends its token to SQS and waits (.waitForTaskToken)."""
    queue = runner.sfn.engine.backend.client("sqs").create_queue(QueueName=f"q{time.monotonic_ns()}")[
        "QueueUrl"
    ]
    extra: dict[str, Any] = {}
    if heartbeat:
        extra["HeartbeatSeconds"] = heartbeat
    if timeout:
        extra["TimeoutSeconds"] = timeout
    arn = runner.machine(
        task(
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            Parameters={"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
            **extra,
        )
    )
    return arn, queue


def _token_from(runner: Any, queue: str) -> str:
    sqs = runner.sfn.engine.backend.client("sqs")
    for _ in range(200):
        messages = sqs.receive_message(QueueUrl=queue).get("Messages", [])
        if messages:
            return json.loads(messages[0]["Body"])["token"]
        time.sleep(0.01)
    raise AssertionError("no message with a task token")


def test_wait_for_task_token_send_task_success(runner: Any) -> None:
    """.waitForTaskToken: the task pauses until SendTaskSuccess; its output becomes the task result."""
    arn, queue = _token_machine(runner)
    execution = runner.start(arn)
    token = _token_from(runner, queue)
    runner.sfn.send_task_heartbeat(taskToken=token)
    runner.sfn.send_task_success(taskToken=token, output=json.dumps({"written": 3}))
    assert runner.output(runner.sfn.wait_for_execution(execution, 10)) == {"written": 3}
    types = runner.types(execution)
    assert "TaskSubmitted" in types and "TaskSucceeded" in types
    from workflow.engine.errors import ServiceError

    with pytest.raises(ServiceError) as closed:  # the task is over: its token no longer answers
        runner.sfn.send_task_success(taskToken=token, output="{}")
    assert closed.value.code == "TaskTimedOut"


def test_wait_for_task_token_send_task_failure(runner: Any) -> None:
    """SendTaskFailure fails the task with the given error and cause."""
    arn, queue = _token_machine(runner)
    execution = runner.start(arn)
    token = _token_from(runner, queue)
    runner.sfn.send_task_failure(taskToken=token, error="Writer.Failed", cause="disk full")
    described = runner.sfn.wait_for_execution(execution, 10)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "Writer.Failed",
        "disk full",
    )


def test_heartbeat_timeout(runner: Any) -> None:
    """No SendTaskHeartbeat within HeartbeatSeconds: States.HeartbeatTimeout, recorded as TaskTimedOut."""
    arn, _queue = _token_machine(runner, heartbeat=30)
    described = runner.sfn.wait_for_execution(runner.start(arn), 10)
    assert described["status"] == "FAILED" and described["error"] == "States.HeartbeatTimeout"
    assert "TaskTimedOut" in runner.types(described["executionArn"])


def test_heartbeats_keep_task_alive_until_timeout_seconds(runner: Any) -> None:
    """Heartbeats reset the heartbeat clock, but TimeoutSeconds still ends the task with States.Timeout."""
    arn, queue = _token_machine(runner, heartbeat=1000, timeout=3000)
    execution = runner.start(arn)
    token = _token_from(runner, queue)
    stop = threading.Event()

    def beat() -> None:
        while not stop.is_set():
            try:
                runner.sfn.send_task_heartbeat(taskToken=token)
            except Exception:
                return
            time.sleep(0.005)  # 5 virtual seconds

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    described = runner.sfn.wait_for_execution(execution, 10)
    stop.set()
    assert described["status"] == "FAILED" and described["error"] == "States.Timeout"


def test_invalid_and_unknown_task_tokens(sfn: Any) -> None:
    """SendTask* with a malformed token: InvalidToken; a well-formed unknown one: TaskDoesNotExist."""
    import base64

    from workflow.engine.errors import ServiceError

    with pytest.raises(ServiceError) as bad:
        sfn.send_task_success(taskToken="not-a-token", output="{}")
    assert bad.value.code == "InvalidToken"
    unknown = "AQ" + base64.urlsafe_b64encode(b'{"e":"x","s":"y","n":"z"}').decode().rstrip("=")
    with pytest.raises(ServiceError) as missing:
        sfn.send_task_heartbeat(taskToken=unknown)
    assert missing.value.code == "TaskDoesNotExist"


def test_execution_timeout_seconds_times_out(runner: Any) -> None:
    """TimeoutSeconds of the state machine: the execution ends TIMED_OUT with ExecutionTimedOut."""
    definition = {
        "TimeoutSeconds": 30,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    described = runner.run(definition)
    assert described["status"] == "TIMED_OUT"
    assert runner.types(described["executionArn"])[-1] == "ExecutionTimedOut"


def test_stop_execution_aborts_a_waiting_execution(runner: Any) -> None:
    """StopExecution: status ABORTED, history ends with ExecutionAborted carrying error and cause."""
    arn = runner.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10**6, "End": True}}})
    time.sleep(0.05)
    runner.sfn.stop_execution(executionArn=arn, error="Manual", cause="operator")
    described = runner.sfn.describe_execution(executionArn=arn)
    assert described["status"] == "ABORTED" and described["error"] == "Manual"
    events = runner.events(arn)
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Manual", "cause": "operator"}
    assert "WaitStateAborted" in [e["type"] for e in events]
