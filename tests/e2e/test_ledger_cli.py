"""The ledger through the CLI (`etl files`, `etl file --verify`, `etl rejects`, `etl describe`, `etl replay`)
against one twin: what a user sees for a good file, a copy of it, a file with a bad row and a failed run."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.e2e.pipeline_runs import SAMPLES, fail_one_batch
from workflow.cli import app
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server


def etl(twin: Twin, *args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--endpoint-url", twin.url])


@pytest.fixture(scope="module")
def runs(twin: Twin) -> dict[str, dict[str, Any]]:
    return {
        "good": twin.run_file(SAMPLES / "data.csv", "incoming/ledger/data.csv", timeout_s=120),
        "copy": twin.run_file(SAMPLES / "data.csv", "incoming/ledger/copy.csv", timeout_s=120),
        "bad": twin.run_file(SAMPLES / "data_bad_msg.csv", "incoming/ledger/bad.csv", timeout_s=120),
    }


def test_files_lists_each_file_with_its_counts(twin: Twin, runs: dict[str, dict[str, Any]]) -> None:
    done = etl(twin, "files", "--json")
    assert done.exit_code == 0, done.output
    by_key = {item["key"]: item for item in json.loads(done.stdout)}
    good, copy = by_key["incoming/ledger/data.csv"], by_key["incoming/ledger/copy.csv"]
    assert (good["status"], good["rows_total"], good["rows_written"]) == ("SUCCEEDED", 20, 20)
    assert (copy["rows_written"], copy["rows_duplicate"]) == (0, 20)
    assert list(copy["duplicates_of"]) == [
        f"{runs['good']['file']} (execution {runs['good']['execution_arn'].rsplit(':', 1)[1]})"
    ]
    assert by_key["incoming/ledger/bad.csv"]["rows_rejected"] == 1


def test_file_verify_checks_the_ledger_against_the_table(twin: Twin, runs: dict[str, dict[str, Any]]) -> None:
    done = etl(twin, "file", "incoming/ledger/data.csv", "--verify", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["verify"]["held"] == 20
    [version] = report["versions"]
    assert [e["kind"] for e in version["executions"]] == ["first"]
    human = etl(twin, "file", "incoming/ledger/copy.csv")
    assert human.exit_code == 0 and "already stored" in human.output and "20 rows from" in human.output


def test_rejects_are_a_csv_of_the_original_rows_with_why(
    twin: Twin, runs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "fix.csv"
    done = etl(twin, "rejects", "incoming/ledger/bad.csv", "--out", str(out))
    assert done.exit_code == 0, done.output
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["row"] == "2" and row["timestamp"] == "not_a_timestamp!"
    assert row["field"] == "timestamp; local_avg; remote_avg" and "local_avg: not a number" in row["reason"]
    by_execution = etl(twin, "rejects", runs["bad"]["execution_arn"], "--json")
    assert json.loads(by_execution.stdout)["rows"] == [row]


def test_a_failed_run_shows_each_failed_batch_and_the_next_step(twin: Twin, tmp_path: Path) -> None:
    failed = fail_one_batch(twin, tmp_path / "cli-failed.csv", "incoming/ledger/failed.csv")
    name = failed["execution_arn"].rsplit(":", 1)[1]
    done = etl(twin, "describe", name, "--json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)["result"]
    assert result["next_step"] == f"etl redrive {name}"
    assert any(
        (b["first_row"], b["last_row"], b["error"], b["cause"])
        == (802, 1501, "Writer.WriteFailed", "injected: table unavailable")  # 2nd batch of 800
        for b in result["failed_batches"]
    )
    human = etl(twin, "describe", name)
    assert "failed batches" in human.output and "Writer.WriteFailed" in human.output
    assert f"next: etl redrive {name}" in human.output
    ledger = json.loads(etl(twin, "file", "incoming/ledger/failed.csv", "--json").stdout)["versions"][0]
    assert (ledger["status"], ledger["outcome"]) == ("FAILED", "partial")
    assert ledger["next_step"] == f"etl redrive {name}"


def test_replay_runs_again_and_stores_nothing_twice(twin: Twin, runs: dict[str, dict[str, Any]]) -> None:
    done = etl(twin, "replay", runs["good"]["execution_arn"], "--wait", "--json")
    assert done.exit_code == 0, done.output
    replayed = json.loads(done.stdout)
    assert (replayed["rows_written"], replayed["rows_duplicate"]) == (0, 20)
    report = json.loads(etl(twin, "file", "incoming/ledger/data.csv", "--verify", "--json").stdout)
    assert [e["kind"] for e in report["versions"][0]["executions"]] == ["first", "replay"]
    assert report["ok"] and report["verify"]["held"] == 20


def test_verify_fails_when_the_table_lost_a_row_the_ledger_counts(
    twin: Twin, runs: dict[str, dict[str, Any]]
) -> None:
    ddb = twin.client("dynamodb")
    items = ddb.scan(
        TableName=twin.config.table_name,
        FilterExpression="source_file = :f",
        ExpressionAttributeValues={":f": {"S": runs["good"]["file"]}},
    )["Items"]
    ddb.delete_item(
        TableName=twin.config.table_name, Key={"date": items[0]["date"], "time": items[0]["time"]}
    )
    done = etl(twin, "file", "incoming/ledger/data.csv", "--verify")
    assert done.exit_code == 1
    assert "the table does not hold what the batch records say was written" in done.output
    assert "│ 19 " in done.output  # items held, against 20 in the ledger
