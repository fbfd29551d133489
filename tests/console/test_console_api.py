"""The console's JSON API and `etl trace` against one in-process twin (its ledger table read for files, counts
and rejects; the fallback to S3 + Step Functions by a console pointed at a ledger table that does not exist):
a file uploaded through the console, a failed batch with its real cause, a redrive, rejects."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from boto3.dynamodb.types import TypeSerializer
from typer.testing import CliRunner
from werkzeug.test import Client

from tests.console.twin_runs import MissingTable, wait_done, wait_until
from workflow.cli import app as etl
from workflow.config import REPO_ROOT
from workflow.console import live
from workflow.console.app import ConsoleApp
from workflow.console.sources import for_twin, ledger_table_name
from workflow.twin.server import wait_healthy
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server
SAMPLES = REPO_ROOT / "sample_data"
WRITE = {"X-Console": "1"}


def q(arn: str) -> str:
    return quote(arn, safe="")


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    with Twin.ephemeral() as running:
        yield running


@pytest.fixture(scope="module")
def console(twin: Twin) -> Iterator[Client]:
    app = ConsoleApp(for_twin(twin))
    yield Client(app)
    app.close()


def upload(console: Client, path: Path, name: str) -> str:
    """PUT the file through the console (as its upload control does) and return the execution it starts."""
    key = "incoming/" + name
    before = console.get(f"/api/files/{key}/execution").get_json()["executionArn"]
    response = console.put(f"/api/files/{name}", data=path.read_bytes(), headers=WRITE)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json() == {"bucket": "csv-etl-data", "key": key}

    def started() -> str | None:
        arn = console.get(f"/api/files/{key}/execution").get_json()["executionArn"]
        return arn if arn and arn != before else None

    return str(wait_until(started, 30, f"an execution for {key}"))


@pytest.fixture(scope="module")
def succeeded(twin: Twin, console: Client) -> str:
    arn = upload(console, SAMPLES / "data.csv", "data.csv")
    assert wait_done(twin, arn)["status"] == "SUCCEEDED"
    return arn


@pytest.fixture(scope="module")
def failed(twin: Twin, console: Client) -> str:
    with MissingTable(twin):
        arn = upload(console, SAMPLES / "data.csv", "fails.csv")
        assert wait_done(twin, arn)["status"] == "FAILED"
    return arn


@pytest.fixture(scope="module")
def redriven(twin: Twin, console: Client) -> str:
    """A failed file, then the table recreated and the console's Redrive pressed: the same ARN succeeds."""
    with MissingTable(twin) as table:
        arn = upload(console, SAMPLES / "data.csv", "redrive.csv")
        assert wait_done(twin, arn)["status"] == "FAILED"
        assert console.post(f"/api/executions/{q(arn)}/redrive").status_code == 403, "needs X-Console"
        table.recreate()
    response = console.post(f"/api/executions/{q(arn)}/redrive", headers=WRITE)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert wait_done(twin, arn)["status"] == "SUCCEEDED"
    return arn


