"""Summarize: hand-made ResultWriter output (AWS layout) in moto S3 and batch records in a moto ledger ->
the file summary, the rejects CSV and the ledger item."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import results_reader
import run_summary
import summarize_handler
import transform_handler
from ledger_book import Ledger
from moto import mock_aws

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

BUCKET = "test-data"
EXECUTION = "exec-7"
SOURCE = {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION}
FILE = f"s3://{BUCKET}/incoming/data.csv"
SM_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:csv-etl/ProcessRows:abc"
LEDGER = "test-ledger"
ETAG = "etag-1"
EXEC_ARN = f"arn:aws:states:us-east-1:000000000000:execution:csv-etl:{EXECUTION}"


def batch_input(first_index: int, rows: int) -> dict[str, Any]:
    indexes = range(first_index, first_index + rows)
    return {"Items": [{"index": i, "row": {"timestamp": str(i)}} for i in indexes], "BatchInput": SOURCE}


def batch_done(
    first_row: int,
    rows: int,
    written: int,
    rejects: list[int] = (),  # type: ignore[assignment]
    conflicts: list[int] = (),
    duplicate: int = 0,
) -> dict[str, Any]:  # type: ignore[assignment]
    """A child's output: the batch's ledger line (the ASL's Enqueue Output)."""

    def reject(row: int, reason: str) -> dict[str, Any]:
        return {"row": row, "errors": [{"field": "local_avg", "reason": reason, "value": "x"}]}

    return {
        "source": SOURCE,
        "first_row": first_row,
        "rows": rows,
        "written": written,
        "duplicate": duplicate,
        "duplicate_origins": {"s3://b/o.csv (execution e0)": duplicate} if duplicate else {},
        "rejects": [reject(r, "not a number") for r in rejects],
        "conflicts": [
            reject(r, "already stored with different values from s3://b/o.csv row 2") for r in conflicts
        ],
    }


def child(
    name: str,
    status: str,
    first_index: int,
    rows: int,
    output: dict[str, Any] | None = None,
    redrive_count: int = 0,
    error: str | None = None,
) -> dict[str, Any]:
    """One record of a ResultWriter result file (Transformation NONE): Input/Output as JSON strings."""
    record: dict[str, Any] = {
        "ExecutionArn": f"arn:aws:states:us-east-1:000000000000:execution:csv-etl/ProcessRows:{name}",
        "Name": name,
        "StateMachineArn": SM_ARN,
        "Status": status,
        "RedriveCount": redrive_count,
        "Input": json.dumps(batch_input(first_index, rows)),
        "InputDetails": {"Included": True},
        "StartDate": "2026-11-27T09:00:00.000Z",
        "StopDate": "2026-11-27T09:00:01.000Z",
    }
    if output is not None:
        record["Output"] = json.dumps(output)
        record["OutputDetails"] = {"Included": True}
    if error is not None:
        record["Error"], record["Cause"] = error, "the writer said no " * 100
    return record


def put_map_run(s3: Any, run_id: str, children: list[dict[str, Any]], jsonl: bool = False) -> dict[str, str]:
    """Write result files and manifest.json the way ResultWriter lays them out; return ResultWriterDetails."""
    prefix = f"results/{EXECUTION}/{run_id}"
    files: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status in files:
        group = [
            c
            for c in children
            if (c["Status"] if c["Status"] in {"SUCCEEDED", "PENDING"} else "FAILED") == status
        ]
        if group:
            key = f"{prefix}/{status}_0.json"
            text = "\n".join(json.dumps(c) for c in group) if jsonl else json.dumps(group)
            s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
            files[status].append({"Key": key, "Size": len(text)})
    manifest = {
        "DestinationBucket": BUCKET,
        "ResultFiles": files,
        "MapRunArn": f"arn:aws:states:us-east-1:000000000000:mapRun:csv-etl/ProcessRows:{run_id}",
    }
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/manifest.json", Body=json.dumps(manifest).encode())
    return {"Bucket": BUCKET, "Key": f"{prefix}/manifest.json"}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName=LEDGER,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "file", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "file", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        monkeypatch.setenv("DATA_BUCKET", BUCKET)
        monkeypatch.setenv("RESULTS_PREFIX", "results/")
        monkeypatch.setenv("REJECTS_PREFIX", "rejects/")
        monkeypatch.setenv("LEDGER_TABLE", LEDGER)
        monkeypatch.setattr(summarize_handler, "s3_client", lambda: client)
        monkeypatch.setattr(summarize_handler, "dynamodb_client", lambda: dynamodb)
        yield client


def ledger() -> Ledger:
    return Ledger(boto3.client("dynamodb", region_name="us-east-1"), LEDGER)


def end_event(results: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """What the definition's Summarize state sends after the Map succeeded."""
    return {
        "bucket": BUCKET,
        "key": "incoming/data.csv",
        "etag": ETAG,
        "detail": {
            "bucket": {"name": BUCKET},
            "object": {"key": "incoming/data.csv", "size": 99, "etag": ETAG},
        },
        "time": "2026-12-01T09:00:00Z",
        "execution": EXECUTION,
        "execution_arn": EXEC_ARN,
        "started_at": "2026-12-01T09:00:01.000Z",
        "redrive_count": 0,
        "status": "SUCCEEDED",
        "results": results,
        **extra,
    }


def status_change(status: str, error: str | None = None, redrive_count: int = 0) -> dict[str, Any]:
    """AWS, "Step Functions events in EventBridge": the Execution Status Change event's shape."""
    started = {"detail": end_event()["detail"], "time": "2026-12-01T09:00:00Z", "source": "aws.s3"}
    return {
        "version": "0",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "resources": [EXEC_ARN],
        "detail": {
            "executionArn": EXEC_ARN,
            "stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:csv-etl",
            "name": EXECUTION,
            "status": status,
            "startDate": 1764579601000,
            "stopDate": 1764579611000,
            "input": json.dumps(started),
            "error": error,
            "cause": "a cause" if error else None,
            "redriveCount": redrive_count,
        },
    }


def put_batch_record(first_row: int, rows: int, written: int, **counts: Any) -> None:
    """What the writer puts after its item writes (tasks/writer batch_record)."""
    item = {
        "file": {"S": FILE},
        "sk": {"S": f"BATCH#{EXECUTION}#{first_row:010d}"},
        "execution": {"S": EXECUTION},
        "first_row": {"N": str(first_row)},
        "last_row": {"N": str(first_row + rows - 1)},
        "rows": {"N": str(rows)},
        "written": {"N": str(written)},
        **{name: {"N": str(value)} for name, value in counts.items()},
    }
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=LEDGER, Item=item)


def read_rejects(s3: Any) -> list[dict[str, str]]:
    body = s3.get_object(Bucket=BUCKET, Key="rejects/incoming/data.csv")["Body"].read().decode()
    return list(csv.DictReader(body.splitlines()))


def assert_every_row_accounted(summary: dict[str, Any]) -> None:
    parts = ("rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed")
    assert summary["rows_total"] == sum(summary[k] for k in parts)
    assert summary["rows_unaccounted"] == 0


def counts(summary: dict[str, Any]) -> tuple[int, ...]:
    names = ("rows_total", "rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed")
    return tuple(summary[k] for k in names)


def test_succeeded_map_summary_rejects_csv_and_ledger_item(s3: Any) -> None:
    details = put_map_run(
        s3,
        "run-1",
        [
            child("b1", "SUCCEEDED", 0, 5, batch_done(2, 5, 2, rejects=[4], conflicts=[6], duplicate=1)),
            child("b0", "SUCCEEDED", 5, 5, batch_done(7, 5, 5)),
            child("b2", "SUCCEEDED", 10, 2, batch_done(12, 2, 0, rejects=[13, 12])),
        ],
    )
    summary = summarize_handler.handler(end_event(details), None)
    assert (summary["file"], summary["status"], summary["outcome"], summary["error"]) == (
        FILE,
        "SUCCEEDED",
        "complete",
        None,
    )
    assert counts(summary) == (12, 7, 1, 3, 1, 0)
    assert summary["duplicates_of"] == {"s3://b/o.csv (execution e0)": 1}
    assert_every_row_accounted(summary)
    assert summary["rejects_location"] == f"s3://{BUCKET}/rejects/incoming/data.csv"
    assert summary["results_location"] == f"s3://{BUCKET}/results/{EXECUTION}/run-1/manifest.json"
    lines = read_rejects(s3)
    assert list(lines[0]) == ["timestamp", "row", "field", "reason"]  # the file's columns, then why
    assert [(r["row"], r["timestamp"], r["field"]) for r in lines] == [
        ("4", "2", "local_avg"),
        ("6", "4", "local_avg"),
        ("12", "10", "local_avg"),
        ("13", "11", "local_avg"),
    ]
    assert [r["row"] for r in summary["rejects_sample"]] == [4, 6, 12, 13]
    item = ledger().get_object(FILE, ETAG)
    assert item is not None
    assert {k: item[k] for k in ("status", "outcome", "rows_total", "rows_written", "rows_duplicate")} == {
        "status": "SUCCEEDED",
        "outcome": "complete",
        "rows_total": 12,
        "rows_written": 7,
        "rows_duplicate": 1,
    }
    assert (item["rows_rejected"], item["rows_conflict"], item["rows_failed"]) == (3, 1, 0)
    assert item["rejects_location"] == summary["rejects_location"] and item["size"] == 99
    [entry] = item["executions"]
    assert (entry["execution_arn"], entry["kind"], entry["status"]) == (EXEC_ARN, "first", "SUCCEEDED")


def test_rejects_csv_joins_several_problems_of_one_row() -> None:
    import rejects_csv

    reject = {
        "row": 5,
        "errors": [
            {"field": "timestamp", "reason": "not a number"},
            {"field": "local_avg", "reason": "empty or missing"},
        ],
    }
    assert rejects_csv.reason_of(reject) == (
        "timestamp; local_avg",
        "timestamp: not a number; local_avg: empty or missing",
    )
    assert rejects_csv.rejects_key("rejects/", "incoming/a.csv") == "rejects/incoming/a.csv"
    assert rejects_csv.rejects_key("rejects/", "incoming/a.txt") == "rejects/incoming/a.txt.csv"


def test_no_rejects_writes_no_rejects_file(s3: Any) -> None:
    details = put_map_run(s3, "run-1", [child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3))])
    summary = summarize_handler.handler(end_event(details), None)
    assert (summary["rows_written"], summary["rejects_location"], summary["rejects_sample"]) == (3, None, [])
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="rejects/")


