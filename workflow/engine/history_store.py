"""Out-of-memory storage for what a large Distributed Map would otherwise keep in RAM.

A Map Run over a million-row file has thousands of child executions, each with its batch as input and
output several times over in its history. Keeping them all in memory made the engine grow ~2 KB per row
(issue 14). This store keeps, in an embedded SQLite file (stdlib `sqlite3`, one file in a temp dir per
engine, WAL mode, one lock around the single connection):

- `payloads`: JSON texts by key: the child inputs of a Map Run from the moment they are batched until
  their child starts, and the input/output of finished child executions;
- `events`: the history events of finished child executions, in order;
- `executions`: the compact record of each succeeded Map child (execution_table.py), in start order, so
  the engine keeps no per-child object in memory once a child has succeeded.

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
        self._db.execute(
            "CREATE TABLE executions (seq INTEGER PRIMARY KEY, arn TEXT NOT NULL UNIQUE, "
            "map_run_arn TEXT, slot INTEGER, state_machine_arn TEXT NOT NULL, body TEXT NOT NULL)"
        )
        self._db.execute("CREATE INDEX executions_by_map_run ON executions (map_run_arn, slot)")
        self._db.execute("CREATE INDEX executions_by_machine ON executions (state_machine_arn, seq)")
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

    # ------------------------------------------------------------------------------------------ executions

    def put_execution(
        self, seq: int, arn: str, map_run_arn: str | None, slot: int | None, machine_arn: str, body: str
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO executions VALUES (?, ?, ?, ?, ?, ?)",
                (seq, arn, map_run_arn, slot, machine_arn, body),
            )

    def execution(self, arn: str) -> tuple[int, str] | None:
        """(start order, compact record) of a stored execution, None when it is not here."""
        with self._lock:
            row = self._db.execute("SELECT seq, body FROM executions WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def map_child(self, map_run_arn: str, slot: int) -> tuple[int, str] | None:
        """(start order, compact record) of the stored child of a Map Run's slot, None when not here."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, body FROM executions WHERE map_run_arn = ? AND slot = ?", (map_run_arn, slot)
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def executions(
        self, *, map_run_arn: str | None = None, machine_arn: str | None = None
    ) -> list[tuple[int, str]]:
        """(start order, compact record) of the stored executions, of one Map Run or machine if given."""
        query, args = "SELECT seq, body FROM executions", tuple[str, ...]()
        if map_run_arn is not None:
            query, args = query + " WHERE map_run_arn = ?", (map_run_arn,)
        elif machine_arn is not None:
            query, args = query + " WHERE state_machine_arn = ?", (machine_arn,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        return [(int(seq), str(body)) for seq, body in rows]

    def execution_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM executions").fetchone()[0])


def _decode(rows: list[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    for stamp, body in rows:
        event = json.loads(body)
        event["timestamp"] = datetime.fromisoformat(stamp)
        yield event