def test_upload_runs_the_file_and_the_header_graph_and_map_run_show_it(
    console: Client, succeeded: str
) -> None:
    header = console.get(f"/api/executions/{q(succeeded)}").get_json()
    assert header["status"] == "SUCCEEDED" and header["file"]["key"] == "incoming/data.csv"
    assert header["counts"]["rows_total"] == 20 and header["counts"]["rows_written"] == 20
    assert header["counts_source"] == "ledger", "the twin's ledger item of this object version"
    assert header["ledger"]["status"] == "SUCCEEDED" and header["ledger"]["outcome"] == "complete"
    assert header["ledger"]["execution_arn"] == succeeded
    assert header["actions"] == {
        "redrive": False,
        "redrive_reason": "Execution is SUCCEEDED and cannot be redriven",
        "replay": True,
        "stop": False,
    }
    graph = console.get(f"/api/executions/{q(succeeded)}/graph").get_json()
    status = {
        e["data"]["id"]: e["data"].get("status") for e in graph["elements"] if "source" not in e["data"]
    }
    assert status["Summarize"] == "succeeded" and status["ProcessRows/Enqueue"] == "succeeded"
    assert status["ProcessRows/Transform"] == "succeeded"
    assert status["IsReplay"] == "succeeded" and status["RegisterObject"] == "succeeded"
    assert status["RegisterReplay"] == "not_run" and status["DuplicateEvent"] == "not_run"
    definition = json.loads((REPO_ROOT / "workflow/definition/csv_etl.asl.json").read_text())
    assert {e["data"]["id"] for e in graph["elements"] if e["data"].get("name")} >= set(definition["States"])
    first_upload = ["Configure", "IsReplay", "RegisterObject", "ProcessRows", "Summarize"]
    assert [s["name"] for s in graph["steps"]] == first_upload
    (run,) = header["map_runs"]
    described = console.get(f"/api/mapruns/{q(run['mapRunArn'])}").get_json()
    assert described["itemCounts"]["succeeded"] == 20 and described["executionCounts"]["succeeded"] == 1
    (child,) = console.get(f"/api/mapruns/{q(run['mapRunArn'])}/children").get_json()["children"]
    assert (child["first_row"], child["last_row"], child["rows"]) == (2, 21, 20)
    child_header = console.get(f"/api/executions/{q(child['executionArn'])}").get_json()
    assert child_header["is_child"] and child_header["batch"]["sample"][0]["row"] == 2
    assert child_header["actions"]["replay"] is False, "a Map child is not replayed on its own"


def test_state_details_give_input_parameters_result_output_and_the_lambda_log(
    console: Client, succeeded: str
) -> None:
    state = console.get(f"/api/executions/{q(succeeded)}/states/Summarize").get_json()
    assert state["status"] == "succeeded" and state["output"]["rows_written"] == 20
    assert state["parameters"]["Payload"]["key"] == "incoming/data.csv", (
        "effective parameters, paths resolved"
    )
    assert state["result"]["Payload"]["rows_total"] == 20, "the task's result before ResultSelector"
    assert state["definition"]["OutputPath"] == "$.summary"
    (log,) = state["logs"]
    assert log["matched_by"] == "request id" and log["lines"][0].startswith("START RequestId: ")
    assert any("REPORT RequestId" in line for line in log["lines"])
    flow = {step["step"]: step for step in state["dataflow"]}
    assert list(flow) == ["Input", "Parameters (effective)", "Result", "ResultSelector", "OutputPath"]
    assert flow["ResultSelector"]["value"] == {"summary": state["result"]["Payload"]}
    assert flow["OutputPath"]["value"] == state["output"]
    assert flow["OutputPath"]["note"] == "matches the recorded output"
    configure = console.get(f"/api/executions/{q(succeeded)}/states/Configure").get_json()
    configured = {step["step"]: step for step in configure["dataflow"]}
    assert configured["Parameters"]["value"]["maxItemsPerBatch"] == 800, (
        "recomputed with the engine's templates"
    )
    assert configured["ResultPath"]["note"] == "matches the recorded output"
    inner = console.get(f"/api/executions/{q(succeeded)}/states/ProcessRows%2FTransform").get_json()
    assert inner["execution_arn"] != succeeded and inner["input"]["Items"][0]["index"] == 0


def test_history_pages_filter_and_export(console: Client, succeeded: str) -> None:
    page = console.get(f"/api/executions/{q(succeeded)}/history?type=StateEntered").get_json()
    entered = ["Configure", "IsReplay", "RegisterObject", "ProcessRows", "Summarize"]
    assert [e["state"] for e in page["events"]] == entered
    by_state = console.get(f"/api/executions/{q(succeeded)}/history?state=Summarize").get_json()
    assert {e["type"] for e in by_state["events"]} >= {"TaskScheduled", "TaskSucceeded", "TaskStateExited"}
    export = console.get(f"/api/executions/{q(succeeded)}/history.json")
    assert "attachment" in export.headers["Content-Disposition"]
    assert export.get_json()["events"][0]["type"] == "ExecutionStarted"


