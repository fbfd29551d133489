"""Summarize: hand-made ResultWriter output (AWS layout) in moto S3 -> file summary and rejects file."""

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
from moto import mock_aws

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"

BUCKET = "test-data"
EXECUTION = "exec-7"
SOURCE = {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION}
FILE = f"s3://{BUCKET}/incoming/data.csv"
SM_ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:csv-etl/ProcessRows:abc"


def batch_input(first_index: int, rows: int) -> dict[str, Any]:
    indexes = range(first_index, first_index + rows)
    return {"Items": [{"index": i, "row": {"timestamp": str(i)}} for i in indexes], "BatchInput": SOURCE}


def batch_done(
    first_row: int,
    rows: int,
    written: int,
    rejects: list[int] = (),  # type: ignore[assignment]
    conflicts: list[int] = (),
) -> dict[str, Any]:  # type: ignore[assignment]
    """The ASL's BatchDone Pass output."""

    def reject(row: int, reason: str) -> dict[str, Any]:
        return {"row": row, "errors": [{"field": "local_avg", "reason": reason, "value": "x"}]}

    return {
        "source": SOURCE,
        "first_row": first_row,
        "rows": rows,
        "written": written,
        "rejects": [reject(r, "not a number") for r in rejects],
        "conflicts": [reject(r, "already stored from s3://b/o.csv row 2") for r in conflicts],
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
        monkeypatch.setenv("DATA_BUCKET", BUCKET)
        monkeypatch.setenv("RESULTS_PREFIX", "results/")
        monkeypatch.setenv("REJECTS_PREFIX", "rejects/")
        monkeypatch.setattr(summarize_handler, "s3_client", lambda: client)
        yield client


def read_rejects(s3: Any) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=f"rejects/{EXECUTION}.jsonl")["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def assert_every_row_accounted(summary: dict[str, Any]) -> None:
    total, written, rejected, failed = counts(summary)
    assert total == written + rejected + failed
    assert summary["rows_unaccounted"] == 0


def counts(summary: dict[str, Any]) -> tuple[int, int, int, int]:
    return summary["rows_total"], summary["rows_written"], summary["rows_rejected"], summary["rows_failed"]


def test_succeeded_map_summary_and_rejects_file(s3: Any) -> None:
    details = put_map_run(
        s3,
        "run-1",
        [
            child("b1", "SUCCEEDED", 0, 5, batch_done(2, 5, 3, rejects=[4], conflicts=[6])),
            child("b0", "SUCCEEDED", 5, 5, batch_done(7, 5, 5)),
            child("b2", "SUCCEEDED", 10, 2, batch_done(12, 2, 0, rejects=[13, 12])),
        ],
    )
    event = {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION, "results": details}
    summary = summarize_handler.handler(event, None)
    keys = (
        "file",
        "execution",
        "status",
        "rows_total",
        "rows_written",
        "rows_rejected",
        "rows_failed",
        "batches_total",
        "batches_failed",
        "error",
    )
    assert {k: summary[k] for k in keys} == {
        "file": FILE,
        "execution": EXECUTION,
        "status": "SUCCEEDED",
        "rows_total": 12,
        "rows_written": 8,
        "rows_rejected": 4,
        "rows_failed": 0,
        "batches_total": 3,
        "batches_failed": 0,
        "error": None,
    }
    assert_every_row_accounted(summary)
    assert summary["rejects_location"] == f"s3://{BUCKET}/rejects/{EXECUTION}.jsonl"
    assert summary["results_location"] == f"s3://{BUCKET}/results/{EXECUTION}/run-1/manifest.json"
    lines = read_rejects(s3)
    assert [(r["row"], r["stage"]) for r in lines] == [
        (4, "transform"),
        (6, "writer"),
        (12, "transform"),
        (13, "transform"),
    ]
    assert all(r["file"] == FILE and r["errors"] for r in lines)
    assert summary["rejects_sample"] == lines


def test_no_rejects_writes_no_rejects_file(s3: Any) -> None:
    details = put_map_run(s3, "run-1", [child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3))])
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION, "results": details}, None
    )
    assert (summary["rows_written"], summary["rejects_location"], summary["rejects_sample"]) == (3, None, [])
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="rejects/")


def test_failed_map_finds_the_manifest_and_counts_failed_batch_rows(s3: Any) -> None:
    """On failure the Catch replaces the Map's output; ResultWriter still wrote results, found by listing."""
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
    error = {"Error": "States.ExceedToleratedFailureThreshold", "Cause": "too many failed batches"}
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION, "error": error}, None
    )
    assert summary["status"] == "FAILED" and summary["error"] == error
    assert counts(summary) == (10, 3, 1, 6)
    assert (summary["batches_total"], summary["batches_failed"]) == (3, 2)
    assert_every_row_accounted(summary)
    assert summary["results_location"] == f"s3://{BUCKET}/results/{EXECUTION}/run-1/manifest.json"
    failed = summary["failed_batches_sample"]
    assert [(f["first_row"], f["last_row"], f["rows"], f["status"], f["error"]) for f in failed] == [
        (6, 9, 4, "FAILED", "Writer.WriteFailed"),
        (10, 11, 2, "ABORTED", None),
    ]
    assert len(failed[0]["cause"]) <= run_summary.MAX_CAUSE_CHARS + 1


