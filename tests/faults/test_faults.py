"""Issue 10's fault scenarios on one twin with faults injected (workflow/twin/faults.py), most valuable
first. After each: the ledger equation holds, the table holds exactly what the ledger says was written, no
row is stored twice, and the summary names what happened. `pytest -s` prints each scenario's ledger;
bench/fault_ledgers.py prints them without pytest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import scenarios
from workflow.twin import faults
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    with scenarios.fault_twin() as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left() -> Iterator[None]:
    yield
    faults.registry.clear()


def show(report: scenarios.Report) -> None:
    print("\n" + "\n".join(report.lines()))


def test_two_overlapping_files_uploaded_at_once_never_overwrite_each_other(
    twin: Twin, tmp_path: Path
) -> None:
    """Rounds of two 600-row files sharing 300 timestamps (150 identical rows, 150 different)."""
    report = scenarios.overlapping_files(twin, tmp_path)
    show(report)
    for file in report.files:
        scenarios.check(file)
        assert file.ledger["status"] == "SUCCEEDED" and file.ledger["outcome"] == "complete"
    for a, b in zip(report.files[::2], report.files[1::2], strict=True):
        # each shared key is stored once; the file that lost the race names the winner
        loser = a if a.ledger["rows_conflict"] else b
        winner = b if loser is a else a
        assert loser.ledger["rows_conflict"] + winner.ledger["rows_conflict"] == 150
        names = " ".join(loser.ledger.get("duplicates_of") or {}) + " ".join(
            winner.ledger.get("duplicates_of") or {}
        )
        assert winner.file in names or loser.file in names


def test_writer_crash_after_writing_before_reporting_counts_each_row_once(twin: Twin, tmp_path: Path) -> None:
    report = scenarios.writer_crash_after_write(twin, tmp_path)
    show(report)
    [file] = report.files
    scenarios.check(file)
    assert report.notes == ["crashes: 1"]
    assert (file.ledger["status"], file.ledger["rows_written"], file.ledger["rows_total"]) == (
        "SUCCEEDED",
        1000,
        1000,
    )
    assert sum(file.held.values()) == 1000


def test_an_sqs_message_delivered_twice_is_stored_once(twin: Twin, tmp_path: Path) -> None:
    report = scenarios.delivered_twice(twin, tmp_path)
    show(report)
    [file] = report.files
    scenarios.check(file)
    assert report.notes == ["second deliveries: 1"]
    assert (file.ledger["status"], file.ledger["rows_written"]) == ("SUCCEEDED", 1000)


def test_transient_transform_errors_are_retried_and_the_file_completes(twin: Twin, tmp_path: Path) -> None:
    """Retry with backoff for Lambda.TooManyRequestsException, Sandbox.Timedout and a connection reset
    raised by the handler (AWS: 'Handling errors in Step Functions workflows', retrying Lambda errors)."""
    report = scenarios.transient_transform_errors(twin, tmp_path)
    show(report)
    [file] = report.files
    scenarios.check(file)
    assert report.notes == ["connection resets 1, timeouts 1, throttled invokes 1"]
    assert (file.ledger["status"], file.ledger["rows_written"], file.ledger["rows_failed"]) == (
        "SUCCEEDED",
        1000,
        0,
    )
    assert [e["kind"] for e in file.ledger["executions"]] == ["first"]


def test_dynamodb_throttling_for_good_fails_naming_the_cause_then_a_redrive_completes(
    twin: Twin, tmp_path: Path
) -> None:
    report = scenarios.throttled_then_redrive(twin, tmp_path)
    show(report)
    before, after = report.files
    scenarios.check(before)
    assert before.ledger["status"] == "FAILED" and before.ledger["outcome"] == "partial"
    causes = [b for b in before.ledger["failed_batches"] if b.get("error") == "Writer.Throttled"]
    assert causes and all(502 <= b["first_row"] < 1002 for b in causes)
    assert "ProvisionedThroughputExceeded" in causes[0]["cause"]
    result = before.results[0]
    assert result["next_step"].startswith("etl redrive ") and result["failed_batches"]
    assert any(b["error"] == "Writer.Throttled" for b in result["failed_batches"])
    scenarios.check(after)
    assert (after.ledger["status"], after.ledger["rows_written"], after.ledger["rows_failed"]) == (
        "SUCCEEDED",
        1000,
        0,
    )
    assert [e["kind"] for e in after.ledger["executions"]] == ["first", "redrive"]


def test_a_stopped_execution_counts_what_it_stored_then_a_redrive_completes_it(
    twin: Twin, tmp_path: Path
) -> None:
    report = scenarios.stopped_then_redrive(twin, tmp_path)
    show(report)
    before, after = report.files
    scenarios.check(before)
    assert before.ledger["status"] == "ABORTED" and before.ledger["rows_total"] == 2000
    assert 0 < before.ledger["rows_written"] < 2000 and before.ledger["rows_failed"] > 0
    scenarios.check(after)
    assert (after.ledger["status"], after.ledger["rows_written"], after.ledger["rows_failed"]) == (
        "SUCCEEDED",
        2000,
        0,
    )
    assert sum(after.held.values()) == 2000


def test_the_same_file_uploaded_twice_is_processed_once_and_a_copy_is_all_duplicates(
    twin: Twin, tmp_path: Path
) -> None:
    report = scenarios.same_file_twice(twin, tmp_path)
    show(report)
    first, copy = report.files
    scenarios.check(first)
    statuses = sorted(bool(r.get("duplicate_event")) for r in first.results)
    assert statuses == [False, True], first.results
    assert [e["kind"] for e in first.ledger["executions"]] == ["first"]
    assert first.ledger["rows_written"] == 1000
    scenarios.check(copy)
    assert (copy.ledger["rows_written"], copy.ledger["rows_duplicate"]) == (0, 1000)
    assert list(copy.ledger["duplicates_of"]) == [
        f"{first.file} (execution {first.ledger['executions'][0]['execution_arn'].rsplit(':', 1)[-1]})"
    ]