def test_a_failed_batch_shows_the_failing_state_the_real_cause_and_what_to_do(
    console: Client, failed: str
) -> None:
    header = console.get(f"/api/executions/{q(failed)}").get_json()
    assert header["status"] == "FAILED" and header["failing_state"] == "ProcessRows"
    assert header["error"] == "States.ExceedToleratedFailureThreshold"
    (batch,) = header["failed_batches"]
    assert batch["error"] == "Writer.WriteFailed" and "ResourceNotFound" in batch["cause"]
    assert (batch["first_row"], batch["last_row"], batch["rows"]) == (2, 21, 20)
    assert header["actions"]["redrive"] is True and header["actions"]["stop"] is False
    assert "Redrive" in header["next_step"] and "does not exist" in header["next_step"]
    graph = console.get(f"/api/executions/{q(failed)}/graph").get_json()
    status = {
        e["data"]["id"]: e["data"].get("status") for e in graph["elements"] if "source" not in e["data"]
    }
    assert status["ProcessRows"] == "failed" and status["ProcessRows/Enqueue"] == "failed"
    assert status["Summarize"] == "not_run"
    failed_children = f"/api/mapruns/{q(header['map_runs'][0]['mapRunArn'])}/children?status=FAILED"
    (child,) = console.get(failed_children).get_json()["children"]
    assert child["error"] == "Writer.WriteFailed"


def test_actions_are_refused_where_aws_would_refuse_them(console: Client, succeeded: str) -> None:
    """RedriveExecution docs: only a FAILED, TIMED_OUT or ABORTED execution is redrivable."""
    response = console.post(f"/api/executions/{q(succeeded)}/redrive", headers=WRITE)
    assert response.status_code == 409 and "cannot be redriven" in response.get_json()["message"]
    assert console.post(f"/api/executions/{q(succeeded)}/stop", headers=WRITE).status_code == 409


def test_redrive_from_the_console_succeeds_the_same_execution(console: Client, redriven: str) -> None:
    header = console.get(f"/api/executions/{q(redriven)}").get_json()
    assert header["status"] == "SUCCEEDED" and header["redriveCount"] == 1
    assert header["counts"]["rows_written"] == 20 and header["failed_batches"] == []
    graph = console.get(f"/api/executions/{q(redriven)}/graph").get_json()
    status = {
        e["data"]["id"]: e["data"].get("status") for e in graph["elements"] if "source" not in e["data"]
    }
    assert status["ProcessRows"] == "succeeded" and status["Summarize"] == "succeeded"
    assert status["ProcessRows/Enqueue"] == "succeeded", "the Map's states from its (redriven) child"
    assert graph["child"]["status"] == "SUCCEEDED"


def test_rejects_of_data_bad_msg_list_its_three_reasons_and_download_as_csv(
    twin: Twin, console: Client
) -> None:
    """Summarize writes one line for the row (its original columns + row, field, reason, the three problems
    joined with '; '); the console shows one problem per line, each with its value from its column."""
    arn = upload(console, SAMPLES / "data_bad_msg.csv", "data_bad_msg.csv")
    wait_done(twin, arn)
    rejects = console.get("/api/files/incoming/data_bad_msg.csv/rejects").get_json()
    assert rejects["location"] == "s3://csv-etl-data/rejects/incoming/data_bad_msg.csv"
    stored = twin.client("s3").get_object(Bucket="csv-etl-data", Key="rejects/incoming/data_bad_msg.csv")
    (header, line) = stored["Body"].read().decode().splitlines()
    assert header.endswith(",row,field,reason") and "timestamp; local_avg; remote_avg" in line
    assert rejects["total"] == 3 and rejects["execution_arn"] == arn
    assert rejects["rejects"] == [
        {"row": 2, "field": "timestamp", "reason": "not a number", "value": "not_a_timestamp!"},
        {"row": 2, "field": "local_avg", "reason": "not a number", "value": "not_a_number"},
        {"row": 2, "field": "remote_avg", "reason": "empty or missing", "value": ""},
    ]
    assert rejects["fields"] == ["local_avg", "remote_avg", "timestamp"]
    only = console.get("/api/files/incoming/data_bad_msg.csv/rejects?field=timestamp").get_json()
    assert [r["field"] for r in only["rejects"]] == ["timestamp"] and only["matched"] == 1
    text = console.get("/api/files/incoming/data_bad_msg.csv/rejects.csv").get_data(as_text=True)
    assert text.splitlines() == [
        "row,field,reason,value",
        "2,timestamp,not a number,not_a_timestamp!",
        "2,local_avg,not a number,not_a_number",
        "2,remote_avg,empty or missing,",
    ]


