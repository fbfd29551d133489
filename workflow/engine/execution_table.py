"""The engine's executions by ARN: running and unfinished ones in memory, succeeded Map children in the store.

A Map Run over a million rows has thousands of children; keeping each one's ExecutionRecord (and its
CancelToken, Variables, History, locks) in memory made the engine grow about 3 KB per child (issue 14).
Once a child of a spilled Map Run has succeeded and its history and payloads are in the HistoryStore
(Engine.archive), `park()` writes a compact row (ARN, names, status, dates, error/cause, redrive info, its
Map Run, its event count) to the store and drops the record. `get()` and the listings rebuild a record from
that row on demand: an archived, read-only snapshot, which DescribeExecution, ListExecutions,
GetExecutionHistory, the Map Run's ResultWriter and the console read like any other. Failed, aborted and
timed-out children stay in memory: a redrive of their Map Run continues them.
"""

from __future__ import annotations

import heapq
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflow.engine.history import History, Listener
from workflow.engine.history_store import HistoryStore
from workflow.engine.states.runtime import ExecutionRecord

if TYPE_CHECKING:
    from workflow.engine.map_run import MapRun

_DATES = ("start_date", "stop_date", "redrive_date")
_FIELDS = (
    "arn",
    "name",
    "state_machine_arn",
    "state_machine_name",
    "role_arn",
    "type",
    "status",
    "error",
    "cause",
    "redrive_count",
    "map_run_arn",
    "label",
    "input_key",
    "trace_header",
    "test_case",
)


class ExecutionTable:
    """A read-mostly mapping ARN -> ExecutionRecord over memory and the store, in start order."""

    def __init__(
        self,
        store: Callable[[], HistoryStore | None],
        map_runs: dict[str, MapRun],
        now: Callable[[], datetime],
        listeners: list[Listener],
    ) -> None:
        self._store = store
        self._map_runs = map_runs
        self._now = now
        self._listeners = listeners
        self._live: dict[str, tuple[int, ExecutionRecord]] = {}
        self._seq = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------------ writing

    def __setitem__(self, arn: str, record: ExecutionRecord) -> None:
        with self._lock:
            self._seq += 1
            self._live[arn] = (self._seq, record)

    def park(self, record: ExecutionRecord, slot: int | None = None) -> bool:
        """Move an archived, finished record to the store as a compact row (the Map Run's `slot` index
        finds it again); False (kept in memory) when it cannot."""
        store = self._store()
        if store is None or not record.archived or not record.history.archived or not record.finished:
            return False
        with self._lock:
            entry = self._live.get(record.arn)
        if entry is None or entry[1] is not record:
            return False
        row: dict[str, Any] = {name: getattr(record, name) for name in _FIELDS}
        row.update({name: _iso(getattr(record, name)) for name in _DATES})
        row["events"] = len(record.history)
        store.put_execution(
            entry[0], record.arn, record.map_run_arn, slot, record.state_machine_arn, json.dumps(row)
        )
        with self._lock:  # stored first, dropped second: a reader in between finds one or the other
            if self._live.get(record.arn) == entry:
                del self._live[record.arn]
        return True

    # ------------------------------------------------------------------------------------------ reading

    def get(self, arn: str) -> ExecutionRecord | None:
        with self._lock:
            entry = self._live.get(arn)
        if entry is not None:
            return entry[1]
        store = self._store()
        found = store.execution(arn) if store is not None else None
        return None if found is None or store is None else self._rebuild(found[1], store)

    def map_child(self, map_run_arn: str, slot: int) -> ExecutionRecord | None:
        """The parked child of a Map Run's slot, rebuilt from the store."""
        store = self._store()
        found = store.map_child(map_run_arn, slot) if store is not None else None
        return None if found is None or store is None else self._rebuild(found[1], store)

    def __getitem__(self, arn: str) -> ExecutionRecord:
        record = self.get(arn)
        if record is None:
            raise KeyError(arn)
        return record

    def __contains__(self, arn: object) -> bool:
        return isinstance(arn, str) and self.get(arn) is not None

    def in_memory(self) -> list[ExecutionRecord]:
        """The records held in memory (running, unfinished or not parked), in start order."""
        with self._lock:
            return [record for _, record in self._live.values()]

    def values(
        self, *, map_run_arn: str | None = None, state_machine_arn: str | None = None
    ) -> list[ExecutionRecord]:
        """Every record in start order (of one Map Run or state machine if given), stored ones rebuilt."""
        with self._lock:
            live = [
                entry
                for entry in self._live.values()
                if (map_run_arn is None or entry[1].map_run_arn == map_run_arn)
                and (state_machine_arn is None or entry[1].state_machine_arn == state_machine_arn)
            ]
        store = self._store()
        if store is None:
            return [record for _, record in live]
        rows = store.executions(map_run_arn=map_run_arn, machine_arn=state_machine_arn)
        parked = [(seq, self._rebuild(body, store)) for seq, body in rows]
        merged = heapq.merge(live, parked, key=lambda entry: entry[0])
        return [record for _, record in merged if record is not None]

    def __iter__(self) -> Iterator[str]:
        return iter([record.arn for record in self.values()])

    def __len__(self) -> int:
        store = self._store()
        with self._lock:
            live = len(self._live)
        return live + (store.execution_count() if store is not None else 0)

    def _rebuild(self, body: str, store: HistoryStore) -> ExecutionRecord | None:
        row = json.loads(body)
        map_run = self._map_runs.get(row["map_run_arn"] or "")
        if map_run is None:
            return None
        count = row.pop("events")
        dates: dict[str, Any] = {name: _date(row.pop(name)) for name in _DATES}
        record = ExecutionRecord(
            **row,
            **dates,
            machine=map_run.machine,
            definition_text=map_run.definition_text,
            input=None,
            input_text="",
            history=History.stored(row["arn"], self._now, self._listeners, store, count),
            archived=True,
        )
        record.done.set()
        return record


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
