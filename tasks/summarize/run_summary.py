"""The file's accounting from the ledger's batch records and the Map's child results (pure, no AWS calls).

Every row of the file is counted once: written (stored by this execution), duplicate (the same values were
already stored from another origin), rejected (by the transform), conflict (other values already stored under
its key), or failed (its batch did not complete: FAILED, ABORTED, TIMED_OUT, PENDING, or never started).
A batch's writer record, when there is one, is the truth for its rows: the writer put it after its item
writes and before reporting, so it also covers a batch whose report was lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from results_reader import ChildResult

REJECTS_SAMPLE_MAX = 100
# The summary is the execution's output: samples are cut by size too, so it stays small.
REJECTS_SAMPLE_MAX_CHARS = 16_000
FAILED_BATCHES_MAX = 20
MAX_CAUSE_CHARS = 500
MAX_ORIGINS = 20


@dataclass
class BatchDigest:
    """What the accounting needs of one batch; small, unlike the child's Input."""

    first_row: int | None
    rows: int
    succeeded: bool = True
    written: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    duplicate_origins: dict[str, int] = field(default_factory=dict)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # transform rejects and writer conflicts
    originals: dict[int, dict[str, Any]] = field(default_factory=dict)  # row -> the CSV row's values
    failure: dict[str, Any] | None = None
    recorded: bool = False  # counts from the writer's batch record

    @property
    def last_row(self) -> int | None:
        return None if self.first_row is None else self.first_row + self.rows - 1

    @property
    def failed(self) -> int:
        return 0 if self.succeeded else self.rows


def cut(text: Any, limit: int) -> Any:
    if isinstance(text, str) and len(text) > limit:
        return text[:limit] + "…"
    return text


def _json_field(record: dict[str, Any], name: str) -> Any:
    value = record.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _tagged(rejects: Iterable[dict[str, Any]] | None, stage: str) -> list[dict[str, Any]]:
    return [{**reject, "stage": stage} for reject in rejects or []]


def digest_child(child: ChildResult) -> BatchDigest:
    """A succeeded child's output (its batch's ledger line), or for any other child its batch's row range.

    The original CSV values of the rejected rows are kept (for the rejects file a user can fix); the rest of
    the big Input is dropped at once.
    """
    record = child.record
    batch = _json_field(record, "Input")
    items = batch.get("Items") if isinstance(batch, dict) else None
    items = items if isinstance(items, list) else []
    by_row = {
        item["index"] + 2: item.get("row")
        for item in items
        if isinstance(item, dict) and isinstance(item.get("index"), int)
    }
    first_row = min(by_row) if by_row else None
    output = _json_field(record, "Output") if child.status == "SUCCEEDED" else None
    if isinstance(output, dict) and "rows" in output:
        rejects = _tagged(output.get("rejects"), "transform") + _tagged(output.get("conflicts"), "writer")
        originals: dict[int, dict[str, Any]] = {}
        for reject in rejects:
            original = by_row.get(reject.get("row"))
            if isinstance(original, dict):
                originals[reject["row"]] = original
        return BatchDigest(
            first_row=output.get("first_row", first_row),
            rows=int(output["rows"]),
            written=int(output.get("written") or 0),
            duplicate=int(output.get("duplicate") or 0),
            rejected=len(output.get("rejects") or []),
            conflict=len(output.get("conflicts") or []),
            duplicate_origins=dict(output.get("duplicate_origins") or {}),
            rejects=rejects,
            originals=originals,
        )
    failure = {
        "first_row": first_row,
        "last_row": max(by_row) if by_row else None,
        "rows": len(items),
        "status": record.get("Status") or child.status,
        "error": record.get("Error"),
        "cause": cut(record.get("Cause"), MAX_CAUSE_CHARS),
        "execution_arn": record.get("ExecutionArn"),
    }
    return BatchDigest(first_row=first_row, rows=len(items), succeeded=False, failure=failure)


def digest_record(record: dict[str, Any]) -> BatchDigest:
    """The writer's batch record (ledger item BATCH#<execution>#<first_row>)."""
    details: dict[str, Any] = {}
    if isinstance(record.get("details"), str):
        try:
            details = json.loads(record["details"])
        except ValueError:
            details = {}
    rejects = _tagged(details.get("rejects"), "transform") + _tagged(details.get("conflicts"), "writer")
    return BatchDigest(
        first_row=int(record["first_row"]),
        rows=int(record["rows"]),
        written=int(record.get("written", 0)),
        duplicate=int(record.get("duplicate", 0)),
        rejected=int(record.get("rejected", 0)),
        conflict=int(record.get("conflict", 0)),
        duplicate_origins={k: int(v) for k, v in (record.get("duplicate_origins") or {}).items()},
        rejects=rejects if details else [],
        recorded=True,
    )


