"""The Executions list and one execution's header: status, file, counts, the real cause, what to do next.

Counts come from the ledger when it exists (for the object version's latest execution), else from the
execution's output (a SUCCEEDED execution's output is the file summary); a failed Map's real causes are its
failed child executions (error, cause and the rows they carried), read from ListExecutions(mapRunArn, FAILED)
+ DescribeExecution, at most MAX_FAILED_BATCHES.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workflow.console.cache import BoundedCache
from workflow.console.reader import Reader, plain
from workflow.console.trace import TERMINAL, parse_json
from workflow.twin.tracking import ROW_COUNTS

PAGE_SIZE = 50
MAX_SCANNED = 2_000  # executions looked at for one filtered page
MAX_FAILED_BATCHES = 20
COUNTS = (*ROW_COUNTS, "batches_total", "batches_failed")

# Hints for the errors this pipeline raises, shown with "what to do next".
HINTS = {
    "ResourceNotFound": "a table or resource the writer needs does not exist: create it",
    "Sandbox.Timedout": "a Lambda timed out: raise its timeout or lower the batch size",
    "Writer.Throttled": "DynamoDB throttled the writes past the retries: raise capacity or lower concurrency",
    "CsvHeaderError": "the CSV header is not the expected one: fix the file and upload it again",
    "AccessDenied": "a permission is missing: check the role's policy",
}


def summary_of(described: dict[str, Any]) -> dict[str, Any] | None:
    """The file summary in a SUCCEEDED execution's output (Summarize's result)."""
    value = parse_json(described.get("output"))
    return value if isinstance(value, dict) and "rows_total" in value else None


def duration_s(described: Mapping[str, Any]) -> float | None:
    start, stop = described.get("startDate"), described.get("stopDate")
    return round((stop - start).total_seconds(), 3) if start and stop else None


def hint_for(*texts: Any) -> str | None:
    joined = " ".join(str(t) for t in texts if t)
    for needle, hint in HINTS.items():
        if needle in joined:
            return hint
    return None


def batch_of(described: Mapping[str, Any], sample: int = 0) -> dict[str, Any] | None:
    """A Map child's batch: first and last row number (index + 2: line 1 is the header), rows, a sample."""
    value = parse_json(described.get("input"))
    items = value.get("Items") if isinstance(value, dict) else None
    if not isinstance(items, list) or not items:
        return None
    indexes: list[int] = [
        i["index"] for i in items if isinstance(i, dict) and isinstance(i.get("index"), int)
    ]
    batch: dict[str, Any] = {"rows": len(items)}
    if indexes:
        batch["first_row"], batch["last_row"] = min(indexes) + 2, max(indexes) + 2
    if sample:
        batch["sample"] = [
            {"row": i.get("index", 0) + 2, **(i.get("row") or {})}
            for i in items[:sample]
            if isinstance(i, dict)
        ]
    return batch


def child_batch(listed: Mapping[str, Any], described: Mapping[str, Any]) -> dict[str, Any]:
    """A Map child as the console lists it: name, status, its batch's rows and its error."""
    batch = batch_of(described) or {}
    return {
        "name": listed["name"],
        "status": listed["status"],
        "first_row": batch.get("first_row"),
        "last_row": batch.get("last_row"),
        "rows": batch.get("rows"),
        "error": described.get("error"),
    }


