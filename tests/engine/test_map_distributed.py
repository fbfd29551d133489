"""Distributed Map: ItemReader over a CSV in S3, ItemSelector + ItemBatcher, child executions with their own
ARNs and histories, Map Run records and counts, tolerated failures and ResultWriter, as the AWS Step Functions
developer guide documents them."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

BUCKET = "map-data"


def csv_text(rows: int) -> str:
    return "id,name\n" + "".join(f"{i},name-{i}\n" for i in range(rows))


@pytest.fixture
def s3(sfn_backend: Any) -> Any:
    client = sfn_backend.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def dmap(processor_states: dict[str, Any], start: str, **fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "Rows",
        "States": {
            "Rows": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket": BUCKET, "Key.$": "$.key"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": start,
                    "States": processor_states,
                },
                **fields,
                "End": True,
            }
        },
    }


COUNT = {
    "Count": {
        "Type": "Pass",
        "Parameters": {
            "n.$": "States.ArrayLength($.Items)",
            "first.$": "$.Items[0].index",
            "src.$": "$.BatchInput.src",
        },
        "End": True,
    }
}


def test_csv_rows_are_selected_batched_and_run_as_child_executions(runner: Any, s3: Any) -> None:
    """ItemSelector applies per row with $$.Map.Item.Index/Value before ItemBatcher groups rows; each batch is
    the input of one child execution, listed by ListExecutions(mapRunArn) with its own history."""
    s3.put_object(Bucket=BUCKET, Key="in/rows.csv", Body=csv_text(7).encode())
    definition = dmap(
        COUNT,
        "Count",
        Label="Rows",
        ItemSelector={"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"},
        ItemBatcher={"MaxItemsPerBatch": 3, "BatchInput": {"src.$": "$.key"}},
    )
    described = runner.run(definition, {"key": "in/rows.csv"})
    assert runner.output(described) == [
        {"n": 3, "first": 0, "src": "in/rows.csv"},
        {"n": 3, "first": 3, "src": "in/rows.csv"},
        {"n": 1, "first": 6, "src": "in/rows.csv"},
    ]
    sfn = runner.sfn
    runs = sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"]
    assert len(runs) == 1
    map_run_arn = runs[0]["mapRunArn"]
    sm_name = described["stateMachineArn"].rsplit(":", 1)[1]
    assert re.fullmatch(
        rf"arn:aws:states:us-east-1:\d{{12}}:mapRun:{sm_name}/Rows:[0-9a-f-]{{36}}", map_run_arn
    )
    run = sfn.describe_map_run(mapRunArn=map_run_arn)
    assert run["status"] == "SUCCEEDED"
    assert run["itemCounts"]["total"] == 7 and run["itemCounts"]["succeeded"] == 7
    assert run["executionCounts"]["total"] == 3 and run["executionCounts"]["succeeded"] == 3
    children = sfn.list_executions(mapRunArn=map_run_arn)["executions"]
    assert len(children) == 3 and all(c["mapRunArn"] == map_run_arn for c in children)
    child = children[0]
    assert re.fullmatch(
        rf"arn:aws:states:us-east-1:\d{{12}}:execution:{sm_name}/Rows:[0-9a-f-]{{36}}", child["executionArn"]
    )
    child_described = sfn.describe_execution(executionArn=child["executionArn"])
    assert child_described["mapRunArn"] == map_run_arn
    child_input = json.loads(child_described["input"])
    assert child_input["Items"][0]["row"] == {
        "id": str(child_input["Items"][0]["index"]),
        "name": f"name-{child_input['Items'][0]['index']}",
    }
    assert runner.types(child["executionArn"])[0] == "ExecutionStarted"
    parent_types = runner.types(described["executionArn"])
    assert [t for t in parent_types if t.startswith("Map")] == [
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
    ]
    # children are not listed under the parent state machine
    listed = sfn.list_executions(stateMachineArn=described["stateMachineArn"])["executions"]
    assert [e["executionArn"] for e in listed] == [described["executionArn"]]


def _failing_on(bad: set[int]) -> dict[str, Any]:
    """A processor that fails for the item whose id is in `bad` (one item per child)."""
    return {
        "Check": {
            "Type": "Choice",
            "Choices": [
                {"Or": [{"Variable": "$.id", "StringEquals": str(i)} for i in sorted(bad)], "Next": "Bad"}
            ],
            "Default": "Good",
        },
        "Bad": {"Type": "Fail", "Error": "Row.Invalid", "Cause": "bad row"},
        "Good": {"Type": "Pass", "End": True},
    }


def test_failure_over_tolerated_threshold_fails_the_map_run(runner: Any, s3: Any) -> None:
    """Without ToleratedFailure* any failed item fails the Map Run: the Map state fails with
    States.ExceedToleratedFailureThreshold and a MapRunFailed event."""
    s3.put_object(Bucket=BUCKET, Key="t.csv", Body=csv_text(10).encode())
    described = runner.run(dmap(_failing_on({3}), "Check", MaxConcurrency=1), {"key": "t.csv"})
    assert described["status"] == "FAILED" and described["error"] == "States.ExceedToleratedFailureThreshold"
    events = runner.events(described["executionArn"])
    failed = next(e for e in events if e["type"] == "MapRunFailed")["mapRunFailedEventDetails"]
    assert failed["error"] == "States.ExceedToleratedFailureThreshold"
    map_run_arn = runner.sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"][0]["mapRunArn"]
    run = runner.sfn.describe_map_run(mapRunArn=map_run_arn)
    assert run["status"] == "FAILED" and run["itemCounts"]["failed"] == 1
    # MaxConcurrency 1: the run stopped at the first failure, so later items never started
    assert run["itemCounts"]["pending"] == 6 and run["itemCounts"]["succeeded"] == 3


def test_failures_within_tolerated_percentage_and_count_succeed(runner: Any, s3: Any) -> None:
    """ToleratedFailurePercentage(Path)/ToleratedFailureCount: the run fails only when failures exceed
    them."""
    s3.put_object(Bucket=BUCKET, Key="t.csv", Body=csv_text(10).encode())
    within = runner.run(
        dmap(_failing_on({1, 2}), "Check", ToleratedFailurePercentagePath="$.pct"),
        {"key": "t.csv", "pct": 20},
    )
    out = runner.output(within)
    assert len(out) == 10 and out[1] == {"Error": "Row.Invalid", "Cause": "bad row"}
    over = runner.run(dmap(_failing_on({1, 2, 3}), "Check", ToleratedFailurePercentage=20), {"key": "t.csv"})
    assert over["error"] == "States.ExceedToleratedFailureThreshold"
    by_count = runner.run(dmap(_failing_on({1, 2}), "Check", ToleratedFailureCount=2), {"key": "t.csv"})
    assert by_count["status"] == "SUCCEEDED"
    over_count = runner.run(dmap(_failing_on({1, 2}), "Check", ToleratedFailureCount=1), {"key": "t.csv"})
    assert over_count["status"] == "FAILED"


def test_result_writer_exports_results_and_map_output_points_to_manifest(runner: Any, s3: Any) -> None:
    """ResultWriter: the Map's output is {MapRunArn, ResultWriterDetails{Bucket, Key}} and the manifest and
    SUCCEEDED/FAILED files are written under <Prefix>/<map run id>/."""
    s3.put_object(Bucket=BUCKET, Key="t.csv", Body=csv_text(4).encode())
    definition = dmap(
        _failing_on({2}),
        "Check",
        ToleratedFailureCount=5,
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": BUCKET, "Prefix": "results"},
        },
    )
    out = runner.output(runner.run(definition, {"key": "t.csv"}))
    map_run_id = out["MapRunArn"].rsplit(":", 1)[1]
    assert out["ResultWriterDetails"] == {"Bucket": BUCKET, "Key": f"results/{map_run_id}/manifest.json"}
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=out["ResultWriterDetails"]["Key"])["Body"].read())
    files = manifest["ResultFiles"]
    assert sum(f["Size"] > 0 for f in files["SUCCEEDED"]) == 1 and len(files["FAILED"]) == 1
    failed_key = files["FAILED"][0]["Key"]
    failed = json.loads(s3.get_object(Bucket=BUCKET, Key=failed_key)["Body"].read())
    assert len(failed) == 1 and failed[0]["Error"] == "Row.Invalid"
    run = runner.sfn.describe_map_run(mapRunArn=out["MapRunArn"])
    assert run["executionCounts"]["resultsWritten"] == 4


def test_items_path_source_and_express_children(runner: Any) -> None:
    """A Distributed Map may iterate an array of the state input; EXPRESS children get `express:` ARNs."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    described = runner.run(definition, {"xs": [1, 2, 3]})
    assert runner.output(described) == [1, 2, 3]
    map_run = runner.sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"][0]["mapRunArn"]
    children = runner.sfn.list_executions(mapRunArn=map_run)["executions"]
    assert all(":express:" in c["executionArn"] for c in children)