def test_a_file_without_data_rows_gets_a_warning(s3: Any) -> None:
    summary = summarize_handler.handler(end_event(None), None)
    assert summary["rows_total"] == 0 and summary["warnings"] == [summarize_handler.NO_DATA_WARNING]
    assert ledger().get_object(FILE, ETAG)["warnings"] == [summarize_handler.NO_DATA_WARNING]


def test_batch_records_win_over_child_results(s3: Any) -> None:
    """The writer crashed after writing and recording, before reporting: the child FAILED (timeout) but its
    rows are stored. The record counts them as written, the failure is still named."""
    put_map_run(
        s3,
        "run-1",
        [
            child("b0", "SUCCEEDED", 0, 4, batch_done(2, 4, 4)),
            child("b1", "FAILED", 4, 4, error="States.Timeout"),
        ],
    )
    put_batch_record(2, 4, 4)
    put_batch_record(6, 4, 3, duplicate=1)
    summary = summarize_handler.handler(
        status_change("FAILED", "States.ExceedToleratedFailureThreshold"), None
    )
    assert counts(summary) == (8, 7, 1, 0, 0, 0)
    assert_every_row_accounted(summary)
    assert [(f["first_row"], f["error"], f.get("rows_stored")) for f in summary["failed_batches"]] == [
        (6, "States.Timeout", True)
    ]
    assert "rows 6-9 are stored" in summary["warnings"][0]
    item = ledger().get_object(FILE, ETAG)
    # the batches counted from records: a writer finishing a batch later adds only one not listed here
    assert (item["counted_batches"], item["latest_execution"]) == ([2, 6], EXECUTION)


