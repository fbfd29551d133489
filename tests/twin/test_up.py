"""`etl up` as a user runs it: a subprocess on free ports, driven via boto3 and HTTP, stopped by SIGTERM."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from workflow.config import REPO_ROOT, PipelineConfig
from workflow.twin.backend import endpoint_client
from workflow.twin.endpoint import port_free
from workflow.twin.server import wait_healthy

pytestmark = pytest.mark.server
SAMPLES = REPO_ROOT / "sample_data"
API_KEY = "test-key-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "ETL_API_KEY"}
    env.update(extra)
    return env


@dataclass
class Up:
    process: subprocess.Popen[str]
    aws: str
    api: str
    console: str
    watch: Path

    def etl(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workflow", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=clean_env(AWS_ENDPOINT_URL=self.aws),
        )


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    try:
        return status, json.loads(body)
    except json.JSONDecodeError:
        return status, body.decode()


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    ports = [free_port() for _ in range(3)]
    watch = tmp_path_factory.mktemp("watch")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workflow",
            "up",
            "--port",
            str(ports[0]),
            "--api-port",
            str(ports[1]),
            "--console-port",
            str(ports[2]),
            "--api-key",
            API_KEY,
            "--watch",
            str(watch),
        ],
        cwd=REPO_ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        if not all(wait_healthy(url, 60) for url in urls):
            process.kill()
            pytest.fail("etl up did not become healthy: " + (process.communicate(timeout=10)[0] or ""))
        yield Up(process, *urls, watch=watch)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(predicate: Any, timeout_s: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def test_every_service_answers_health(up: Up) -> None:
    for url in (up.aws, up.api, up.console):
        status, body = get(url + "/health")
        assert status == 200 and body["status"] == "ok"


def test_upload_with_boto3_runs_the_pipeline_visible_through_the_apis(up: Up) -> None:
    config = PipelineConfig()
    s3 = endpoint_client("s3", up.aws, "us-east-1")
    sfn = endpoint_client("stepfunctions", up.aws, "us-east-1")
    s3.upload_file(str(SAMPLES / "data.csv"), config.data_bucket, "incoming/boto3.csv")
    machines = sfn.list_state_machines()["stateMachines"]
    (machine,) = [m for m in machines if m["name"] == config.state_machine_name]

    def finished() -> list[dict[str, Any]]:
        executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        mine = [
            e
            for e in executions
            if "incoming/boto3.csv" in sfn.describe_execution(executionArn=e["executionArn"])["input"]
        ]
        return [e for e in mine if e["status"] != "RUNNING"]

    (execution,) = wait_for(finished)
    assert execution["status"] == "SUCCEEDED"
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    event = json.loads(described["input"])
    assert event["detail-type"] == "Object Created"
    assert event["detail"]["object"]["key"] == "incoming/boto3.csv"
    assert json.loads(described["output"])["rows_written"] == 20

    # the console `etl up` serves (workflow/console): the execution, its file, and the Transform's log lines
    status, page = get(up.console + "/api/executions")
    assert status == 200 and execution["executionArn"] in {e["executionArn"] for e in page["executions"]}
    status, html = get(up.console + "/")
    assert status == 200 and "/static/app.js" in html
    quoted = urllib.parse.quote(execution["executionArn"], safe="")
    status, detail = get(up.console + "/api/executions/" + quoted)
    assert status == 200 and detail["status"] == "SUCCEEDED" and detail["file"]["key"] == "incoming/boto3.csv"
    status, state = get(up.console + "/api/executions/" + quoted + "/states/ProcessRows%2FTransform")
    assert status == 200 and state["status"] == "succeeded"
    (log,) = state["logs"]
    assert log["function"] == "csv-etl-transform" and log["lines"][0].startswith("START RequestId: ")


def test_rest_api_needs_the_key_and_serves_the_stored_messages(up: Up) -> None:
    pytest.importorskip("workflow.twin.gateway")
    status, _ = get(up.api + "/message")
    assert status == 403
    status, body = get(up.api + "/message/2019-05-28", {"x-api-key": API_KEY})
    assert status == 200, body


def test_cli_drop_wait_executions_describe_and_replay(up: Up) -> None:
    dropped = up.etl("drop", str(SAMPLES / "data_bad_msg.csv"), "--wait", "--json")
    assert dropped.returncode == 0, dropped.stderr
    result = json.loads(dropped.stdout)
    assert result["status"] == "SUCCEEDED" and result["rows_rejected"] == 1
    name = result["execution_arn"].rsplit(":", 1)[1]

    listed = up.etl("executions", "--json", "--status", "succeeded")
    assert listed.returncode == 0, listed.stderr
    assert name in {e["name"] for e in json.loads(listed.stdout)}

    described = up.etl("describe", name, "--json")
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["executionArn"] == result["execution_arn"]
    readable = up.etl("describe", name)
    assert "SUCCEEDED" in readable.stdout and "rows rejected" in readable.stdout

    replayed = up.etl("replay", name, "--wait", "--json")
    assert replayed.returncode == 0, replayed.stderr
    again = json.loads(replayed.stdout)
    assert again["execution_arn"] != result["execution_arn"] and again["rows_rejected"] == 1

    refused = up.etl("redrive", name)
    assert refused.returncode == 2 and "ExecutionNotRedrivable" in refused.stderr


def test_a_csv_copied_into_the_watched_folder_is_dropped(up: Up) -> None:
    shutil.copy(SAMPLES / "data_good_msg.csv", up.watch / "watched.csv")
    sfn = endpoint_client("stepfunctions", up.aws, "us-east-1")
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]

    def started() -> bool:
        return any(
            "incoming/watched.csv" in sfn.describe_execution(executionArn=e["executionArn"])["input"]
            for e in sfn.list_executions(stateMachineArn=machine)["executions"]
        )

    assert wait_for(started, 30)


def test_a_taken_port_is_refused_with_a_clear_message(up: Up) -> None:
    taken = up.aws.rsplit(":", 1)[1]
    command = [
        sys.executable,
        "-m",
        "workflow",
        "up",
        "--port",
        taken,
        "--api-port",
        str(free_port()),
        "--console-port",
        str(free_port()),
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "already in use" in done.stderr and taken in done.stderr


def test_sigterm_stops_it_cleanly(tmp_path: Path) -> None:
    ports = [free_port() for _ in range(3)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workflow",
            "up",
            "--port",
            str(ports[0]),
            "--api-port",
            str(ports[1]),
            "--console-port",
            str(ports[2]),
        ],
        cwd=REPO_ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_healthy(f"http://127.0.0.1:{ports[2]}", 60)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"AWS_ENDPOINT_URL=http://127.0.0.1:{ports[0]}" in out, "the banner prints the export lines"
    assert "stopped" in err
    assert all(port_free("127.0.0.1", port) for port in ports), "the ports are free again"


def first_200(url: str, timeout_s: float = 60.0) -> float:
    """Poll url as fast as an impatient script would; the time of its first 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic()
        except OSError:  # refused while the port is not bound yet, 503 while the twin is starting
            time.sleep(0.005)
    raise AssertionError(f"{url} never answered 200")


