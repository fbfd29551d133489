"""`etl up` in a terminal, as a user runs it (subprocesses on free ports): one line per event after the
banner, --verbose with the Lambdas' log lines, --quiet with none, `etl logs` and `etl executions` against it,
and a SIGTERM that stops it promptly with a summary of what was running."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workflow.config import REPO_ROOT
from workflow.twin.server import wait_healthy

pytestmark = pytest.mark.server
SAMPLES = REPO_ROOT / "sample_data"
API_KEY = "terminal-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ETL_"))}
    env.update(extra)
    return env


@dataclass
class Up:
    """A running `etl up` whose stdout is collected line by line."""

    process: subprocess.Popen[str]
    aws: str
    api: str
    lines: list[str] = field(default_factory=list)

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

    def activity(self) -> list[str]:
        """The lines after the banner."""
        text = list(self.lines)
        starts = [i for i, line in enumerate(text) if line.startswith("Ctrl-C stops the twin")]
        return text[starts[0] + 1 :] if starts else []

    def wait_for_line(self, kind: str, *parts: str, timeout_s: float = 60) -> str:
        """The first activity line of this kind (upload, execution, lambda, api, dlq) with all the parts."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.activity():
                words = line.split()
                if len(words) > 1 and words[1] == kind and all(part in line for part in parts):
                    return line
            time.sleep(0.1)
        raise AssertionError(f"no line with {parts} in:\n" + "\n".join(self.activity()))


