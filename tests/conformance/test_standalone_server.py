"""The standalone engine (`python -m workflow.engine.http_api`) driven by boto3 and by the AWS CLI, unchanged.

Covers the API reference's basic flow (CreateStateMachine, StartExecution, DescribeExecution,
GetExecutionHistory) end to end over a real socket, in a separate process as a user would run it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.serving import sfn_client

DEFINITION = {
    "StartAt": "Greet",
    "States": {
        "Greet": {
            "Type": "Pass",
            "Parameters": {"greeting.$": "States.Format('Hello, {}!', $.name)"},
            "Next": "Wait",
        },
        "Wait": {"Type": "Wait", "Seconds": 0, "End": True},
    },
}
ROLE = "arn:aws:iam::000000000000:role/local"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "workflow.engine.http_api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the standalone engine did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(client: Any, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        result: dict[str, Any] = client.describe_execution(executionArn=arn)
        if result["status"] != "RUNNING":
            return result
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


@pytest.mark.server
def test_boto3_runs_an_execution_on_the_standalone_engine(server_url: str) -> None:
    client = sfn_client(server_url)
    arn = client.create_state_machine(name="boto3-hello", definition=json.dumps(DEFINITION), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps({"name": "boto3"}))
    result = _wait(client, execution["executionArn"])
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"greeting": "Hello, boto3!"}
    events = client.get_execution_history(executionArn=execution["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "ExecutionSucceeded",
    ]
    with pytest.raises(client.exceptions.ExecutionAlreadyExists):
        client.start_execution(
            stateMachineArn=arn,
            name=execution["executionArn"].rsplit(":", 1)[1],
            input=json.dumps({"name": "other"}),
        )


@pytest.mark.server
def test_aws_cli_runs_an_execution_on_the_standalone_engine(server_url: str, tmp_path: Path) -> None:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("awscli not installed in this environment")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(aws), "--endpoint-url", server_url, "--output", "json", "stepfunctions", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)

    def cli(*args: str) -> dict[str, Any]:
        done = run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    arn = cli(
        "create-state-machine",
        "--name",
        "cli-hello",
        "--definition",
        json.dumps(DEFINITION),
        "--role-arn",
        ROLE,
    )["stateMachineArn"]
    started = cli("start-execution", "--state-machine-arn", arn, "--input", '{"name": "cli"}')
    execution_arn = started["executionArn"]
    client = sfn_client(server_url)
    _wait(client, execution_arn)
    described = cli("describe-execution", "--execution-arn", execution_arn)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"greeting": "Hello, cli!"}
    assert isinstance(described["startDate"], str | float | int)
    missing = run("describe-execution", "--execution-arn", execution_arn + "-missing")
    assert missing.returncode != 0
    assert "ExecutionDoesNotExist" in missing.stderr
