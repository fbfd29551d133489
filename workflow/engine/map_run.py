"""Map Runs: the record a Distributed Map keeps of its child executions (DescribeMapRun / ListMapRuns).

Counts are derived from the children's statuses, never kept separately, so they cannot drift: a child not
started yet is `pending`; item counts weigh each child by the number of items in its batch.

A Map Run whose child inputs pass SPILL_BYTES keeps them in the engine's HistoryStore instead of memory,
and moves each child's history and payloads there once it has succeeded (docs/engine.md).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.engine.asl import StateMachine
from workflow.engine.states.runtime import ExecutionRecord
from workflow.engine.statuses import UNSUCCESSFUL, ChildStatus, MapRunStatus

_STATUS_KEYS: dict[ChildStatus, str] = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "timedOut",
    "ABORTED": "aborted",
}

# Child inputs of one Map Run kept in memory up to this many bytes of JSON; past it they (and the finished
# children's histories) go to the HistoryStore. The environment variable lets a test run force the store.
SPILL_BYTES = int(os.environ.get("SFN_ENGINE_SPILL_BYTES", str(4 * 1024 * 1024)))


@dataclass(slots=True)
class ChildSlot:
    """One child execution of the run: its input (JSON text, or its key in the store) and item count, and
    its record once started. Once the record has moved to the store (a succeeded child of a spilled run,
    execution_table.py), only the index, item count and final status: the store finds the child by index."""

    index: int
    input_text: str | None
    item_count: int
    record: ExecutionRecord | None = None
    input_key: str | None = None
    parked_status: ChildStatus | None = None

    @property
    def status(self) -> ChildStatus:
        if self.record is not None:
            return self.record.status
        return self.parked_status or "PENDING"

    @property
    def started(self) -> bool:
        return self.record is not None or self.parked_status is not None


_PARKED: dict[int, ChildSlot] = {}


def parked_slot(item_count: int) -> ChildSlot:
    """The slot that stands for any succeeded child of `item_count` items whose record is in the store:
    shared and never changed (its index is meaningless: the slot's position in MapRun.slots is its index),
    so a Map Run holds one list entry per such child, no object."""
    slot = _PARKED.get(item_count)
    if slot is None:
        slot = _PARKED.setdefault(item_count, ChildSlot(-1, None, item_count, parked_status="SUCCEEDED"))
    return slot


@dataclass
class MapRun:
    arn: str
    execution_arn: str
    state_machine_arn: str  # the child state machine (<parent>/<label>)
    state_name: str
    label: str
    machine: StateMachine
    execution_type: str
    start_date: datetime
    max_concurrency: int
    tolerated_failure_percentage: float
    tolerated_failure_count: int
    tolerance_given: tuple[bool, bool]  # (percentage given, count given)
    slots: list[ChildSlot] = field(default_factory=list)
    spilled: bool = False  # inputs and finished children live in the engine's store
    definition_text: str = ""  # the child machine's definition as JSON, encoded once for all children
    status: MapRunStatus = "RUNNING"
    stop_date: datetime | None = None
    redrive_count: int = 0
    redrive_date: datetime | None = None
    results_written: int = 0
    read_seconds: float = 0.0  # time the ItemReader and ItemBatcher took (map_feed.py)
    reading: bool = False  # the ItemReader is still reading: the total is not known yet (map_feed.py)
    error: str | None = None
    cause: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        return self.arn.rsplit(":", 1)[1]

    def total_items(self) -> int:
        return sum(s.item_count for s in self.slots)

    def failed_items(self) -> int:
        return sum(s.item_count for s in self.slots if s.status in UNSUCCESSFUL)

    def threshold_exceeded(self) -> bool:
        """AWS: the run fails when failures exceed ToleratedFailurePercentage or ToleratedFailureCount
        (either, when both are set); without either, any failure fails it."""
        failed = self.failed_items()
        if failed == 0:
            return False
        pct_given, count_given = self.tolerance_given
        if not pct_given and not count_given:
            return True
        total = self.total_items() or 1
        if count_given and failed > self.tolerated_failure_count:
            return True
        if pct_given and self.reading:  # more items may come: only 0% is already exceeded
            return self.tolerated_failure_percentage == 0
        return pct_given and failed * 100.0 / total > self.tolerated_failure_percentage

    def _counts(self, weight: bool) -> dict[str, int]:
        counts = {
            "pending": 0,
            "running": 0,
            "succeeded": 0,
            "failed": 0,
            "timedOut": 0,
            "aborted": 0,
            "total": 0,
            "resultsWritten": 0,
            "failuresNotRedrivable": 0,
            "pendingRedrive": 0,
        }
        for slot in self.slots:
            n = slot.item_count if weight else 1
            counts[_STATUS_KEYS.get(slot.status, "pending")] += n
            counts["total"] += n
        counts["resultsWritten"] = (
            sum(s.item_count for s in self.slots[: self.results_written]) if weight else self.results_written
        )
        return counts

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mapRunArn": self.arn,
            "executionArn": self.execution_arn,
            "status": self.status,
            "startDate": self.start_date,
            "maxConcurrency": self.max_concurrency,
            "toleratedFailurePercentage": float(self.tolerated_failure_percentage),
            "toleratedFailureCount": int(self.tolerated_failure_count),
            "itemCounts": self._counts(True),
            "executionCounts": self._counts(False),
            "redriveCount": self.redrive_count,
        }
        if self.stop_date is not None:
            out["stopDate"] = self.stop_date
        if self.redrive_date is not None:
            out["redriveDate"] = self.redrive_date
        return out

    def list_item(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "executionArn": self.execution_arn,
            "mapRunArn": self.arn,
            "stateMachineArn": self.state_machine_arn,
            "startDate": self.start_date,
        }
        if self.stop_date is not None:
            out["stopDate"] = self.stop_date
        return out
