"""Summarize Lambda: the file's accounting, its rejects a user can fix, and its ledger item.

Two entry points, one function:
- the definition's last state, after the Map succeeded: {"bucket", "key", "etag", "detail", "time",
  "execution", "execution_arn", "started_at", "redrive_count", "status": "SUCCEEDED", "results"};
- an EventBridge "Step Functions Execution Status Change" event (source aws.states) for an execution of the
  pipeline that ended FAILED, ABORTED or TIMED_OUT: the Map is uncaught on purpose (a redrive reruns only
  the failed batches), so this is how a failed run still gets its ledger item finalised;
- the same kind of event with status RUNNING and a redriveCount above 0: a redrive started, so the ledger
  item goes back to RUNNING (with an executions entry of kind "redrive") until that redrive ends.
An on-demand call {"bucket", "key", "execution", "error"} (older CLIs) summarises without a ledger item.

The counts come from the writer's batch records in the ledger (exact across crashes and redeliveries) and
the Map's ResultWriter output (transform rejects, failed batches with their real causes); rows of the file
that no batch covers (an execution stopped early) count as failed. When total = written + duplicate +
rejected + conflict + failed does not hold, the end-of-run call fails with Summary.Unbalanced.
"""

from __future__ import annotations

import os
import re
import time
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from ledger_book import Ledger
from rejects_csv import count_data_rows, rejects_key, write_rejects_csv
from results_reader import find_manifests, latest_children
from run_event import Run, now_iso, run_of
from run_summary import (
    FAILED_BATCHES_MAX,
    BatchDigest,
    account,
    cut,
    digest_child,
    digest_record,
    merge_batches,
    ordered_rejects,
    rejects_sample,
)

logger = Logger(service="csv-etl-summarize")
NO_DATA_WARNING = "the file has no data rows (empty or header only)"
DETERMINISTIC_ERRORS = frozenset({"CsvHeaderError"})

# Lambda reports an unhandled exception's class name as the error type; a dotted name gives the state
# machine (and a Retry/Catch) the error "Summary.Unbalanced", in the style of AWS's own error names.
SummaryUnbalanced = type(
    "Summary.Unbalanced",
    (Exception,),
    {"__doc__": "total != written + duplicate + rejected + conflict + failed: the run is not trusted."},
)


@cache
def s3_client() -> Any:
    return boto3.client("s3")


@cache
def dynamodb_client() -> Any:
    return boto3.client("dynamodb")


def manifest_keys(s3: Any, bucket: str, prefix: str, given: str | None) -> list[str]:
    """Manifests oldest first; the one the Map reported (if any) last, as the newest."""
    keys = [key for key in find_manifests(s3, bucket, prefix) if key != given]
    return [*keys, given] if given else keys


def other_version_owns(ledger: Ledger, run: Run, location: str) -> bool:
    """Another version of this key (a file replaced under the same key) has its rejects at `location`:
    writing there would silently replace them, so this version's rejects go beside them instead."""
    return any(
        obj.get("etag") != run.etag and obj.get("rejects_location") == location
        for obj in ledger.objects(run.file)
    )


def versioned_key(key: str, etag: str) -> str:
    """rejects/incoming/x.csv -> rejects/incoming/x.<etag>.csv"""
    stem = key[: -len(".csv")] if key.lower().endswith(".csv") else key
    return f"{stem}.{etag}.csv"


def settled_records(ledger: Ledger, run: Run, settle_s: float, poll_s: float = 0.25) -> list[dict[str, Any]]:
    """The execution's batch records once no batch is marked `writing` (or `settle_s` passed); records of
    batches still being written are left out: their child result (failed, aborted) stands for them."""
    deadline = time.monotonic() + settle_s
    while True:
        records = list(ledger.batch_records(run.file, run.execution))
        writing = [record for record in records if record.get("writing")]
        if not writing or time.monotonic() >= deadline:
            return [record for record in records if not record.get("writing")]
        time.sleep(poll_s)