def executions_for(sfn: Any, key: str) -> list[str]:
    """The executions whose input (the S3 event) names key."""
    arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return [
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
        if key in (sfn.describe_execution(executionArn=e["executionArn"]).get("input") or "")
    ]


def test_an_upload_at_the_first_200_of_health_always_starts_its_execution() -> None:
    """`/health` answers 200 only once the bucket, queue, table and state machine exist and S3 -> execution
    is wired, so an upload made at that instant is never lost (issue 10, item 9). Several starts, in process
    (the same UpServer `etl up` runs), each raced by an upload at the first 200."""
    from workflow.twin.server import Ports, UpServer

    body = (SAMPLES / "data.csv").read_bytes()
    for attempt in range(3):
        ports = Ports(free_port(), free_port(), free_port())
        server = UpServer(PipelineConfig(), ports=ports, api_key=API_KEY)
        starter = threading.Thread(target=server.start, name="up-start")
        starter.start()
        try:
            aws = f"http://127.0.0.1:{ports.aws}"
            first_200(aws + "/health")
            key = f"incoming/ready-{attempt}.csv"
            endpoint_client("s3", aws, "us-east-1").put_object(Bucket="csv-etl-data", Key=key, Body=body)
            assert get(f"http://127.0.0.1:{ports.api}/health")[0] == 200
            assert get(f"http://127.0.0.1:{ports.console}/health")[0] == 200
            sfn = endpoint_client("stepfunctions", aws, "us-east-1")

            assert wait_for(functools.partial(executions_for, sfn, key), 15), (
                f"attempt {attempt}: the upload at the first 200 started nothing"
            )
        finally:
            starter.join(timeout=60)
            server.stop()