def test_pending_children_count_as_failed_rows(s3: Any) -> None:
    put_map_run(
        s3, "run-1", [child("b0", "SUCCEEDED", 0, 2, batch_done(2, 2, 2)), child("b1", "PENDING", 2, 3)]
    )
    summary = summarize_handler.handler(
        {
            "bucket": BUCKET,
            "key": "incoming/data.csv",
            "execution": EXECUTION,
            "error": {"Error": "States.Timeout", "Cause": ""},
        },
        None,
    )
    assert (summary["rows_total"], summary["rows_failed"], summary["batches_failed"]) == (5, 3, 1)
    assert_every_row_accounted(summary)


def test_failed_map_without_any_results(s3: Any) -> None:
    """An ItemReader failure (e.g. missing object) fails the Map before any batch runs: nothing to count."""
    error = {"Error": "States.ItemReaderFailed", "Cause": "x" * 10_000}
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/gone.csv", "execution": EXECUTION, "error": error}, None
    )
    assert summary["status"] == "FAILED" and summary["results_location"] is None
    assert (summary["rows_total"], summary["batches_total"]) == (0, 0)
    assert summary["error"]["Error"] == "States.ItemReaderFailed" and len(summary["error"]["Cause"]) < 2_100


def test_redriven_batches_are_counted_once_by_their_latest_run(s3: Any) -> None:
    """Redrive reruns only unsuccessful children, same ExecutionArn with a higher RedriveCount."""
    put_map_run(
        s3,
        "run-1",
        [
            child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3)),
            child("b1", "FAILED", 3, 3, error="Writer.Throttled"),
        ],
    )
    details = put_map_run(
        s3, "run-2", [child("b1", "SUCCEEDED", 3, 3, batch_done(5, 3, 2, conflicts=[7]), redrive_count=1)]
    )
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION, "results": details}, None
    )
    assert counts(summary) == (6, 5, 1, 0)
    assert (summary["batches_total"], summary["batches_failed"]) == (2, 0)
    assert summary["results_location"].endswith("/run-2/manifest.json")


def test_the_reported_manifest_wins_over_an_older_listing_at_equal_redrive_count(s3: Any) -> None:
    put_map_run(s3, "run-z-old", [child("b0", "FAILED", 0, 3, error="Writer.Throttled")])
    details = put_map_run(s3, "run-a-new", [child("b0", "SUCCEEDED", 0, 3, batch_done(2, 3, 3))])
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION, "results": details}, None
    )
    assert (summary["rows_written"], summary["rows_failed"]) == (3, 0)


def test_rejects_sample_is_bounded_and_summary_fits_a_fail_cause(s3: Any) -> None:
    """The summary becomes the Fail state's Cause on the failure path; AWS caps Cause at 32,768 characters."""
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
        {
            "bucket": BUCKET,
            "key": "incoming/data.csv",
            "execution": EXECUTION,
            "error": {"Error": "States.ExceedToleratedFailureThreshold", "Cause": "c" * 50_000},
        },
        None,
    )
    assert 0 < len(summary["rejects_sample"]) <= run_summary.REJECTS_SAMPLE_MAX
    assert summary["rejects_sample"][0]["row"] == 2
    assert len(summary["failed_batches_sample"]) == run_summary.FAILED_BATCHES_SAMPLE_MAX
    assert len(json.dumps(summary)) < 32_768
    assert len(read_rejects(s3)) == 500  # the file holds every reject, the sample only the first ones


def test_real_transform_outputs_summarize_with_every_row_accounted(s3: Any) -> None:
    """data.csv's rows plus bad ones, through the real transform in batches of 7, as BatchDone outputs."""
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
            "rejects": out["rejects"],
            "conflicts": conflicts,
        }
        children.append(child(f"b{start}", "SUCCEEDED", start, out["rows"], done))
    details = put_map_run(s3, "run-1", children)
    summary = summarize_handler.handler(
        {"bucket": BUCKET, "key": "incoming/data.csv", "execution": EXECUTION, "results": details}, None
    )
    assert (summary["rows_total"], summary["rows_written"], summary["rows_rejected"]) == (20, 17, 3)
    assert_every_row_accounted(summary)
    assert [(r["row"], r["stage"]) for r in read_rejects(s3)] == [
        (5, "transform"),
        (11, "transform"),
        (16, "writer"),
    ]


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
