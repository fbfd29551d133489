"""A large Distributed Map keeps no succeeded child's ExecutionRecord in memory (execution_table.py), yet the
API still answers in full for every child: DescribeExecution, ListExecutions(mapRunArn),
GetExecutionHistory, DescribeMapRun's counts, and a redrive of the parent that continues its failed child.

Redrive of a Map Run re-runs only the children that did not succeed (AWS: "Redriving Map Runs",
https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.engine import map_run as map_run_module

BUCKET = "table-data"
ROWS, PER_BATCH = 40, 2
CHILDREN = ROWS // PER_BATCH
LAST = ROWS - PER_BATCH  # index of the last batch's first row: that child fails until it is redriven


def _definition() -> dict[str, Any]:
    return {
        "StartAt": "Rows",
        "States": {
            "Rows": {
                "Type": "Map",
                "Label": "Rows",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket": BUCKET, "Key": "rows.csv"},
                },
                "ItemSelector": {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"},
                "ItemBatcher": {"MaxItemsPerBatch": PER_BATCH},
                "MaxConcurrency": 1,  # the failing last child runs after every other one has succeeded
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Check",
                    "States": {
                        # no Default: the last child fails with States.NoChoiceMatched until redriven
                        # (a redrive starts again at the state that failed: this Choice)
                        "Check": {
                            "Type": "Choice",
                            "Choices": [
                                {
                                    "Not": {"Variable": "$.Items[0].index", "NumericEquals": LAST},
                                    "Next": "Count",
                                },
                                {
                                    "Variable": "$$.Execution.RedriveCount",
                                    "NumericGreaterThan": 0,
                                    "Next": "Count",
                                },
                            ],
                        },
                        "Count": {
                            "Type": "Pass",
                            "Parameters": {
                                "first.$": "$.Items[0].index",
                                "n.$": "States.ArrayLength($.Items)",
                            },
                            "End": True,
                        },
                    },
                },
                "End": True,
            }
        },
    }


@pytest.fixture
def s3(sfn_backend: Any) -> Any:
    client = sfn_backend.client("s3")
    client.create_bucket(Bucket=BUCKET)
    body = "id,name\n" + "".join(f"{i},n-{i}\n" for i in range(ROWS))
    client.put_object(Bucket=BUCKET, Key="rows.csv", Body=body.encode())
    return client


def _children_in_memory(sfn: Any) -> list[Any]:
    return [r for r in sfn.engine.executions.in_memory() if r.map_run_arn is not None]


def _check_child(sfn: Any, child: dict[str, Any], map_run_arn: str) -> int:
    """DescribeExecution and GetExecutionHistory of one child answer in full; returns its first row index."""
    arn = child["executionArn"]
    described = sfn.describe_execution(executionArn=arn)
    assert described["status"] == child["status"] == "SUCCEEDED"
    assert (described["mapRunArn"], described["name"]) == (map_run_arn, child["name"])
    assert described["stopDate"] >= described["startDate"]
    assert described["redriveStatus"] == "NOT_REDRIVABLE"
    items = json.loads(described["input"])["Items"]
    first = items[0]["index"]
    assert [item["row"]["id"] for item in items] == [str(first), str(first + 1)]
    assert json.loads(described["output"]) == {"first": first, "n": PER_BATCH}
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["executionStartedEventDetails"]["input"] == described["input"]
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert events[-1]["executionSucceededEventDetails"]["output"] == described["output"]
    assert "PassStateExited" in [e["type"] for e in events]
    return int(first)


def test_succeeded_children_leave_memory_and_still_answer_in_full(
    runner: Any, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(map_run_module, "SPILL_BYTES", 0)  # the store, as for a large file
    sfn = runner.sfn
    failed = runner.run(_definition(), {})
    assert failed["status"] == "FAILED", failed
    map_run_arn = sfn.list_map_runs(executionArn=failed["executionArn"])["mapRuns"][0]["mapRunArn"]
    map_run = sfn.engine.map_runs[map_run_arn]

    # only the failed child is held in memory; the others' slots are one shared object
    in_memory = _children_in_memory(sfn)
    assert [r.status for r in in_memory] == ["FAILED"]
    parked = [slot for slot in map_run.slots if slot.record is None]
    assert len(parked) == CHILDREN - 1
    assert all(slot.status == "SUCCEEDED" and slot.input_key is None for slot in parked)
    assert len({id(slot) for slot in parked}) == 1  # one shared slot object for every such batch of 2

    counts = sfn.describe_map_run(mapRunArn=map_run_arn)["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["total"]) == (CHILDREN - 1, 1, CHILDREN)
    listed = sfn.list_executions(mapRunArn=map_run_arn, maxResults=1000)["executions"]
    assert len(listed) == CHILDREN and len({c["executionArn"] for c in listed}) == CHILDREN
    assert [c["startDate"] for c in listed] == sorted((c["startDate"] for c in listed), reverse=True)
    assert [c["status"] for c in listed].count("FAILED") == 1
    failed_child = next(c for c in listed if c["status"] == "FAILED")
    described = sfn.describe_execution(executionArn=failed_child["executionArn"])
    assert (described["error"], described["redriveStatus"]) == (
        "States.NoChoiceMatched",
        "REDRIVABLE_BY_MAP_RUN",
    )
    firsts = [_check_child(sfn, c, map_run_arn) for c in listed if c["status"] == "SUCCEEDED"]
    assert sorted(firsts) == list(range(0, LAST, PER_BATCH))
    paged = sfn.list_executions(mapRunArn=map_run_arn, maxResults=7)
    assert len(paged["executions"]) == 7 and "nextToken" in paged

    # a redrive of the parent runs the failed child again (same ARN) and none of the parked ones
    sfn.redrive_execution(executionArn=failed["executionArn"])
    done = sfn.wait_for_execution(failed["executionArn"], 20)
    assert done["status"] == "SUCCEEDED", done
    redriven = sfn.describe_execution(executionArn=failed_child["executionArn"])
    assert (redriven["status"], redriven["redriveCount"]) == ("SUCCEEDED", 1)
    assert json.loads(redriven["output"]) == {"first": LAST, "n": PER_BATCH}
    listed = sfn.list_executions(mapRunArn=map_run_arn, maxResults=1000)["executions"]
    assert len(listed) == CHILDREN
    assert {c["status"] for c in listed} == {"SUCCEEDED"}
    assert sum(c["redriveCount"] for c in listed) == 1
    counts = sfn.describe_map_run(mapRunArn=map_run_arn)["executionCounts"]
    assert (counts["succeeded"], counts["total"]) == (CHILDREN, CHILDREN)
    assert _children_in_memory(sfn) == []  # the redriven child left memory too once it succeeded