def test_item_reader_failure_is_item_reader_failed(runner: Any, s3: Any) -> None:
    """A missing object fails the Map with States.ItemReaderFailed (catchable)."""
    definition = dmap(COUNT, "Count")
    definition["States"]["Rows"]["Catch"] = [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}]
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    out = runner.output(runner.run(definition, {"key": "missing.csv"}))
    assert out["Error"] == "States.ItemReaderFailed"


def test_stopping_the_parent_aborts_the_map_run_and_its_children(runner: Any) -> None:
    """StopExecution of the parent aborts its running Map Run and child executions (status ABORTED)."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "W",
                    "States": {"W": {"Type": "Wait", "Seconds": 10**6, "End": True}},
                },
                "End": True,
            }
        },
    }
    sfn = runner.sfn
    parent = runner.start(definition, [1, 2, 3, 4])
    for _ in range(200):
        runs = sfn.list_map_runs(executionArn=parent)["mapRuns"]
        if runs and len(sfn.list_executions(mapRunArn=runs[0]["mapRunArn"])["executions"]) == 2:
            break
        time.sleep(0.01)
    sfn.stop_execution(executionArn=parent, error="Stop", cause="test")
    assert sfn.describe_execution(executionArn=parent)["status"] == "ABORTED"
    map_run_arn = sfn.list_map_runs(executionArn=parent)["mapRuns"][0]["mapRunArn"]
    for _ in range(200):
        if sfn.describe_map_run(mapRunArn=map_run_arn)["status"] != "RUNNING":
            break
        time.sleep(0.01)
    run = sfn.describe_map_run(mapRunArn=map_run_arn)
    assert run["status"] == "ABORTED"
    assert run["executionCounts"]["aborted"] == 2 and run["executionCounts"]["pending"] == 2
    children = sfn.list_executions(mapRunArn=map_run_arn)["executions"]
    assert {c["status"] for c in children} == {"ABORTED"}