def test_failed_map_counts_failed_batch_rows_with_their_real_causes(s3: Any) -> None:
    """The status-change event finalises a failed run: each failed batch with its own error and rows."""
    put_map_run(
        s3,
        "run-1",
        [
            child("b0", "SUCCEEDED", 0, 4, batch_done(2, 4, 3, rejects=[5])),
            child("b1", "FAILED", 4, 4, error="Writer.WriteFailed"),
            child("b2", "ABORTED", 8, 2),
        ],
        jsonl=True,
    )
    s3.put_object(Bucket=BUCKET, Key="incoming/data.csv", Body=b"timestamp\n" + b"1\n" * 10)
    summary = summarize_handler.handler(
        status_change("FAILED", "States.ExceedToleratedFailureThreshold"), None
    )
    assert (
        summary["status"] == "FAILED"
        and summary["error"]["Error"] == "States.ExceedToleratedFailureThreshold"
    )
    assert counts(summary) == (10, 3, 0, 1, 0, 6)
    assert summary["outcome"] == "partial" and summary["next_step"] == f"etl redrive {EXECUTION}"
    assert_every_row_accounted(summary)
    failed = summary["failed_batches"]
    assert [(f["first_row"], f["last_row"], f["rows"], f["status"], f["error"]) for f in failed] == [
        (6, 9, 4, "FAILED", "Writer.WriteFailed"),
        (10, 11, 2, "ABORTED", None),
    ]
    assert len(failed[0]["cause"]) <= run_summary.MAX_CAUSE_CHARS + 1
    item = ledger().get_object(FILE, ETAG)
    assert (item["status"], item["outcome"], item["next_step"]) == (
        "FAILED",
        "partial",
        f"etl redrive {EXECUTION}",
    )
    assert item["failed_batches"][0]["error"] == "Writer.WriteFailed"