def dead_lettered_rows(
    marks: list[dict[str, Any]], batches: list[BatchDigest], stored_failures: list[dict[str, Any]]
) -> int:
    """Rows of batches whose message went to the DLQ and that did not complete since (a later message or a
    redrive may have completed them): failed, or stored but never confirmed, until redriven."""
    unfinished = {b.first_row for b in batches if not b.succeeded}
    unfinished |= {f.get("first_row") for f in stored_failures}
    return sum(int(m.get("rows") or 0) for m in marks if m.get("first_row") in unfinished)


OVERSIZED_ITEM = re.compile(r"Item (\d+) is (\d+) bytes as JSON")


def oversized_row(error: dict[str, Any] | None) -> str | None:
    """What to tell the user when one row is too large for the Map to carry at all, naming the row.

    Two limits, both deterministic (a redrive fails the same way): the ItemReader's own (AWS, "ItemReader
    (Map)": "Step Functions supports reading an item of up to 8 MB from a text delimited file"; the Map fails
    with States.ItemReaderFailed, its cause names the line), and a row that is read but is larger than a
    batch may be (MaxInputBytesPerBatch, at most the 256 KiB payload quota: States.DataLimitExceeded naming
    the item, whose file row is its index + 2).
    """
    if not error:
        return None
    name, cause = str(error.get("Error") or ""), str(error.get("Cause") or "")
    if name == "States.ItemReaderFailed" and "item limit" in cause:
        return f"{cause}: shorten or split that row, then drop the file again"
    found = OVERSIZED_ITEM.search(cause) if name == "States.DataLimitExceeded" else None
    if found is None:
        return None
    return (
        f"row {int(found[1]) + 2} is {int(found[2]):,} bytes as JSON, more than one batch of the Map may "
        "carry (MaxInputBytesPerBatch, at most Step Functions' 256 KiB payload quota): shorten or split that "
        "row, then drop the file again"
    )


def next_step(run: Run, failed_batches: list[dict[str, Any]], rows_failed: int) -> str | None:
    if run.status == "SUCCEEDED" and rows_failed == 0:
        return None
    deterministic = any(batch.get("error") in DETERMINISTIC_ERRORS for batch in failed_batches)
    if deterministic or oversized_row(run.error):
        return f"fix the file (see the error) and drop it again; redriving {run.execution} fails the same way"
    return f"etl redrive {run.execution}"