class Executions:
    """Reads for the Executions page and the execution header."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.src = reader.src
        self._rows: BoundedCache[tuple[str, str, int], dict[str, Any]] = BoundedCache(10_000)

    # ---- the list -------------------------------------------------------------------------------------
    def row(self, item: dict[str, Any]) -> dict[str, Any]:
        """One list row; finished rows are cached (small: names and counts only)."""
        key = (item["executionArn"], item["status"], int(item.get("redriveCount") or 0))
        cached = self._rows.get(key)
        if cached is not None:
            return cached
        described = self.reader.describe(item["executionArn"], fresh=item["status"] == "RUNNING", listed=item)
        file = self.reader.file_of(item["executionArn"])
        summary = summary_of(described) or {}
        row = {
            "executionArn": item["executionArn"],
            "name": item["name"],
            "status": item["status"],
            "startDate": item.get("startDate"),
            "stopDate": item.get("stopDate"),
            "duration_s": duration_s(described),
            "redriveCount": int(item.get("redriveCount") or 0),
            "key": file.get("key"),
            "bucket": file.get("bucket"),
            "counts": {k: summary[k] for k in COUNTS if k in summary},
            "error": described.get("error"),
        }
        if item["status"] in TERMINAL:
            self._rows.put(key, row)
        return row

    def rows(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """List rows for a page of ListExecutions items, described in parallel."""
        return list(self.reader.pool.map(self.row, items))

    def page(
        self, status: str | None = None, q: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """A page of executions, newest first; `q` matches the file key or the name (case-insensitive)."""
        kwargs: dict[str, Any] = {"stateMachineArn": self.src.require_state_machine()}
        if status:
            kwargs["statusFilter"] = status.upper()
        needle = (q or "").strip().lower()
        rows: list[dict[str, Any]] = []
        scanned = 0
        while True:
            call = dict(kwargs, maxResults=PAGE_SIZE if not needle else 200)
            if token:
                call["nextToken"] = token
            response = self.reader.sfn.list_executions(**call)
            items = response.get("executions", [])
            scanned += len(items)
            for row in self.rows(items):
                if not needle or needle in (row["key"] or "").lower() or needle in row["name"].lower():
                    rows.append(row)
            token = response.get("nextToken")
            if not token or not needle or len(rows) >= PAGE_SIZE or scanned >= MAX_SCANNED:
                break
        return {"executions": rows, "next": token, "scanned": scanned}

    # ---- one execution ----------------------------------------------------------------------------------
    def failed_batches(self, map_run_arn: str, limit: int = MAX_FAILED_BATCHES) -> list[dict[str, Any]]:
        """The failed children of a Map run with their real error, cause and row range."""
        found: list[dict[str, Any]] = []
        for status in ("FAILED", "TIMED_OUT"):
            response = self.reader.sfn.list_executions(
                mapRunArn=map_run_arn, statusFilter=status, maxResults=limit
            )
            items = response.get("executions", [])[: limit - len(found)]
            children = self.reader.describe_many(items)
            for item, child in zip(items, children, strict=True):
                found.append(
                    {
                        "execution_arn": item["executionArn"],
                        **child_batch(item, child),
                        "cause": (child.get("cause") or "")[:2000],
                    }
                )
            if len(found) >= limit:
                break
        return found

    def map_runs(self, arn: str) -> list[dict[str, Any]]:
        runs = []
        for run in self.reader.sfn.list_map_runs(executionArn=arn).get("mapRuns", []):
            runs.append(plain(self.reader.sfn.describe_map_run(mapRunArn=run["mapRunArn"])))
        return runs

    def header(self, arn: str) -> dict[str, Any]:
        described = self.reader.describe(arn, fresh=True)
        trace = self.reader.trace(arn, described)
        file = self.reader.file_of(arn)
        is_child = "mapRunArn" in described
        summary = summary_of(described)
        record = None
        if not is_child and file.get("key") and self.src.ledger.available():
            record = self.src.ledger.for_execution(file["bucket"], file["key"], arn)
        # the ledger's counts, batches and next step are its latest execution's: an earlier run (replayed
        # since) is read from Step Functions like a file without a ledger item
        ledger = record if record and record.get("execution_arn") == arn else None
        runs = [] if is_child else self.map_runs(arn)
        failed: list[dict[str, Any]] = []
        if ledger and ledger.get("failed_batches"):
            failed = ledger["failed_batches"]
        else:  # a failed Map, or tolerated failures in a succeeded one
            for run in runs:
                counts = run.get("executionCounts") or {}
                if described["status"] != "SUCCEEDED" or counts.get("failed") or counts.get("timedOut"):
                    failed.extend(self.failed_batches(run["mapRunArn"]))
        failing = trace.failing_state()
        counts = (ledger or {}).get("counts") or {k: summary[k] for k in COUNTS if summary and k in summary}
        header = {
            "executionArn": arn,
            "name": described["name"],
            "status": described["status"],
            "stateMachineArn": described.get("stateMachineArn"),
            "startDate": described.get("startDate"),
            "stopDate": described.get("stopDate"),
            "duration_s": duration_s(described),
            "redriveCount": described.get("redriveCount", 0),
            "redriveStatus": described.get("redriveStatus"),
            "redriveStatusReason": described.get("redriveStatusReason"),
            "file": file,
            "is_child": is_child,
            "mapRunArn": described.get("mapRunArn"),
            "parent": file.get("parent"),
            "counts_source": "ledger" if ledger else ("summary" if summary else None),
            "counts": counts,
            "ledger": record,
            "map_runs": [
                {
                    "mapRunArn": r["mapRunArn"],
                    "status": r.get("status"),
                    "itemCounts": r.get("itemCounts"),
                    "executionCounts": r.get("executionCounts"),
                }
                for r in runs
            ],
            "error": described.get("error"),
            "cause": described.get("cause"),
            "failing_state": failing.name if failing else None,
            "failing_error": failing.error if failing else None,
            "failing_cause": failing.cause if failing else None,
            "failed_batches": failed,
            "rejects_location": (ledger or {}).get("rejects_location")
            or (summary or {}).get("rejects_location"),
            "batch": batch_of(described, sample=100) if is_child else None,
            "actions": actions_for(described),
        }
        header["next_step"] = _next_step(header, (ledger or {}).get("next_step"))
        return header


def actions_for(described: dict[str, Any]) -> dict[str, Any]:
    """Which buttons AWS would allow: redrive (REDRIVABLE only), replay (a parent that ended), stop."""
    status = described.get("status")
    is_child = "mapRunArn" in described
    return {
        "redrive": described.get("redriveStatus") == "REDRIVABLE" and not is_child,
        "redrive_reason": described.get("redriveStatusReason"),
        "replay": status in TERMINAL and not is_child,
        "stop": status == "RUNNING" and not is_child,
    }


def _next_step(header: dict[str, Any], ledger_step: str | None) -> str:
    """The ledger's advice when it says more than the redrive command our own words already name (e.g. "fix
    the file": a redrive cannot help a line too long for the ItemReader)."""
    if ledger_step and not ledger_step.startswith("etl redrive "):
        return ledger_step
    return next_step(header)