def test_a_stopped_execution_counts_the_rows_no_batch_reached_as_failed(s3: Any) -> None:
    """ABORTED before the Map wrote results: the batch records say what is stored, the file's own row count
    says what is missing (the issue's 'rows total 0, written 0 while 6,437 rows are stored')."""
    s3.put_object(Bucket=BUCKET, Key="incoming/data.csv", Body=b"timestamp\n" + b"1\n" * 10)
    put_batch_record(2, 4, 4)
    summary = summarize_handler.handler(status_change("ABORTED"), None)
    assert counts(summary) == (10, 4, 0, 0, 0, 6)
    assert_every_row_accounted(summary)
    assert [(f["first_row"], f["last_row"], f["status"]) for f in summary["failed_batches"]] == [
        (6, 11, "NOT_STARTED")
    ]
    assert ledger().get_object(FILE, ETAG)["status"] == "ABORTED"


def test_pending_children_count_as_failed_rows(s3: Any) -> None:
    put_map_run(
        s3, "run-1", [child("b0", "SUCCEEDED", 0, 2, batch_done(2, 2, 2)), child("b1", "PENDING", 2, 3)]
    )
    summary = summarize_handler.handler(status_change("TIMED_OUT", "States.Timeout"), None)
    assert (summary["rows_total"], summary["rows_failed"], summary["batches_failed"]) == (5, 3, 1)
    assert_every_row_accounted(summary)


