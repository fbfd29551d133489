"""Summarize's handling of a run that ended early or is redriven, without a twin (fakes for the ledger).

- A batch still being stored when the run ended (marked `writing` by the writer) is waited for, not a
  fixed settle time: no wait when none is in flight, its record counted once it is done.
- A redrive's RUNNING status change sets the object back to RUNNING with a "redrive" entry, once; a late
  event (the redrive already ended) changes nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tasks" / "summarize"))

import summarize_handler  # noqa: E402

ARN = "arn:aws:states:us-east-1:123456789012:execution:csv-etl:run-1"


class FakeLedger:
    def __init__(self, records: list[dict[str, Any]], item: dict[str, Any] | None = None) -> None:
        self.records = records
        self.item = item or {}
        self.reads = 0

    def batch_records(self, file: str, execution: str) -> list[dict[str, Any]]:
        self.reads += 1
        return [dict(record) for record in self.records]

    def update_object(self, file: str, etag: str, change: Any) -> dict[str, Any]:
        self.item = change(dict(self.item))
        return self.item


def run(status: str = "FAILED", redrive_count: int = 0) -> summarize_handler.Run:
    return summarize_handler.Run(
        bucket="b",
        key="incoming/x.csv",
        execution="run-1",
        status=status,
        mode="status-change",
        etag="e1",
        execution_arn=ARN,
        redrive_count=redrive_count,
    )


def test_no_batch_in_flight_means_no_wait() -> None:
    ledger = FakeLedger([{"first_row": 2, "rows": 10, "written": 10}])
    started = time.monotonic()
    records = summarize_handler.settled_records(ledger, run(), settle_s=5.0)  # type: ignore[arg-type]
    assert time.monotonic() - started < 1.0 and ledger.reads == 1
    assert records == [{"first_row": 2, "rows": 10, "written": 10}]


def test_a_batch_being_written_is_waited_for_and_then_counted() -> None:
    ledger = FakeLedger([{"first_row": 2, "rows": 10, "written": 0, "writing": True}])

    def finish() -> None:
        time.sleep(0.4)
        ledger.records = [{"first_row": 2, "rows": 10, "written": 10}]

    threading.Thread(target=finish).start()
    records = summarize_handler.settled_records(ledger, run(), settle_s=5.0, poll_s=0.05)  # type: ignore[arg-type]
    assert records == [{"first_row": 2, "rows": 10, "written": 10}]


def test_a_batch_still_writing_after_the_settle_time_is_left_to_its_late_report() -> None:
    ledger = FakeLedger([{"first_row": 2, "rows": 10, "written": 0, "writing": True}])
    records = summarize_handler.settled_records(ledger, run(), settle_s=0.2, poll_s=0.05)  # type: ignore[arg-type]
    assert records == []


def test_a_redrive_marks_the_object_running_once_and_a_late_event_changes_nothing() -> None:
    first = {"execution_arn": ARN, "kind": "first", "status": "FAILED", "stopped_at": "t1"}
    ledger = FakeLedger([], {"status": "FAILED", "outcome": "partial", "executions": [first]})
    summary = summarize_handler.redrive_started(run("RUNNING", redrive_count=1), ledger)  # type: ignore[arg-type]
    assert summary["changed"] is True
    assert (ledger.item["status"], ledger.item["outcome"]) == ("RUNNING", "running")
    assert [e["kind"] for e in ledger.item["executions"]] == ["first", "redrive"]
    ledger.item["status"] = "SUCCEEDED"  # the redrive ended before a second copy of the event arrived
    again = summarize_handler.redrive_started(run("RUNNING", redrive_count=1), ledger)  # type: ignore[arg-type]
    assert again["changed"] is False and ledger.item["status"] == "SUCCEEDED"
    assert [e["kind"] for e in ledger.item["executions"]] == ["first", "redrive"]