def merge_batches(
    records: Iterable[BatchDigest], children: Iterable[BatchDigest]
) -> tuple[list[BatchDigest], list[dict[str, Any]]]:
    """One digest per batch (by first row): the writer's record wins over the child result.

    Returns (batches ordered by first row, failures of batches whose rows are nonetheless stored: their child
    failed after the writer's record, e.g. a report that never arrived).
    """
    by_row: dict[int | None, BatchDigest] = {}
    stored_failures: list[dict[str, Any]] = []
    for digest in children:
        by_row[digest.first_row] = digest
    for record in records:
        child = by_row.get(record.first_row)
        if child is not None:
            if not child.succeeded and child.failure is not None:
                stored_failures.append({**child.failure, "rows_stored": True})
            if not record.rejects and child.rejects:  # the record's details were cut: take the child's
                record.rejects = child.rejects
            record.originals = child.originals
        by_row[record.first_row] = record
    batches = sorted(by_row.values(), key=lambda b: (b.first_row is None, b.first_row or 0))
    return batches, stored_failures


def gaps(batches: list[BatchDigest], rows_total: int) -> list[tuple[int, int]]:
    """Row ranges of the file (rows 2 .. rows_total + 1) that no batch covers: never started."""
    missing: list[tuple[int, int]] = []
    expected = 2
    for batch in batches:
        if batch.first_row is None:
            continue
        if batch.first_row > expected:
            missing.append((expected, batch.first_row - 1))
        expected = max(expected, batch.first_row + batch.rows)
    if expected <= rows_total + 1:
        missing.append((expected, rows_total + 1))
    return missing


@dataclass
class Accounting:
    totals: dict[str, int]
    failed_batches: list[dict[str, Any]]
    duplicates_of: dict[str, int]
    problems: list[str]  # why the books do not balance; empty when they do


def account(
    batches: list[BatchDigest],
    *,
    rows_in_file: int | None,
    stored_failures: list[dict[str, Any]],
    error: dict[str, Any] | None,
) -> Accounting:
    """Totals, the failed batches (real causes, never-started ranges included) and the balance check."""
    totals = dict.fromkeys(
        ("rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed"), 0
    )
    totals |= {"batches_total": 0, "batches_failed": 0}
    failed: list[dict[str, Any]] = []
    origins: dict[str, int] = {}
    problems: list[str] = []
    covered = 0
    for batch in batches:
        totals["batches_total"] += 1
        covered += batch.rows
        totals["rows_written"] += batch.written
        totals["rows_duplicate"] += batch.duplicate
        totals["rows_rejected"] += batch.rejected
        totals["rows_conflict"] += batch.conflict
        totals["rows_failed"] += batch.failed
        for origin, count in batch.duplicate_origins.items():
            origins[origin] = origins.get(origin, 0) + count
        if not batch.succeeded:
            totals["batches_failed"] += 1
            assert batch.failure is not None
            failed.append(batch.failure)
        elif batch.written + batch.duplicate + batch.rejected + batch.conflict != batch.rows:
            problems.append(
                f"batch at row {batch.first_row}: {batch.rows} rows but {batch.written} written + "
                f"{batch.duplicate} duplicate + {batch.rejected} rejected + {batch.conflict} conflict"
            )
    rows_total = covered
    if rows_in_file is not None and rows_in_file > covered:
        for first, last in gaps(batches, rows_in_file):
            count = last - first + 1
            totals["rows_failed"] += count
            rows_total += count
            failed.append(
                {
                    "first_row": first,
                    "last_row": last,
                    "rows": count,
                    "status": "NOT_STARTED",
                    "error": (error or {}).get("Error") or "NotProcessed",
                    "cause": "the execution ended before these rows were processed",
                    "execution_arn": None,
                }
            )
    elif rows_in_file is not None and rows_in_file != covered:
        problems.append(f"the file has {rows_in_file} data rows but its batches cover {covered}")
    failed += stored_failures
    failed.sort(key=lambda f: (f["first_row"] is None, f["first_row"] or 0))
    accounted = sum(
        totals[k] for k in ("rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed")
    )
    if accounted != rows_total:
        problems.append(f"rows total {rows_total} but {accounted} accounted for")
    totals["rows_total"] = rows_total
    top = dict(sorted(origins.items(), key=lambda kv: -kv[1])[:MAX_ORIGINS])
    return Accounting(totals, failed[:FAILED_BATCHES_MAX], top, problems)


def ordered_rejects(batches: Iterable[BatchDigest]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(reject, the row's original values or None) for every reject of the file, ordered by row."""

    def row_of(reject: dict[str, Any]) -> int:
        return reject["row"] if isinstance(reject.get("row"), int) else 0

    out: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for batch in sorted(batches, key=lambda b: b.first_row if b.first_row is not None else 0):
        for reject in sorted(batch.rejects, key=row_of):
            out.append((reject, batch.originals.get(row_of(reject))))
    return out


def rejects_sample(file: str, rejects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first rejects, up to REJECTS_SAMPLE_MAX rows and about REJECTS_SAMPLE_MAX_CHARS characters."""
    sample: list[dict[str, Any]] = []
    size = 0
    for reject in rejects:
        entry = {"file": file, **reject}
        size += len(json.dumps(entry, default=str)) + 2
        if len(sample) >= REJECTS_SAMPLE_MAX or size > REJECTS_SAMPLE_MAX_CHARS:
            break
        sample.append(entry)
    return sample