def test_failed_map_without_any_results_on_demand(s3: Any) -> None:
    """An on-demand call (no ETag: older CLIs) summarises without touching the ledger."""
    error = {"Error": "States.ItemReaderFailed", "Cause": "x" * 10_000}
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/gone.csv", "execution": EXECUTION, "error": error}, None
    )
    assert summary["status"] == "FAILED" and summary["results_location"] is None
    assert (summary["rows_total"], summary["batches_total"]) == (0, 0)
    assert summary["error"]["Error"] == "States.ItemReaderFailed" and len(summary["error"]["Cause"]) < 2_100
    assert ledger().get_object(f"s3://{BUCKET}/incoming/gone.csv", ETAG) is None


def test_redriven_batches_are_counted_once_and_the_redrive_is_an_execution_entry(s3: Any) -> None:
    """Redrive reruns only unsuccessful children, same ExecutionArn with a higher RedriveCount."""
    put_map_run(
        s3,
        "run-1",
        [
            child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3)),
            child("b1", "FAILED", 3, 3, error="Writer.Throttled"),
        ],
    )
    summarize_handler.handler(status_change("FAILED", "States.ExceedToleratedFailureThreshold"), None)
    details = put_map_run(
        s3, "run-2", [child("b1", "SUCCEEDED", 3, 3, batch_done(5, 3, 2, conflicts=[7]), redrive_count=1)]
    )
    summary = summarize_handler.handler(end_event(details, redrive_count=1), None)
    assert counts(summary) == (6, 5, 0, 0, 1, 0)
    assert (summary["batches_total"], summary["batches_failed"]) == (2, 0)
    assert summary["results_location"].endswith("/run-2/manifest.json")
    item = ledger().get_object(FILE, ETAG)
    assert [(e["kind"], e["status"]) for e in item["executions"]] == [
        ("first", "FAILED"),
        ("redrive", "SUCCEEDED"),
    ]
    assert item["status"] == "SUCCEEDED" and "next_step" not in item and "failed_batches" not in item


def test_the_reported_manifest_wins_over_an_older_listing_at_equal_redrive_count(s3: Any) -> None:
    put_map_run(s3, "run-z-old", [child("b0", "FAILED", 0, 3, error="Writer.Throttled")])
    details = put_map_run(s3, "run-a-new", [child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3))])
    summary = summarize_handler.handler(end_event(details), None)
    assert (summary["rows_written"], summary["rows_failed"]) == (3, 0)


def test_unbalanced_books_fail_the_run_with_summary_unbalanced(s3: Any) -> None:
    """A batch record whose counts do not add up to its rows: the last step fails the execution."""
    details = put_map_run(s3, "run-1", [child("b0", "SUCCEEDED", 0, 4, batch_done(2, 4, 4))])
    put_batch_record(2, 4, 3)  # one row of the four is in no count
    with pytest.raises(Exception) as raised:
        summarize_handler.handler(end_event(details), None)
    assert type(raised.value).__name__ == "Summary.Unbalanced"
    assert "4 rows but 3 written" in str(raised.value)
    item = ledger().get_object(FILE, ETAG)
    assert item["error"]["Error"] == "Summary.Unbalanced" and item["warnings"][0].startswith("unbalanced:")


def test_an_older_run_finishing_late_does_not_overwrite_the_newer_runs_counts(s3: Any) -> None:
    replay_arn = EXEC_ARN.replace(EXECUTION, "replay-1")
    ledger().update_object(
        FILE,
        ETAG,
        lambda item: {
            **item,
            "status": "RUNNING",
            "executions": [
                {"execution_arn": EXEC_ARN, "kind": "first", "status": "RUNNING"},
                {"execution_arn": replay_arn, "kind": "replay", "status": "RUNNING"},
            ],
        },
    )
    details = put_map_run(s3, "run-1", [child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3))])
    summarize_handler.handler(end_event(details), None)
    item = ledger().get_object(FILE, ETAG)
    assert item["status"] == "RUNNING" and "rows_total" not in item
    assert [e["status"] for e in item["executions"]] == ["SUCCEEDED", "RUNNING"]