def summarize(
    event: dict[str, Any],
    s3: Any,
    ledger: Ledger | None,
    data_bucket: str,
    results_prefix: str,
    rejects_prefix: str,
    settle_s: float = 0.0,
) -> tuple[dict[str, Any], list[str]]:
    """(the summary, the balance problems: empty when every row is accounted for).

    An execution that ended early may leave a writer storing one last batch (it checked its token just
    before, and marked the batch `writing` in the ledger): on the status-change path Summarize waits for
    such batches, at most `settle_s`, so their records count at once. One that takes longer adds itself
    to the counts when it is done (tasks/writer, late batches), so the wait only saves a correction.
    """
    run = run_of(event)
    if run.mode == "status-change" and run.status == "RUNNING":
        return redrive_started(run, ledger), []
    results = run.results or {}
    results_bucket = results.get("Bucket") or data_bucket
    keys = manifest_keys(s3, results_bucket, f"{results_prefix}{run.execution}/", results.get("Key"))
    children = [
        digest for _, digest in latest_children(s3, results_bucket, keys, compact=digest_child).values()
    ]
    records: list[BatchDigest] = []
    if ledger is not None:
        wait_s = settle_s if run.mode == "status-change" else 0.0
        records = [digest_record(r) for r in settled_records(ledger, run, wait_s)]
    batches, stored_failures = merge_batches(records, children)
    dead_letters = list(ledger.dead_letters(run.file, run.execution)) if ledger is not None else []
    # The Map did not finish: rows no batch covers are failed, so the file's own row count is needed.
    rows_in_file = None if run.status == "SUCCEEDED" else count_data_rows(s3, run.bucket, run.key)
    books = account(batches, rows_in_file=rows_in_file, stored_failures=stored_failures, error=run.error)
    totals = books.totals
    totals["rows_dead_lettered"] = dead_lettered_rows(dead_letters, batches, stored_failures)
    rejects = ordered_rejects(batches)
    location = None
    if rejects:
        key = rejects_key(rejects_prefix, run.key)
        if ledger is not None and run.etag and other_version_owns(ledger, run, f"s3://{data_bucket}/{key}"):
            key = versioned_key(key, run.etag)
        write_rejects_csv(s3, data_bucket, key, rejects)
        location = f"s3://{data_bucket}/{key}"
    warnings: list[str] = []
    if run.status == "SUCCEEDED" and totals["rows_total"] == 0:
        warnings.append(NO_DATA_WARNING)
    for failure in stored_failures:
        warnings.append(
            f"rows {failure['first_row']}-{failure['last_row']} are stored, but their batch failed to report "
            f"({failure.get('error')}); a redrive confirms them"
        )
    warnings += [f"unbalanced: {problem}" for problem in books.problems]
    too_large = oversized_row(run.error)
    if too_large:
        warnings.insert(0, too_large)
        for batch in books.failed_batches:
            if batch.get("status") == "NOT_STARTED":
                batch["cause"] = too_large
    error = None
    if run.error is not None:
        error = {"Error": run.error.get("Error"), "Cause": cut(run.error.get("Cause"), 2_000)}
    elif books.problems:
        error = {"Error": "Summary.Unbalanced", "Cause": "; ".join(books.problems)[:2_000]}
    summary: dict[str, Any] = {
        "file": run.file,
        "etag": run.etag,
        "execution": run.execution,
        "status": run.status,
        "outcome": "complete" if totals["rows_failed"] == 0 else "partial",
        **totals,
        "rows_unaccounted": 0 if not books.problems else None,
        "duplicates_of": books.duplicates_of,
        "rejects_location": location,
        "results_location": f"s3://{results_bucket}/{keys[-1]}" if keys else None,
        "rejects_sample": rejects_sample(run.file, [reject for reject, _ in rejects]),
        "failed_batches": books.failed_batches,
        "failed_batches_sample": books.failed_batches,
        "error": error,
        "warnings": warnings,
        "next_step": next_step(run, books.failed_batches, totals["rows_failed"]),
        "_counted_batches": [b.first_row for b in batches if b.recorded and b.first_row is not None],
    }
    counted = summary.pop("_counted_batches")
    if ledger is not None and run.etag and run.mode != "on-demand":
        ledger.update_object(
            run.file, run.etag, lambda item: ledger_item(item, run, {**summary, "_counted_batches": counted})
        )
    return summary, books.problems


def redrive_started(run: Run, ledger: Ledger | None) -> dict[str, Any]:
    """A redrive began: the object is RUNNING again, with one "redrive" entry per redrive, once each.

    The event may arrive after the redrive already ended (EventBridge is asynchronous): when the item
    already holds an entry for this redrive, nothing changes, so a late event never undoes a final status.
    """
    summary: dict[str, Any] = {"file": run.file, "execution": run.execution, "status": "RUNNING"}
    if ledger is None or not run.etag or run.redrive_count < 1:
        return {**summary, "changed": False}
    changed = False

    def change(item: dict[str, Any]) -> dict[str, Any]:
        nonlocal changed
        entries = list(item.get("executions") or [])
        mine = [entry for entry in entries if entry.get("execution_arn") == run.execution_arn]
        redrives = sum(1 for entry in mine if entry.get("kind") == "redrive")
        changed = bool(mine) and redrives < run.redrive_count and entries[-1] is mine[-1]
        if not changed:  # not this object's run, a newer run owns it, or this redrive is recorded
            return item
        for _ in range(run.redrive_count - redrives):
            entry = {"execution_arn": run.execution_arn, "kind": "redrive", "status": "RUNNING"}
            entries.append({**entry, "started_at": now_iso()})
        item.update({"executions": entries, "status": "RUNNING", "outcome": "running"})
        item["updated_at"] = now_iso()
        item["next_step"] = None
        return {name: value for name, value in item.items() if value is not None}

    ledger.update_object(run.file, run.etag, change)
    return {**summary, "changed": changed}