def start_up(*options: str, env: dict[str, str] | None = None) -> Up:
    ports = [free_port() for _ in range(3)]
    command = [sys.executable, "-m", "workflow", "up", "--port", str(ports[0]), "--api-port", str(ports[1])]
    command += ["--console-port", str(ports[2]), "--api-key", API_KEY, *options]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    up = Up(process, f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            up.lines.append(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    if not wait_healthy(up.api, 60):
        process.kill()
        pytest.fail("etl up did not become healthy: " + (process.communicate(timeout=10)[1] or ""))
    return up


def stop(up: Up) -> str:
    """SIGTERM; the stderr it ends with."""
    if up.process.poll() is None:
        up.process.send_signal(signal.SIGTERM)
    try:
        _, err = up.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        up.process.kill()
        raise
    return err


@pytest.fixture(scope="module")
def verbose() -> Iterator[Up]:
    up = start_up("--verbose")
    try:
        yield up
    finally:
        stop(up)


@pytest.fixture(scope="module")
def dropped(verbose: Up) -> dict[str, str]:
    """data_bad_msg.csv dropped and finished: its execution name."""
    done = verbose.etl("drop", str(SAMPLES / "data_bad_msg.csv"), "--wait", "--json")
    assert done.returncode == 0, done.stderr
    return {"name": json.loads(done.stdout)["execution_arn"].rsplit(":", 1)[1]}


def test_an_upload_prints_its_execution_start_and_end_with_counts(
    verbose: Up, dropped: dict[str, str]
) -> None:
    name = dropped["name"]
    started = verbose.wait_for_line("upload", "incoming/data_bad_msg.csv")
    assert started.split(maxsplit=1)[1] == f"upload     incoming/data_bad_msg.csv -> execution {name}"
    ended = verbose.wait_for_line("execution", "SUCCEEDED", name)
    assert "incoming/data_bad_msg.csv  0 written, 1 rejected, 0 failed" in ended
    assert ended.rstrip().endswith(f" s  {name}")


def test_a_replay_is_a_started_line_with_its_file(verbose: Up, dropped: dict[str, str]) -> None:
    replayed = verbose.etl("replay", dropped["name"], "--wait", "--json")
    assert replayed.returncode == 0, replayed.stderr
    name = json.loads(replayed.stdout)["execution_arn"].rsplit(":", 1)[1]
    line = verbose.wait_for_line("execution", "started", name)
    assert line.split(maxsplit=1)[1] == f"execution  started {name}  incoming/data_bad_msg.csv"
    verbose.wait_for_line("execution", "SUCCEEDED", name)


def test_each_lambda_invocation_is_a_line_and_verbose_adds_its_logs(
    verbose: Up, dropped: dict[str, str]
) -> None:
    line = verbose.wait_for_line("lambda", "csv-etl-transform")
    assert line.rstrip().endswith(" ms")
    activity = verbose.activity()
    after = activity[activity.index(line) + 1]
    assert after.strip().startswith("| START RequestId: "), after
    verbose.wait_for_line("lambda", "csv-etl-summarize")


def test_a_rest_request_is_a_line_with_status_and_latency(verbose: Up) -> None:
    request = urllib.request.Request(verbose.api + "/message?limit=1", headers={"x-api-key": API_KEY})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    line = verbose.wait_for_line("api", "GET /message -> 200")
    assert line.rstrip().endswith(" ms")
    try:
        urllib.request.urlopen(verbose.api + "/message", timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
    verbose.wait_for_line("api", "GET /message -> 403")


def test_etl_logs_reads_the_twins_invocations(verbose: Up, dropped: dict[str, str]) -> None:
    name = dropped["name"]
    shown = verbose.etl("logs", "--execution", name)
    assert shown.returncode == 0, shown.stderr
    heads = [line for line in shown.stdout.splitlines() if not line.startswith("  ")]
    functions = {head.split()[1] for head in heads}
    # no valid row: the writer still records the batch and reports zeros (the Map child has no Choice)
    assert functions == {"csv-etl-transform", "csv-etl-writer", "csv-etl-summarize"}, shown.stdout
    assert all(f"execution {name}" in head for head in heads)
    assert "  START RequestId: " in shown.stdout and "  REPORT RequestId: " in shown.stdout
    as_json = verbose.etl("logs", "summarize", "--json")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records and {r["function"] for r in records} == {"csv-etl-summarize"}
    assert set(records[0]) >= {"request_id", "function", "start", "duration_ms", "logs", "error", "execution"}


def test_etl_logs_follow_prints_new_invocations(verbose: Up) -> None:
    follow = subprocess.Popen(
        [sys.executable, "-m", "workflow", "logs", "transform", "--follow"],
        cwd=REPO_ROOT,
        env=clean_env(AWS_ENDPOINT_URL=verbose.aws),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        done = verbose.etl("drop", str(SAMPLES / "data_good_msg.csv"), "--wait", "--json")
        assert done.returncode == 0, done.stderr
        name = json.loads(done.stdout)["execution_arn"].rsplit(":", 1)[1]
        time.sleep(2.5)  # two polls of --follow
    finally:
        follow.send_signal(signal.SIGINT)
        out, _ = follow.communicate(timeout=20)
    assert f"execution {name}" in out


def test_etl_executions_shows_file_status_duration_and_counts(verbose: Up, dropped: dict[str, str]) -> None:
    listed = verbose.etl("executions", "--json", "--file", "data_bad_msg")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    row = next(r for r in rows if r["name"] == dropped["name"])
    assert {r["file"] for r in rows} == {"incoming/data_bad_msg.csv"}
    assert row["status"] == "SUCCEEDED" and row["duration_s"] >= 0
    assert (row["rows_total"], row["rows_written"], row["rows_rejected"], row["rows_failed"]) == (1, 0, 1, 0)
    table = verbose.etl("executions")
    (line,) = [line for line in table.stdout.splitlines() if dropped["name"] in line]
    cells = [cell.strip() for cell in line.strip("│ ").split("│")]
    assert cells[1:3] == ["incoming/data_bad_msg.csv", "SUCCEEDED"]
    assert cells[4].endswith(" s") and cells[5:] == ["0", "1", "0"]
    none = verbose.etl("executions", "--file", "no-such-file")
    assert none.returncode == 0 and "no executions match" in none.stderr
    failed = verbose.etl("executions", "--status", "failed", "--json")
    assert failed.returncode == 0 and json.loads(failed.stdout) == []


def test_run_up_takes_the_ports_then_prints_activity_and_stops_on_sigterm() -> None:
    """`make run` is `etl run sample_data/data.csv --up`: the ports are options too."""
    ports = [free_port() for _ in range(3)]
    command = [sys.executable, "-m", "workflow", "run", str(SAMPLES / "data_good_msg.csv"), "--up"]
    command += ["--port", str(ports[0]), "--api-port", str(ports[1]), "--console-port", str(ports[2])]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    up = Up(process, f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
    threading.Thread(
        target=lambda: up.lines.extend(line.rstrip("\n") for line in process.stdout), daemon=True
    ).start()
    try:
        deadline = time.monotonic() + 90
        while not up.activity() and not any("Ctrl-C stops" in line for line in up.lines):
            assert time.monotonic() < deadline and process.poll() is None, up.lines
            time.sleep(0.2)
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{ports[0]}" in up.lines
        assert any(line.split()[:2] == ["rows", "written"] and line.split()[-1] == "1" for line in up.lines)
        request = urllib.request.Request(up.api + "/message?limit=1", headers={"x-api-key": "wrong"})
        try:
            urllib.request.urlopen(request, timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
        up.wait_for_line("api", "GET /message -> 403")
    finally:
        err = stop(up)
    assert process.returncode == 0, err
    assert err.strip().splitlines()[-1].startswith("stopped in ")


def test_quiet_prints_nothing_after_the_banner() -> None:
    up = start_up("--quiet")
    try:
        done = up.etl("drop", str(SAMPLES / "data_good_msg.csv"), "--wait")
        assert done.returncode == 0, done.stderr
        time.sleep(1.0)  # longer than the watcher's look
    finally:
        err = stop(up)
    assert any(line.startswith("Ctrl-C stops the twin") for line in up.lines)
    assert up.activity() == []
    assert err.strip().splitlines()[-1].startswith("stopped in ")


def test_sigterm_stops_promptly_and_says_what_was_running(tmp_path: Path) -> None:
    """The stop time itself is measured by bench/stop_time.py; here: it stops, and says what it aborted."""
    big = tmp_path / "big.csv"
    subprocess.run(
        [sys.executable, str(SAMPLES / "generate.py"), str(big), "--rows", "20000", "--bad-share", "0"],
        check=True,
        capture_output=True,
    )
    up = start_up("--quiet", "--max-concurrency", "2")
    try:
        dropped = up.etl("drop", str(big))
        assert dropped.returncode == 0, dropped.stderr
        running = up.etl("executions", "--status", "RUNNING", "--json")
        deadline = time.monotonic() + 30
        while not json.loads(running.stdout) and time.monotonic() < deadline:
            running = up.etl("executions", "--status", "RUNNING", "--json")
        (execution,) = json.loads(running.stdout)
    finally:
        started = time.monotonic()
        err = stop(up)
        took = time.monotonic() - started
    assert up.process.returncode == 0, err
    assert took < 15, f"stopping took {took:.1f} s"
    lines = err.strip().splitlines()
    assert lines[-2].startswith("aborted 1 running execution(s) (in-memory, as StopExecution): ")
    assert f"{execution['name']} (incoming/big.csv, " in lines[-2] and "/20000 rows)" in lines[-2]
    assert lines[-1].startswith("stopped in ")


def test_stopping_before_the_twin_is_provisioned_reports_no_running_execution() -> None:
    """Ctrl-C while `etl up` is still starting: nothing was provisioned, so nothing was aborted (the stop
    summary used to say "aborted 1 running execution(s): (AttributeError while listing them)")."""
    from types import SimpleNamespace

    from workflow.cli.twin_cmds import _running_executions

    server = SimpleNamespace(twin=SimpleNamespace(resources=None, service=object()))
    assert _running_executions(server) == []
