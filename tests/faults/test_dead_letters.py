"""Issue 10, dead letters: a writer that stores a batch and crashes before reporting, every time.

Its own twin, whose failed messages go to the DLQ after one delivery (max_receive_count=1), so the scenario
takes seconds: the batch fails (Enqueue's heartbeat timeout, after its retries), the ledger counts the
stored rows as written and the batch's rows as dead-lettered, a redrive after the fault is cleared
completes the file, and no row is stored twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import scenarios
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    # virtual time 30x: Enqueue's 300 s heartbeat is 10 s; a 5 s visibility timeout parks a message soon
    with scenarios.fault_twin(speed=30, max_receive_count=1, queue_visibility_timeout_s=5) as running:
        yield running


def test_writer_crashing_after_writing_every_time_fails_the_batch_then_a_redrive_completes(
    twin: Twin, tmp_path: Path
) -> None:
    report = scenarios.writer_crash_every_time(twin, tmp_path)
    print("\n" + "\n".join(report.lines()))
    before, after = report.files
    scenarios.check(before)
    second = scenarios.second_batch(twin)
    ledger = before.ledger
    assert ledger["status"] == "FAILED"
    # what is stored is counted as written: the writer's record is the truth, the report was what failed
    assert (ledger["rows_written"], ledger["rows_failed"], ledger["rows_dead_lettered"]) == (500, 0, 250)
    [failed] = [b for b in ledger["failed_batches"] if b["first_row"] == second]
    assert failed["error"] == "States.HeartbeatTimeout"
    assert any(f"rows {second}-{second + 249} are stored" in w for w in ledger["warnings"])
    assert ledger["next_step"].startswith("etl redrive ")
    assert int(report.notes[0].split(": ")[1]) >= 3  # each of Enqueue's three attempts crashed
    scenarios.check(after)
    assert (after.ledger["status"], after.ledger["rows_written"], after.ledger["rows_dead_lettered"]) == (
        "SUCCEEDED",
        500,
        0,
    )
    assert sum(after.held.values()) == 500 and after.stored_twice == 0
    assert [e["kind"] for e in after.ledger["executions"]] == ["first", "redrive"]
    status, kinds = after.results[0]["ledger_while_running"]
    assert (status, kinds) == ("RUNNING", ["first", "redrive"]), "RUNNING again while the redrive runs"
