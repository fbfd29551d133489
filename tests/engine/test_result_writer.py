"""ResultWriter: the S3 layout and JSON shapes "ResultWriter (Map)" (AWS Step Functions guide) documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.engine.io_fixtures import FakeBackend
from workflow.engine.errors import StatesError
from workflow.engine.result_writer import ChildResult, map_run_id, transform_output, write_results

BUCKET = "results-bucket"
MAP_RUN = "arn:aws:states:us-east-1:123456789012:mapRun:csv-etl/Rows:ad9b5f27-090b-3ac6-9beb-243cd77144a7"
RUN_ID = "ad9b5f27-090b-3ac6-9beb-243cd77144a7"
T0 = datetime(2025, 2, 4, 1, 49, 50, 99_000, tzinfo=UTC)


def child(i: int, status: str = "SUCCEEDED", output: Any = None, **kw: Any) -> ChildResult:
    name = f"child-{i}"
    return ChildResult(
        execution_arn=f"arn:aws:states:us-east-1:123456789012:execution:csv-etl/Rows:{name}",
        name=name,
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:csv-etl/Rows",
        status=status,
        input=json.dumps({"Items": [i]}),
        output=None if status != "SUCCEEDED" else json.dumps(output or {"i": i}),
        error=kw.pop("error", "Boom" if status == "FAILED" else None),
        cause=kw.pop("cause", "it broke" if status == "FAILED" else None),
        start_date=T0,
        stop_date=None if status == "PENDING" else T0 + timedelta(milliseconds=64),
        **kw,
    )


@pytest.fixture
def s3(aws: FakeBackend) -> FakeBackend:
    aws.client("s3").create_bucket(Bucket=BUCKET)
    return aws


def write(backend: FakeBackend, children: list[ChildResult], prefix: str = "p", **kw: Any) -> dict[str, str]:
    return write_results(backend, bucket=BUCKET, prefix=prefix, map_run_arn=MAP_RUN, children=children, **kw)


def get_json(backend: FakeBackend, key: str) -> Any:
    return json.loads(backend.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_manifest_key_is_prefix_then_map_run_id(s3: FakeBackend) -> None:
    """The Map returns ResultWriterDetails {Bucket, Key: <Prefix>/<map run id>/manifest.json}."""
    details = write(s3, [child(0)], prefix="csvProcessJobs")
    assert details == {"Bucket": BUCKET, "Key": f"csvProcessJobs/{RUN_ID}/manifest.json"}
    assert map_run_id(MAP_RUN) == RUN_ID


def test_prefix_with_trailing_slash_is_not_doubled(s3: FakeBackend) -> None:
    details = write(s3, [child(0)], prefix="results/exec-1/")
    assert details["Key"] == f"results/exec-1/{RUN_ID}/manifest.json"


def test_empty_prefix_writes_at_bucket_root(s3: FakeBackend) -> None:
    details = write_results(s3, bucket=BUCKET, prefix="", map_run_arn=MAP_RUN, children=[child(0)])
    assert details["Key"] == f"{RUN_ID}/manifest.json"


def test_manifest_shape_lists_result_files_with_sizes(s3: FakeBackend) -> None:
    """manifest.json: DestinationBucket, MapRunArn, ResultFiles {FAILED, PENDING, SUCCEEDED: [{Key,Size}]}."""
    children = [child(0), child(1, "FAILED"), child(2, "PENDING"), child(3)]
    details = write_results(s3, bucket=BUCKET, prefix="p", map_run_arn=MAP_RUN, children=children)
    manifest = get_json(s3, details["Key"])
    assert manifest["DestinationBucket"] == BUCKET and manifest["MapRunArn"] == MAP_RUN
    files = manifest["ResultFiles"]
    assert set(files) == {"FAILED", "PENDING", "SUCCEEDED"}
    for status in ("FAILED", "PENDING", "SUCCEEDED"):
        [entry] = files[status]
        assert entry["Key"] == f"p/{RUN_ID}/{status}_0.json"
        head = s3.client("s3").head_object(Bucket=BUCKET, Key=entry["Key"])
        assert entry["Size"] == head["ContentLength"]
    assert [r["Name"] for r in get_json(s3, files["SUCCEEDED"][0]["Key"])] == ["child-0", "child-3"]


def test_only_statuses_with_results_get_files(s3: FakeBackend) -> None:
    """500 successes and 200 failures make two files: statuses without results get none."""
    details = write_results(s3, bucket=BUCKET, prefix="p", map_run_arn=MAP_RUN, children=[child(0), child(1)])
    files = get_json(s3, details["Key"])["ResultFiles"]
    assert files["FAILED"] == [] and files["PENDING"] == [] and len(files["SUCCEEDED"]) == 1
    listed = s3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"p/{RUN_ID}/")["Contents"]
    assert sorted(o["Key"] for o in listed) == [f"p/{RUN_ID}/SUCCEEDED_0.json", f"p/{RUN_ID}/manifest.json"]


def test_succeeded_record_shape(s3: FakeBackend) -> None:
    """A SUCCEEDED record: ExecutionArn, Input, InputDetails, Name, Output (a JSON string), OutputDetails,
    RedriveCount, RedriveStatus, RedriveStatusReason, StartDate, StateMachineArn, Status, StopDate."""
    details = write_results(
        s3,
        bucket=BUCKET,
        prefix="p",
        map_run_arn=MAP_RUN,
        children=[child(7, output=[{"customer_id": "145538"}])],
    )
    files = get_json(s3, details["Key"])["ResultFiles"]
    [record] = get_json(s3, files["SUCCEEDED"][0]["Key"])
    assert record == {
        "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:csv-etl/Rows:child-7",
        "Input": '{"Items": [7]}',
        "InputDetails": {"Included": True},
        "Name": "child-7",
        "Output": '[{"customer_id": "145538"}]',
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        "StartDate": "2025-02-04T01:49:50.099Z",
        "StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:csv-etl/Rows",
        "Status": "SUCCEEDED",
        "StopDate": "2025-02-04T01:49:50.163Z",
    }


def test_failed_timed_out_and_aborted_go_to_failed_with_error_and_cause(s3: FakeBackend) -> None:
    """FAILED_n.json holds "all failed, timed out, and aborted child workflow executions"."""
    children = [
        child(1, "FAILED", error="Writer.Throttled", cause="slow down", redrive_status="REDRIVABLE"),
        child(2, "TIMED_OUT", error="States.Timeout", cause=""),
        child(3, "ABORTED", error=None, cause=None),
    ]
    details = write_results(s3, bucket=BUCKET, prefix="p", map_run_arn=MAP_RUN, children=children)
    records = get_json(s3, get_json(s3, details["Key"])["ResultFiles"]["FAILED"][0]["Key"])
    assert [r["Status"] for r in records] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert records[0]["Error"] == "Writer.Throttled" and records[0]["Cause"] == "slow down"
    assert records[0]["RedriveStatus"] == "REDRIVABLE" and "RedriveStatusReason" not in records[0]
    assert "Output" not in records[0]


def test_pending_items_are_recorded(s3: FakeBackend) -> None:
    """PENDING_n.json: children "that weren't started because the Map Run failed or aborted"."""
    details = write(s3, [child(5, "PENDING")])
    [record] = get_json(s3, get_json(s3, details["Key"])["ResultFiles"]["PENDING"][0]["Key"])
    assert record["Status"] == "PENDING" and record["Input"] == '{"Items": [5]}' and "StopDate" not in record


def test_files_split_past_the_size_limit_with_increasing_index(s3: FakeBackend) -> None:
    """Past the per-file limit (5 GB on AWS) "Step Functions creates another file ... SUCCEEDED_1.json"."""
    children = [child(i, output={"pad": "x" * 200}) for i in range(12)]
    details = write_results(
        s3, bucket=BUCKET, prefix="p", map_run_arn=MAP_RUN, children=children, max_file_bytes=2000
    )
    files = get_json(s3, details["Key"])["ResultFiles"]["SUCCEEDED"]
    assert len(files) > 1
    assert [f["Key"] for f in files] == [f"p/{RUN_ID}/SUCCEEDED_{n}.json" for n in range(len(files))]
    names = [r["Name"] for f in files for r in get_json(s3, f["Key"])]
    assert names == [f"child-{i}" for i in range(12)]
    assert all(f["Size"] <= 2000 for f in files)


def test_missing_bucket_is_result_writer_failed(s3: FakeBackend) -> None:
    """A bucket Step Functions cannot write to fails the state with States.ResultWriterFailed."""
    with pytest.raises(StatesError) as err:
        write_results(
            s3, bucket="no-such-results-bucket", prefix="p", map_run_arn=MAP_RUN, children=[child(0)]
        )
    assert err.value.error == "States.ResultWriterFailed"
    assert "no-such-results-bucket" in err.value.cause


def test_no_children_still_writes_the_manifest(s3: FakeBackend) -> None:
    details = write_results(s3, bucket=BUCKET, prefix="p", map_run_arn=MAP_RUN, children=[])
    assert get_json(s3, details["Key"])["ResultFiles"] == {"FAILED": [], "PENDING": [], "SUCCEEDED": []}


def test_jsonl_output_type_writes_json_lines(s3: FakeBackend) -> None:
    """WriterConfig OutputType JSONL "formats the results as JSON Lines"."""
    details = write_results(
        s3,
        bucket=BUCKET,
        prefix="p",
        map_run_arn=MAP_RUN,
        children=[child(0), child(1)],
        writer_config={"OutputType": "JSONL", "Transformation": "COMPACT"},
    )
    [entry] = get_json(s3, details["Key"])["ResultFiles"]["SUCCEEDED"]
    body = s3.client("s3").get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read().decode()
    assert [json.loads(line) for line in body.splitlines()] == [{"i": 0}, {"i": 1}]


def test_transformations() -> None:
    """Transformation NONE keeps metadata, COMPACT returns outputs, FLATTEN flattens array outputs; a failed
    child is returned unchanged whatever the transformation."""
    ok = child(0, output=[{"a": 1}, {"a": 2}])
    bad = child(1, "FAILED")
    assert transform_output(ok, "NONE")[0]["Status"] == "SUCCEEDED"
    assert transform_output(ok, "COMPACT") == [[{"a": 1}, {"a": 2}]]
    assert transform_output(ok, "FLATTEN") == [{"a": 1}, {"a": 2}]
    assert transform_output(bad, "FLATTEN")[0]["Error"] == "Boom"