def test_files_list_reads_the_ledger_with_counts_and_real_causes(
    console: Client, succeeded: str, failed: str
) -> None:
    """A failed run's item is final once Summarize, started by the status change, has settled (RUNNING till
    then)."""

    def final() -> dict[str, Any] | None:
        files = console.get("/api/files").get_json()
        by_key = {f["key"]: f for f in files["files"]}
        return files if by_key["incoming/fails.csv"]["status"] != "RUNNING" else None

    files = wait_until(final, 30, "the ledger item of fails.csv to be final")
    assert files["source"] == "ledger"
    by_key = {f["key"]: f for f in files["files"]}
    done = by_key["incoming/data.csv"]
    assert done["status"] == "SUCCEEDED" and done["outcome"] == "complete"
    assert done["counts"]["rows_total"] == 20 and done["counts"]["rows_written"] == 20
    assert succeeded in {e["execution_arn"] for e in done["executions"]}
    broken = by_key["incoming/fails.csv"]
    assert broken["status"] == "FAILED" and broken["execution_arn"] == failed
    assert broken["counts"]["rows_failed"] == 20, "the ledger knows the rows a failed run did not store"
    (batch,) = broken["failed_batches"]
    assert batch["error"] == "Writer.WriteFailed" and "ResourceNotFound" in batch["cause"]


def test_files_and_executions_lists_from_s3_and_step_functions(
    twin: Twin, console: Client, succeeded: str, failed: str
) -> None:
    """Without the ledger table (a stack or twin without it), Files falls back to S3 + Step Functions."""
    absent = dataclasses.replace(for_twin(twin), ledger_table="csv-etl-ledger-absent")
    assert not absent.ledger.available()
    app = ConsoleApp(absent)
    try:
        files = Client(app).get("/api/files").get_json()
    finally:
        app.close()
    assert files["source"] == "s3+stepfunctions"
    by_key = {f["key"]: f for f in files["files"]}
    assert by_key["incoming/data.csv"]["status"] == "SUCCEEDED"
    assert by_key["incoming/data.csv"]["counts"]["rows_written"] == 20
    assert by_key["incoming/fails.csv"]["status"] == "FAILED" and by_key["incoming/fails.csv"]["counts"] == {}
    failed_only = console.get("/api/executions?status=FAILED").get_json()["executions"]
    assert failed in {e["executionArn"] for e in failed_only}
    assert {e["status"] for e in failed_only} == {"FAILED"}
    found = console.get("/api/executions?q=fails.csv").get_json()["executions"]
    assert [e["executionArn"] for e in found] == [failed]
    bad = console.put("/api/files/notes.txt", data=b"x", headers=WRITE)
    assert bad.status_code == 400 and ".csv" in bad.get_json()["message"]


def test_pages_are_the_single_page_app_and_unknown_things_are_404(console: Client, succeeded: str) -> None:
    page = console.get(f"/executions/{q(succeeded)}")
    assert page.status_code == 200 and b"/static/app.js" in page.data
    assert console.get("/static/vendor/cytoscape.min.js").status_code == 200
    missing = succeeded.rsplit(":", 1)[0] + ":nope"
    assert console.get(f"/api/executions/{q(missing)}").status_code == 404
    assert console.get("/health").get_json() == {"status": "ok", "service": "console"}


def test_event_stream_says_when_the_executions_list_changes(twin: Twin) -> None:
    """The SSE body starts with `retry`, then sends `change` once a new execution appears in the list."""
    polls: list[float] = []

    def sleep(seconds: float) -> bool:  # stands in for the stream's wait between polls
        polls.append(seconds)
        if len(polls) == 1:
            twin.upload(SAMPLES / "data_good_msg.csv")
        threading.Event().wait(0.1)
        return len(polls) > 100  # True ends the stream

    chunks = []
    for chunk in live.stream(for_twin(twin), None, None, threading.Event(), sleep=sleep):
        chunks.append(chunk)
        if chunk.startswith(b"event: change"):
            break
    assert chunks[0] == b"retry: 500\n\n"
    assert chunks[-1] == b'event: change\ndata: {"topic": "executions"}\n\n'