def next_step(header: dict[str, Any]) -> str:
    """Plain words for what to do now."""
    status = header["status"]
    name = header["name"]
    if status == "RUNNING":
        return "Running: this page updates by itself."
    if status == "SUCCEEDED":
        counts = header.get("counts") or {}
        if counts.get("rows_rejected"):
            rejected = counts["rows_rejected"]
            return f"{rejected} row(s) rejected: open the rejects, fix those rows and upload them again."
        if counts.get("rows_failed"):
            return f"{counts['rows_failed']} row(s) failed (tolerated): see the failed batches, then replay."
        if counts:
            return "Nothing to do: every row was written."
        return "Nothing to do: the execution succeeded."
    if header.get("is_child"):
        parent = header.get("parent") or "its parent"
        return (
            "This batch is one child of a Map run: fix the cause, then redrive the parent execution "
            f"({parent}); its Map runs this batch again (`etl redrive {parent}`)."
        )
    failed = header.get("failed_batches") or []
    hint = hint_for(header.get("error"), header.get("cause"), *[f.get("cause") for f in failed])
    fix = f"Fix the cause ({hint}), then " if hint else "Fix the cause above, then "
    if header.get("actions", {}).get("redrive"):
        what = f"the {len(failed)} failed batch(es) and the unfinished ones" if failed else "what failed"
        return f"{fix}press Redrive: only {what} run again (or `etl redrive {name}`)."
    reason = header.get("redriveStatusReason") or "it cannot be redriven"
    return f"{fix}press Replay to start a new execution for the same file ({reason})."