def test_rejects_sample_is_bounded_and_the_summary_stays_small(s3: Any) -> None:
    rows = list(range(2, 502))
    output = batch_done(2, 500, 0, rejects=rows)
    for reject in output["rejects"]:
        reject["errors"][0]["value"] = "v" * 200
    put_map_run(
        s3,
        "run-1",
        [child("b0", "SUCCEEDED", 0, 500, output)]
        + [child(f"f{i}", "FAILED", 500 + i, 1, error="Writer.WriteFailed") for i in range(40)],
    )
    summary = summarize_handler.handler(
        status_change("FAILED", "States.ExceedToleratedFailureThreshold"), None
    )
    assert 0 < len(summary["rejects_sample"]) <= run_summary.REJECTS_SAMPLE_MAX
    assert summary["rejects_sample"][0]["row"] == 2
    assert len(summary["failed_batches"]) == run_summary.FAILED_BATCHES_MAX
    assert len(json.dumps(summary)) < 64_000
    assert len(read_rejects(s3)) == 500  # the file holds every rejected row, the sample only the first ones


def test_real_transform_outputs_summarize_with_every_row_accounted(s3: Any) -> None:
    """data.csv's rows plus bad ones, through the real transform in batches of 7, as children's outputs."""
    with open(SAMPLE_DATA / "data.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[3]["local_avg"] = "n/a"
    rows[9]["timestamp"] = rows[8]["timestamp"]  # same key as the row before: in the same batch
    rows[14]["timestamp"] = rows[13]["timestamp"]  # rows 15 and 16 in the file: different batches
    entries = [{"index": i, "row": row} for i, row in enumerate(rows)]
    children = []
    stored_keys: set[tuple[str, str]] = set()
    for start in range(0, len(entries), 7):
        out = transform_handler.handler({"Items": entries[start : start + 7], "BatchInput": SOURCE}, None)
        error = {"field": "timestamp", "reason": "stored", "value": ""}
        conflicts = [
            {"row": i["source_row"], "errors": [error]}
            for i in out["items"]
            if (i["date"], i["time"]) in stored_keys
        ]
        stored_keys |= {(i["date"], i["time"]) for i in out["items"]}
        done = {
            "source": out["source"],
            "first_row": out["first_row"],
            "rows": out["rows"],
            "written": out["valid"] - len(conflicts),
            "duplicate": 0,
            "rejects": out["rejects"],
            "conflicts": conflicts,
        }
        children.append(child(f"b{start}", "SUCCEEDED", start, out["rows"], done))
        children[-1]["Input"] = json.dumps({"Items": entries[start : start + 7], "BatchInput": SOURCE})
    details = put_map_run(s3, "run-1", children)
    summary = summarize_handler.handler(end_event(details), None)
    assert counts(summary) == (20, 17, 0, 2, 1, 0)
    assert_every_row_accounted(summary)
    lines = read_rejects(s3)
    assert [r["row"] for r in lines] == ["5", "11", "16"]
    assert lines[0]["local_avg"] == "n/a" and lines[0]["location"] == rows[3]["location"]  # the original row


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 4096])
def test_json_values_stream_from_arrays_and_lines_in_any_chunking(chunk_size: int) -> None:
    records = [{"Name": "é✓", "Output": json.dumps({"a": [1, 2, {"b": "]"}]})}, {"Name": "x, y"}, {}]
    for text in (
        json.dumps(records, indent=1),
        "\n".join(json.dumps(r) for r in records) + "\n",
        json.dumps(records),
    ):
        data = text.encode()
        chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
        assert list(results_reader.iter_json_values(chunks)) == records


def test_json_values_empty_and_truncated() -> None:
    assert list(results_reader.iter_json_values([b" [ ] "])) == []
    assert list(results_reader.iter_json_values([b""])) == []
    with pytest.raises(ValueError):
        list(results_reader.iter_json_values([b'[{"a": 1}, {"b":']))
    with pytest.raises(ValueError):
        list(results_reader.iter_json_values([b'[{"a": 1}']))