def ledger_item(item: dict[str, Any], run: Run, summary: dict[str, Any]) -> dict[str, Any]:
    """The OBJECT#<etag> item after this run (ledger contract: docs/architecture.md, Ledger)."""
    obj = (run.detail or {}).get("object") or {}
    item.update({"bucket": run.bucket, "key": run.key, "etag": run.etag, "updated_at": now_iso()})
    if obj.get("version-id"):
        item["version_id"] = obj["version-id"]
    if isinstance(obj.get("size"), int):
        item["size"] = obj["size"]
    if run.time and not item.get("uploaded_at"):
        item["uploaded_at"] = run.time
    entries = list(item.get("executions") or [])
    mine = [entry for entry in entries if entry.get("execution_arn") == run.execution_arn]
    if not mine:
        entry = {"execution_arn": run.execution_arn, "kind": "replay" if run.replay else "first"}
        entries.append({**entry, "status": "RUNNING", "started_at": run.started_at})
    for _ in range(run.redrive_count - sum(1 for e in mine if e.get("kind") == "redrive")):
        entries.append({"execution_arn": run.execution_arn, "kind": "redrive", "status": "RUNNING"})
    latest = [entry for entry in entries if entry.get("execution_arn") == run.execution_arn][-1]
    latest["status"] = run.status
    latest["stopped_at"] = run.stopped_at
    item["executions"] = entries
    if entries[-1] is not latest:  # a newer run of this object owns the counts
        return item
    item["status"] = run.status
    item["outcome"] = summary["outcome"]
    for name in (
        "rows_total",
        "rows_written",
        "rows_duplicate",
        "rows_rejected",
        "rows_conflict",
        "rows_failed",
        "rows_dead_lettered",
        "rejects_location",
        "error",
        "next_step",
    ):
        item[name] = summary[name]
    item["failed_batches"] = [
        {
            "first_row": batch.get("first_row"),
            "last_row": batch.get("last_row"),
            "rows": batch.get("rows"),
            "status": batch.get("status"),
            "error": batch.get("error"),
            "cause": cut(batch.get("cause"), 500),
            "execution_arn": batch.get("execution_arn"),
        }
        for batch in summary["failed_batches"][:FAILED_BATCHES_MAX]
    ] or None
    item["warnings"] = summary["warnings"] or None
    item["duplicates_of"] = summary["duplicates_of"] or None
    # Which batches these counts include from the writer's records: a batch stored after this (its writer
    # was mid-write when the run ended) adds itself exactly once (tasks/writer, late batches).
    item["latest_execution"] = run.execution
    item["counted_batches"] = set(summary.pop("_counted_batches", [])) or None
    return {name: value for name, value in item.items() if value is not None}


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    table = os.environ.get("LEDGER_TABLE")
    summary, problems = summarize(
        event,
        s3_client(),
        Ledger(dynamodb_client(), table) if table else None,
        os.environ["DATA_BUCKET"],
        os.environ.get("RESULTS_PREFIX", "results/"),
        os.environ.get("REJECTS_PREFIX", "rejects/"),
        float(os.environ.get("SETTLE_SECONDS", "0")),
    )
    logger.info(
        "file summarized",
        extra={k: v for k, v in summary.items() if k not in {"rejects_sample", "failed_batches_sample"}},
    )
    if problems and event.get("source") != "aws.states":
        raise SummaryUnbalanced(f"{summary['file']} ({summary['execution']}): " + "; ".join(problems))
    return summary
