"""Out-of-memory storage for what a large Distributed Map would otherwise keep in RAM.

A Map Run over a million-row file has thousands of child executions, each with its batch as input and
output several times over in its history. Keeping them all in memory made the engine grow ~2 KB per row
(issue 14). This store keeps, in an embedded SQLite file (stdlib `sqlite3`, one file in a temp dir per
engine, WAL mode, one lock around the single connection):

- `payloads`: JSON texts by key: the child inputs of a Map Run from the moment they are batched until
  their child starts, and the input/output of finished child executions;
- `events`: the history events of finished child executions, in order.

Running executions keep everything in memory; only what no longer changes moves here. Readers go through
`History.events()` and `Engine.io_text()`, so the API (GetExecutionHistory, DescribeExecution, the Map
Run's counts, ResultWriter) serves the same data as before.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from workflow.engine.json_format import COMPACT


def _close(connection: sqlite3.Connection, folder: str) -> None:
    connection.close()
    shutil.rmtree(folder, ignore_errors=True)


class HistoryStore:
    """Key -> JSON text and execution -> events, on disk; safe to call from any thread."""

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="sfn-engine-")
        self.path = Path(self._folder) / "store.sqlite3"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # a scratch file: losing it with the process is fine
        self._db.execute("CREATE TABLE payloads (key TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID")
        self._db.execute(
            "CREATE TABLE events (arn TEXT NOT NULL, id INTEGER NOT NULL, stamp TEXT NOT NULL, "
            "body TEXT NOT NULL, PRIMARY KEY (arn, id)) WITHOUT ROWID"
        )
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close, self._db, self._folder)

    def close(self) -> None:
        self._finalizer()

    # ------------------------------------------------------------------------------------------ payloads

    def put(self, key: str, text: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO payloads VALUES (?, ?)", (key, text))

    def put_many(self, rows: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany("INSERT OR REPLACE INTO payloads VALUES (?, ?)", rows)
            finally:
                self._db.execute("COMMIT")

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM payloads WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM payloads WHERE key = ?", (key,))

    # ------------------------------------------------------------------------------------------ events

    def put_events(self, arn: str, events: list[dict[str, Any]]) -> bool:
        """Store a finished execution's events; False (nothing stored) when one is not plain JSON."""
        try:
            rows = [
                (arn, e["id"], e["timestamp"].isoformat(), COMPACT.encode({**e, "timestamp": None}))
                for e in events
            ]
        except (TypeError, ValueError, AttributeError):
            return False
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("DELETE FROM events WHERE arn = ?", (arn,))
                self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
            finally:
                self._db.execute("COMMIT")
        return True

    def events(self, arn: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT stamp, body FROM events WHERE arn = ? ORDER BY id", (arn,)
            ).fetchall()
        return list(_decode(rows))


def _decode(rows: list[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    for stamp, body in rows:
        event = json.loads(body)
        event["timestamp"] = datetime.fromisoformat(stamp)
        yield event
