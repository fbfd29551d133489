"""An execution's event history, shaped like GetExecutionHistory's `events`.

Each event has AWS's `timestamp`, `type`, `id` (1-based, in order), `previousEventId` and one
`<detailsKey>` object named as the API names it (e.g. `taskScheduledEventDetails`,
`stateEnteredEventDetails`). Listeners see every event as it is appended (the console subscribes).
Which event an event points back at is the caller's choice (Scope.event): it follows AWS's recorded
chains, e.g. the first state event points at 0, not at ExecutionStarted (docs/engine.md).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflow.engine import quotas
from workflow.engine.json_format import compact_json

if TYPE_CHECKING:
    from workflow.engine.history_store import HistoryStore

Listener = Callable[[str, dict[str, Any]], None]

# Payloads larger than quotas.PAYLOAD_BYTES are cut in events and flagged `truncated`, as AWS does.

# Event types whose details object is not named after the type.
_NO_DETAILS = {
    "LambdaFunctionStarted",
    "MapStateSucceeded",
    "MapStateFailed",
    "MapStateAborted",
    "ParallelStateStarted",
    "ParallelStateSucceeded",
    "ParallelStateFailed",
    "ParallelStateAborted",
    "WaitStateAborted",
    "MapRunSucceeded",
    "MapRunAborted",
}


def details_key(event_type: str) -> str | None:
    """The name of the details field for an event type, as in the HistoryEvent API shape."""
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    if event_type in _NO_DETAILS:
        return None
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def payload(value: Any) -> str:
    """JSON text of a payload as history events carry it."""
    return compact_json(value)


def payload_fields(name: str, value: Any) -> dict[str, Any]:
    """`{name: <json>, name+"Details": {"truncated": bool}}` for input/output fields of events."""
    text = value if isinstance(value, str) else payload(value)
    truncated = len(text.encode("utf-8")) > quotas.PAYLOAD_BYTES
    if truncated:
        text = text.encode("utf-8")[: quotas.PAYLOAD_BYTES].decode("utf-8", "ignore")
    return {name: text, name + "Details": {"truncated": truncated}}


class History:
    """Append-only, thread-safe list of events of one execution.

    Once the execution is finished, `archive()` may move the events to a HistoryStore (the children of a
    Distributed Map do, so a large Map Run does not keep its histories in memory); `events()` then reads
    them back, and a later `append()` (a redrive) brings them back into memory first.
    """

    def __init__(
        self, execution_arn: str, now: Callable[[], datetime], listeners: list[Listener] | None = None
    ) -> None:
        self.execution_arn = execution_arn
        self._now = now
        self._events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._listeners = listeners if listeners is not None else []
        self._count = 0
        self._store: HistoryStore | None = None

    @classmethod
    def stored(
        cls,
        execution_arn: str,
        now: Callable[[], datetime],
        listeners: list[Listener],
        store: HistoryStore,
        count: int,
    ) -> History:
        """The history of an execution whose `count` events are already in `store` (execution_table.py)."""
        history = cls(execution_arn, now, listeners)
        history._store, history._count = store, count
        return history

    def append(
        self, event_type: str, details: dict[str, Any] | None = None, previous: int | None = None
    ) -> int:
        """Add an event; `previous` defaults to the last event's id. Returns the new event's id."""
        with self._lock:
            if self._store is not None:  # archived, then appended to again (redrive): back into memory
                self._events, self._store = self._store.events(self.execution_arn), None
            event_id = self._count + 1
            event: dict[str, Any] = {
                "timestamp": self._now(),
                "type": event_type,
                "id": event_id,
                "previousEventId": previous if previous is not None else event_id - 1,
            }
            key = details_key(event_type)
            if key is not None and details is not None:
                event[key] = details
            self._events.append(event)
            self._count = event_id
        for listener in list(self._listeners):
            with contextlib.suppress(Exception):  # a broken subscriber must never break an execution
                listener(self.execution_arn, event)
        return event_id

    def archive(self, store: HistoryStore) -> bool:
        """Move the events to `store` (True), or keep them here when they cannot be stored (False)."""
        with self._lock:
            if self._store is not None:
                return True
            if not store.put_events(self.execution_arn, self._events):
                return False
            self._events, self._store = [], store
            return True

    @property
    def archived(self) -> bool:
        return self._store is not None

    @property
    def last_id(self) -> int:
        with self._lock:
            return self._count

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            store = self._store
            if store is None:
                return list(self._events)
        return store.events(self.execution_arn)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def __len__(self) -> int:
        with self._lock:
            return self._count


def strip_execution_data(event: dict[str, Any]) -> dict[str, Any]:
    """The event without input/output/parameters payloads (includeExecutionData=False)."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, dict) and key.endswith("EventDetails"):
            value = {k: v for k, v in value.items() if k not in ("input", "output", "parameters")}
        out[key] = value
    return out