# ---- etl trace ------------------------------------------------------------------------------------------
def trace(twin: Twin, arn: str, *extra: str) -> Any:
    return CliRunner().invoke(etl, ["trace", arn, "--endpoint-url", twin.url, *extra])


def test_trace_of_a_succeeded_execution(twin: Twin, succeeded: str) -> None:
    result = trace(twin, succeeded.rsplit(":", 1)[1])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "incoming/data.csv" in result.output
    assert "Summarize (Task)  succeeded" in result.output
    assert "rows succeeded 20, total 20; batches succeeded 1, total 1" in result.output
    assert "├── Transform  succeeded" in result.output and "└── Enqueue  succeeded" in result.output


def test_trace_of_a_failed_execution_names_the_batch_and_its_real_cause(twin: Twin, failed: str) -> None:
    result = trace(twin, failed)
    assert result.exit_code == 1, result.output
    assert "ProcessRows (Map)  failed" in result.output
    assert "failed batch rows 2-21 (20): Writer.WriteFailed" in result.output
    assert "ResourceNotFound" in result.output
    assert "error at ProcessRows: States.ExceedToleratedFailureThreshold" in result.output
    assert "etl redrive" in result.output


def test_trace_of_a_redriven_execution_and_follow_json(twin: Twin, redriven: str) -> None:
    result = trace(twin, redriven)
    assert result.exit_code == 0, result.output
    assert "redrives 1" in result.output and "Summarize (Task)  succeeded" in result.output
    as_json = trace(twin, redriven, "--json")
    assert '"status": "SUCCEEDED"' in as_json.stdout and '"redriveCount": 1' in as_json.stdout


def test_trace_follow_runs_until_the_execution_ends(twin: Twin) -> None:
    twin.upload(SAMPLES / "data.csv", "incoming/follow.csv")
    arn = twin.execution_for_key("incoming/follow.csv")
    result = trace(twin, arn, "--follow")
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output and "Summarize (Task)  succeeded" in result.output


def test_replay_starts_a_new_execution_for_the_same_file_and_stop_aborts_a_running_one(
    twin: Twin, console: Client, succeeded: str
) -> None:
    """StartExecution with the same input (a new name), and StopExecution of a RUNNING execution (ABORTED)."""
    replayed = console.post(f"/api/executions/{q(succeeded)}/replay", headers=WRITE).get_json()
    assert replayed["replayOf"] == succeeded and replayed["executionArn"] != succeeded
    assert wait_done(twin, replayed["executionArn"])["status"] == "SUCCEEDED"
    real = twin.runtime.handler(twin.config.function("writer"))  # type: ignore[union-attr]
    release = threading.Event()

    def held(event: Any, context: Any) -> Any:  # the writer waits: the execution stays RUNNING
        release.wait(20)
        return real(event, context)

    twin.runtime.overrides["writer"] = held  # type: ignore[union-attr]
    try:
        twin.upload(SAMPLES / "data.csv", "incoming/stop-me.csv")
        arn = twin.execution_for_key("incoming/stop-me.csv")
        header = console.get(f"/api/executions/{q(arn)}").get_json()
        assert header["status"] == "RUNNING" and header["actions"]["stop"] is True
        assert header["actions"]["redrive"] is False and header["actions"]["replay"] is False
        assert console.post(f"/api/executions/{q(arn)}/stop", headers=WRITE).status_code == 200
        assert wait_done(twin, arn)["status"] == "ABORTED"
    finally:
        release.set()
        twin.runtime.overrides.clear()  # type: ignore[union-attr]


