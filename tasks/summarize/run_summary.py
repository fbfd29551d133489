"""The file summary from the Map's child results (pure functions, no AWS calls).

Every row of the file is accounted for once: written (including rows an earlier delivery already
stored), rejected (by the transform, or as a key conflict by the writer), or failed (its batch did not
succeed: FAILED, ABORTED, TIMED_OUT or still PENDING). rows_total is their sum.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from results_reader import ChildResult

REJECTS_SAMPLE_MAX = 100
# The summary is also a Fail state's cause on the failure path (limit 32,768 characters): samples are
# cut by size too, so the whole summary stays well below it.
REJECTS_SAMPLE_MAX_CHARS = 16_000
FAILED_BATCHES_SAMPLE_MAX = 20
MAX_CAUSE_CHARS = 500


@dataclass
class BatchDigest:
    """What the summary needs of one child execution; small, unlike the child's Input."""

    succeeded: bool
    first_row: int | None
    rows: int
    written: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)
    failure: dict[str, Any] | None = None


def _cut(text: Any, limit: int) -> Any:
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


def digest_child(child: ChildResult) -> BatchDigest:
    """A succeeded child's BatchDone output, or for any other child the rows of its input batch."""
    record = child.record
    output = _json_field(record, "Output") if child.status == "SUCCEEDED" else None
    if isinstance(output, dict) and "rows" in output:
        rejects = [{**reject, "stage": "transform"} for reject in output.get("rejects") or []]
        rejects += [{**conflict, "stage": "writer"} for conflict in output.get("conflicts") or []]
        return BatchDigest(
            succeeded=True,
            first_row=output.get("first_row"),
            rows=int(output["rows"]),
            written=int(output.get("written") or 0),
            rejects=rejects,
        )
    batch = _json_field(record, "Input")
    items = batch.get("Items") if isinstance(batch, dict) else None
    items = items if isinstance(items, list) else []
    indexes = [
        item["index"] for item in items if isinstance(item, dict) and isinstance(item.get("index"), int)
    ]
    first_row = min(indexes) + 2 if indexes else None
    failure = {
        "first_row": first_row,
        "last_row": max(indexes) + 2 if indexes else None,
        "rows": len(items),
        "status": record.get("Status") or child.status,
        "error": record.get("Error"),
        "cause": _cut(record.get("Cause"), MAX_CAUSE_CHARS),
        "execution_arn": record.get("ExecutionArn"),
    }
    return BatchDigest(succeeded=False, first_row=first_row, rows=len(items), failure=failure)


def _sample(entries: list[dict[str, Any]], max_count: int, max_chars: int) -> list[dict[str, Any]]:
    sample: list[dict[str, Any]] = []
    size = 0
    for entry in entries[:max_count]:
        size += len(json.dumps(entry)) + 2
        if size > max_chars:
            break
        sample.append(entry)
    return sample


def build_summary(
    *,
    file: str,
    execution: str,
    batches: Iterable[BatchDigest],
    error: dict[str, Any] | None,
    results_location: str | None,
    rejects_location: str | None,
    sample: list[dict[str, Any]],
) -> dict[str, Any]:
    """The summary returned to the state machine; `sample` is rejects_sample() of the ordered rejects."""
    totals = {
        "rows_total": 0,
        "rows_written": 0,
        "rows_rejected": 0,
        "rows_failed": 0,
        "batches_total": 0,
        "batches_failed": 0,
    }
    failed_batches: list[dict[str, Any]] = []
    for batch in batches:
        totals["batches_total"] += 1
        totals["rows_total"] += batch.rows
        if batch.succeeded:
            totals["rows_written"] += batch.written
            totals["rows_rejected"] += len(batch.rejects)
        else:
            totals["batches_failed"] += 1
            totals["rows_failed"] += batch.rows
            assert batch.failure is not None
            failed_batches.append(batch.failure)
    failed_batches.sort(key=lambda f: (f["first_row"] is None, f["first_row"] or 0))
    accounted = totals["rows_written"] + totals["rows_rejected"] + totals["rows_failed"]
    if error is not None:
        error = {"Error": error.get("Error"), "Cause": _cut(error.get("Cause"), 2_000)}
    return {
        "file": file,
        "execution": execution,
        "status": "FAILED" if error is not None else "SUCCEEDED",
        **totals,
        "rows_unaccounted": totals["rows_total"] - accounted,  # 0 unless a batch output is inconsistent
        "rejects_location": rejects_location,
        "results_location": results_location,
        "rejects_sample": sample,
        "failed_batches_sample": failed_batches[:FAILED_BATCHES_SAMPLE_MAX],
        "error": error,
    }


def iter_rejects(file: str, batches: Iterable[BatchDigest]) -> Iterator[dict[str, Any]]:
    """Every reject of the file as one JSON-lines record each, ordered by row.

    Batches hold consecutive rows (ItemBatcher), so ordering batches by first row and each batch's rejects
    by row orders the whole file without one big sort.
    """

    def row_of(reject: dict[str, Any]) -> int:
        return reject["row"] if isinstance(reject.get("row"), int) else 0

    for batch in sorted(batches, key=lambda b: b.first_row if b.first_row is not None else 0):
        for reject in sorted(batch.rejects, key=row_of):
            yield {"file": file, **reject}


def rejects_sample(first_rejects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first rejects, up to REJECTS_SAMPLE_MAX entries and about REJECTS_SAMPLE_MAX_CHARS characters."""
    return _sample(
        list(itertools.islice(first_rejects, REJECTS_SAMPLE_MAX)),
        REJECTS_SAMPLE_MAX,
        REJECTS_SAMPLE_MAX_CHARS,
    )
