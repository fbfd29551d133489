"""The in-process Lambda runtime behaves as Lambda does for the things our handlers and the engine rely on."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from workflow.config import PipelineConfig
from workflow.engine.errors import ServiceError
from workflow.twin.lambdas import LambdaRuntime

BASE_ENV = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
}


@pytest.fixture
def runtime(fake_tasks_dir: Path, make_fake_config: Callable[..., PipelineConfig]) -> LambdaRuntime:
    return LambdaRuntime(make_fake_config(), BASE_ENV, "eu-west-1", "111122223333", tasks_dir=fake_tasks_dir)


def call(runtime: LambdaRuntime, name: str, event: object) -> tuple[object, object]:
    result = runtime.invoke(name, json.dumps(event).encode())
    return json.loads(result.payload), result


def test_function_sees_its_environment_and_a_lambda_context(runtime: LambdaRuntime) -> None:
    """Lambda docs, 'Defined runtime environment variables' and 'Lambda context object in Python'."""
    body, result = call(runtime, "t-echo", {"a": 1})
    assert result.status_code == 200 and result.function_error is None
    assert body["event"] == {"a": 1}
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "t-echo"
    assert env["TABLE_NAME"] == PipelineConfig().table_name
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == "test"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert body["imported_endpoint"] == "http://127.0.0.1:9", "module code runs under the function's env"
    context = body["context"]
    assert context["aws_request_id"] == result.request_id
    assert context["invoked_function_arn"] == "arn:aws:lambda:eu-west-1:111122223333:function:t-echo"
    assert context["function_name"] == "t-echo" and context["function_version"] == "$LATEST"
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/t-echo"
    assert "[$LATEST]" in context["log_stream_name"]
    assert 0 < context["remaining_ms"] <= 5000


def test_host_environment_is_neither_visible_to_nor_changed_by_functions(
    runtime: LambdaRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME_ONLY_ON_HOST", "secret")
    body, _ = call(runtime, "t-echo", {})
    assert body["env"]["HOME_ONLY_ON_HOST"] is None
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ
    assert os.environ["HOME_ONLY_ON_HOST"] == "secret"


def test_concurrent_functions_each_see_their_own_name(runtime: LambdaRuntime) -> None:
    results: dict[str, str] = {}

    def run(name: str) -> None:
        results[name] = json.loads(runtime.invoke(name, b'{"sleep": 0.2}').payload)

    threads = [threading.Thread(target=run, args=("t-who",)), threading.Thread(target=run, args=("t-who",))]
    for t in threads:
        t.start()
    body, _ = call(runtime, "t-echo", {})
    for t in threads:
        t.join()
    assert results["t-who"] == "t-who"
    assert body["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "t-echo"


def test_unhandled_error_returns_lambdas_error_payload(runtime: LambdaRuntime) -> None:
    """Lambda docs, 'AWS Lambda function errors in Python': errorMessage, errorType, stackTrace; Unhandled."""
    body, result = call(runtime, "t-fail", {})
    assert result.status_code == 200
    assert result.function_error == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "row 3: timestamp is not a number"
    assert any("fail" in line for line in body["stackTrace"])
    record = runtime.records(request_id=result.request_id)[0]
    assert record.error == body
    assert any(line.startswith("[ERROR] ValueError: row 3") for line in record.logs)


def test_timeout_stops_the_call_with_lambdas_timeout_error(runtime: LambdaRuntime) -> None:
    """Lambda ends an invocation at its configured timeout: 'Task timed out after N seconds'."""
    body, result = call(runtime, "t-sleepy", {})
    assert result.function_error == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    record = runtime.records(request_id=result.request_id)[0]
    assert 1000 <= record.duration_ms < 3000
    assert any("Task timed out after 1.00 seconds" in line for line in record.logs)


def test_result_that_is_not_json_is_a_marshal_error(runtime: LambdaRuntime) -> None:
    body, result = call(runtime, "t-unserializable", {})
    assert result.function_error == "Unhandled"
    assert body["errorType"] == "Runtime.MarshalError"


def test_logs_are_captured_per_invocation_even_when_concurrent(runtime: LambdaRuntime) -> None:
    ids: dict[int, str] = {}

    def run(n: int) -> None:
        ids[n] = runtime.invoke("t-noisy", json.dumps({"n": n}).encode()).request_id

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, request_id in ids.items():
        (record,) = runtime.records(request_id=request_id)
        text = "\n".join(record.logs)
        assert record.logs[0] == f"START RequestId: {request_id} Version: $LATEST"
        assert record.logs[-2] == f"END RequestId: {request_id}"
        assert record.logs[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
        assert f"printed {n}" in text and f"warned {n}" in text
        others = [m for m in ids if m != n]
        assert not any(f"printed {m}" in text for m in others)
    assert len(runtime.records(function="t-noisy")) == 4


def test_log_tail_is_base64_of_the_logs(runtime: LambdaRuntime) -> None:
    result = runtime.invoke("t-noisy", b'{"n": 7}')
    assert "printed 7" in base64.b64decode(result.log_result or "").decode()


def test_names_partial_and_full_arns_resolve(runtime: LambdaRuntime) -> None:
    for name in (
        "t-who",
        "echo",
        "111122223333:function:t-who",
        "arn:aws:lambda:eu-west-1:111122223333:function:t-who",
        "arn:aws:lambda:eu-west-1:111122223333:function:t-who:$LATEST",
    ):
        assert runtime.resolve(name).name in ("t-who", "t-echo")


def test_unknown_function_and_bad_payload_are_api_errors(runtime: LambdaRuntime) -> None:
    with pytest.raises(ServiceError) as missing:
        runtime.invoke("nope", b"{}")
    assert missing.value.code == "ResourceNotFoundException" and missing.value.status == 404
    with pytest.raises(ServiceError) as bad:
        runtime.invoke("t-echo", b"{not json")
    assert bad.value.code == "InvalidRequestContentException"


def test_event_invocation_answers_202_and_runs_later(runtime: LambdaRuntime) -> None:
    """Lambda docs: asynchronous invocation returns 202 with an empty body."""
    result = runtime.invoke("t-noisy", b'{"n": 9}', invocation_type="Event")
    assert result.status_code == 202 and result.payload == b""
    for _ in range(100):
        records = [r for r in runtime.records(function="t-noisy") if r.end is not None]
        if records:
            break
        threading.Event().wait(0.02)
    assert any("printed 9" in "\n".join(r.logs) for r in records)


def test_invoke_event_returns_result_and_record(runtime: LambdaRuntime) -> None:
    result, record = runtime.invoke_event("echo", {"x": [1, 2]})
    assert result["event"] == {"x": [1, 2]}
    assert record.function == "t-echo" and record.error is None and record.end is not None