def test_with_the_ledger_table_files_header_and_rejects_read_it(twin: Twin, succeeded: str) -> None:
    """The ledger contract's OBJECT item (counts, executions, rejects_location, next step) wins over what
    Step Functions says; a rejects line of several problems is one problem each, values from their columns."""
    ddb = twin.client("dynamodb")
    table = ledger_table_name(twin.config)
    assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE", "the twin provisions it"
    rejects_key = "rejects/tests/ledger-item.csv"
    twin.client("s3").put_object(
        Bucket="csv-etl-data",
        Key=rejects_key,
        Body=(
            b"timestamp,local_avg,remote_avg,row,field,reason\n"
            b"1559000000,abc,,7,local_avg; remote_avg,local_avg: not a number; remote_avg: empty or missing\n"
        ),
    )
    item = {
        "file": "s3://csv-etl-data/incoming/data.csv",
        "sk": "OBJECT#etag1",
        "bucket": "csv-etl-data",
        "key": "incoming/data.csv",
        "etag": "etag1",
        "size": 1425,
        "uploaded_at": "2099-01-01T00:00:00Z",
        "status": "SUCCEEDED",
        "outcome": "complete",
        "rows_total": 20,
        "rows_written": 17,
        "rows_duplicate": 1,
        "rows_rejected": 1,
        "rows_conflict": 1,
        "rows_failed": 0,
        "executions": [{"execution_arn": succeeded, "kind": "first", "status": "SUCCEEDED"}],
        "rejects_location": f"s3://csv-etl-data/{rejects_key}",
        "next_step": "nothing: the ledger says so",
    }
    serializer = TypeSerializer()
    key = {"file": {"S": item["file"]}, "sk": {"S": item["sk"]}}
    ddb.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in item.items()})
    app = ConsoleApp(for_twin(twin))
    try:
        console = Client(app)
        files = console.get("/api/files").get_json()
        assert files["source"] == "ledger" and files["files"][0]["etag"] == "etag1", "newest upload first"
        assert files["files"][0]["counts"]["rows_duplicate"] == 1
        header = console.get(f"/api/executions/{q(succeeded)}").get_json()
        assert header["counts_source"] == "ledger" and header["counts"]["rows_written"] == 17
        assert header["next_step"] == "nothing: the ledger says so"
        rejects = console.get("/api/files/incoming/data.csv/rejects").get_json()
        assert rejects["rejects"] == [
            {"row": 7, "field": "local_avg", "reason": "not a number", "value": "abc"},
            {"row": 7, "field": "remote_avg", "reason": "empty or missing", "value": ""},
        ]
    finally:
        app.close()
        ddb.delete_item(TableName=table, Key=key)


def test_a_replayed_executions_header_does_not_take_the_ledgers_counts_of_the_replay(
    twin: Twin, console: Client, succeeded: str
) -> None:
    """The ledger item holds the counts of the object version's latest execution only: after a replay, the
    first execution's header takes its counts from its own output."""
    replayed = console.post(f"/api/executions/{q(succeeded)}/replay", headers=WRITE).get_json()
    assert wait_done(twin, replayed["executionArn"])["status"] == "SUCCEEDED"
    graph = console.get(f"/api/executions/{q(replayed['executionArn'])}/graph").get_json()
    status = {
        e["data"]["id"]: e["data"].get("status") for e in graph["elements"] if "source" not in e["data"]
    }
    assert status["RegisterReplay"] == "succeeded" and status["RegisterObject"] == "not_run", "marked replay"
    assert status["Summarize"] == "succeeded"
    latest = console.get(f"/api/executions/{q(replayed['executionArn'])}").get_json()
    assert latest["counts_source"] == "ledger"
    assert [e["kind"] for e in latest["ledger"]["executions"]][-1] == "replay"
    first = console.get(f"/api/executions/{q(succeeded)}").get_json()
    assert first["counts_source"] == "summary" and first["counts"]["rows_total"] == 20
    assert first["ledger"]["execution_arn"] == replayed["executionArn"]


def test_etl_console_serves_the_console_for_a_twin_in_another_process(twin: Twin, succeeded: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", PYTHONPATH=str(REPO_ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "workflow", "console", "--endpoint-url", twin.url, "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_healthy(url, 30)
        with urllib.request.urlopen(url + "/api/executions", timeout=10) as response:
            body = response.read().decode()
        assert succeeded in body
    finally:
        process.terminate()
        process.wait(10)
