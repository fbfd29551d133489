"""RedriveExecution, as the API reference documents it: same execution ARN, continue from the unsuccessful
step with its input, successful steps are not rerun, only failed Parallel branches / Map iterations and only
unsuccessful Distributed Map children run again (keeping their ARNs), redriveCount and the Redriven events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.engine.errors import ServiceError

INVOKE = "arn:aws:states:::lambda:invoke"


def test_redrive_continues_from_the_failed_state(runner: Any, sfn_backend: Any) -> None:
    calls: list[str] = []
    broken = {"on": True}

    def first(event: Any) -> Any:
        calls.append("first")
        return {"step": 1}

    def second(event: Any) -> Any:
        calls.append("second")
        if broken["on"]:
            raise RuntimeError("downstream unavailable")
        return {"step": 2, "seen": event}

    sfn_backend.functions.update(first=first, second=second)
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {"FunctionName": "first"},
                "ResultSelector": {"a.$": "$.Payload"},
                "ResultPath": "$.a",
                "Next": "B",
            },
            "B": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {"FunctionName": "second", "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            },
        },
    }
    failed = runner.run(definition, {"x": 1})
    arn = failed["executionArn"]
    assert failed["status"] == "FAILED" and failed["redriveStatus"] == "REDRIVABLE"
    broken["on"] = False
    redriven = runner.sfn.redrive_execution(executionArn=arn)
    assert redriven["redriveDate"] is not None
    done = runner.sfn.wait_for_execution(arn, 10)
    assert runner.output(done) == {"step": 2, "seen": {"x": 1, "a": {"a": {"step": 1}}}}
    assert calls == ["first", "second", "second"]  # A is not rerun
    assert done["redriveCount"] == 1 and done["executionArn"] == arn
    types = runner.types(arn)
    assert types.count("ExecutionRedriven") == 1 and types.count("ExecutionStarted") == 1
    assert types[types.index("ExecutionFailed") + 1] == "ExecutionRedriven"
    events = runner.events(arn)
    redrive_event = next(e for e in events if e["type"] == "ExecutionRedriven")
    assert redrive_event["executionRedrivenEventDetails"] == {"redriveCount": 1}
    listed = runner.sfn.list_executions(stateMachineArn=done["stateMachineArn"], redriveFilter="REDRIVEN")
    assert [e["executionArn"] for e in listed["executions"]] == [arn]


def test_succeeded_and_express_executions_are_not_redrivable(runner: Any) -> None:
    """Only FAILED, TIMED_OUT or ABORTED STANDARD executions can be redriven (ExecutionNotRedrivable)."""
    ok = runner.run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert ok["redriveStatus"] == "NOT_REDRIVABLE"
    with pytest.raises(ServiceError) as err:
        runner.sfn.redrive_execution(executionArn=ok["executionArn"])
    assert err.value.code == "ExecutionNotRedrivable"
    express = runner.machine(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}, type_="EXPRESS"
    )
    result = runner.sfn.start_sync_execution(stateMachineArn=express, input="{}")
    assert result["status"] == "FAILED"
    with pytest.raises(ServiceError) as err2:
        runner.sfn.redrive_execution(executionArn=result["executionArn"])
    assert err2.value.code == "ExecutionNotRedrivable"


def test_redrive_reruns_only_failed_parallel_branches(runner: Any, sfn_backend: Any) -> None:
    """'For workflows that include an Inline Map or Parallel state, RedriveExecution ... redrives only the
    iterations and branches that failed or aborted.'"""
    calls: list[str] = []
    broken = {"on": True}

    def ok(event: Any) -> Any:
        calls.append("ok")
        return "ok"

    def flaky(event: Any) -> Any:
        calls.append("flaky")
        if broken["on"]:
            raise RuntimeError("down")
        return "fixed"

    sfn_backend.functions.update(ok=ok, flaky=flaky)

    def branch(name: str, fn: str) -> dict[str, Any]:
        return {
            "StartAt": name,
            "States": {
                name: {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "Parameters": {"FunctionName": fn},
                    "OutputPath": "$.Payload",
                    "End": True,
                }
            },
        }

    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "End": True, "Branches": [branch("Ok", "ok"), branch("Flaky", "flaky")]}
        },
    }
    failed = runner.run(definition)
    assert failed["status"] == "FAILED"
    broken["on"] = False
    runner.sfn.redrive_execution(executionArn=failed["executionArn"])
    done = runner.sfn.wait_for_execution(failed["executionArn"], 10)
    assert runner.output(done) == ["ok", "fixed"]
    assert calls.count("ok") == 1 and calls.count("flaky") == 2


def test_redrive_of_failed_distributed_map_reruns_only_failed_children(runner: Any, sfn_backend: Any) -> None:
    """Redriving the parent redrives the Map Run: only unsuccessful children run again, each keeps its ARN
    with redriveCount 1; the Map Run's redriveCount is 1 and the parent history shows MapRunRedriven."""
    bad = {"2", "5"}
    seen: list[str] = []

    def work(event: Any) -> Any:
        seen.append(event["id"])
        if event["id"] in bad:
            raise RuntimeError(f"row {event['id']} failed")
        return {"id": event["id"], "ok": True}

    sfn_backend.functions["work"] = work
    s3 = sfn_backend.client("s3")
    s3.create_bucket(Bucket="redrive-data")
    s3.put_object(
        Bucket="redrive-data", Key="f.csv", Body=("id\n" + "".join(f"{i}\n" for i in range(8))).encode()
    )
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 4,
                "ToleratedFailureCount": 0,
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket": "redrive-data", "Key": "f.csv"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "W",
                    "States": {
                        "W": {
                            "Type": "Task",
                            "Resource": INVOKE,
                            "Parameters": {"FunctionName": "work", "Payload.$": "$"},
                            "OutputPath": "$.Payload",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    failed = runner.run(definition)
    parent = failed["executionArn"]
    assert failed["status"] == "FAILED" and failed["error"] == "States.ExceedToleratedFailureThreshold"
    map_run_arn = runner.sfn.list_map_runs(executionArn=parent)["mapRuns"][0]["mapRunArn"]
    before = {
        c["executionArn"]: c["status"]
        for c in runner.sfn.list_executions(mapRunArn=map_run_arn)["executions"]
    }
    unsuccessful = {arn for arn, status in before.items() if status != "SUCCEEDED"}
    assert unsuccessful
    for arn in unsuccessful:
        child = runner.sfn.describe_execution(executionArn=arn)
        assert child["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
        with pytest.raises(ServiceError):  # children are redriven through their parent
            runner.sfn.redrive_execution(executionArn=arn)
    started_before = len(seen)
    bad.clear()
    runner.sfn.redrive_execution(executionArn=parent)
    done = runner.sfn.wait_for_execution(parent, 20)
    out = runner.output(done)
    assert [row["id"] for row in out] == [str(i) for i in range(8)]
    rerun = seen[started_before:]
    succeeded_first = [
        json.loads(runner.sfn.describe_execution(executionArn=a)["input"])["id"]
        for a, s in before.items()
        if s == "SUCCEEDED"
    ]
    assert not set(rerun) & set(succeeded_first)  # successful children did not run again
    after = runner.sfn.list_executions(mapRunArn=map_run_arn)["executions"]
    # children that ran keep their ARNs; items never started in the first attempt start now
    assert set(before) <= {c["executionArn"] for c in after} and len(after) == 8
    for child in after:
        assert child["status"] == "SUCCEEDED"
        assert child["redriveCount"] == (
            1 if child["executionArn"] in {a for a, s in before.items() if s in ("FAILED", "ABORTED")} else 0
        )
    run = runner.sfn.describe_map_run(mapRunArn=map_run_arn)
    assert run["status"] == "SUCCEEDED" and run["redriveCount"] == 1
    assert run["itemCounts"]["succeeded"] == 8
    types = runner.types(parent)
    assert "MapRunRedriven" in types and "ExecutionRedriven" in types
    child_types = runner.types(next(iter(unsuccessful)))
    assert "ExecutionRedriven" in child_types or child_types[0] == "ExecutionStarted"


def test_retry_of_a_parallel_state_reruns_every_branch(runner: Any, sfn_backend: Any) -> None:
    """Keeping successful branches is for redrives: a Retrier on the Parallel state reruns all branches."""
    calls: list[str] = []

    def ok(event: Any) -> Any:
        calls.append("ok")
        return "ok"

    def once_broken(event: Any) -> Any:
        calls.append("flaky")
        if calls.count("flaky") == 1:
            raise RuntimeError("first time")
        return "fixed"

    sfn_backend.functions.update(ok=ok, once_broken=once_broken)

    def branch(name: str, fn: str) -> dict[str, Any]:
        return {
            "StartAt": name,
            "States": {
                name: {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "End": True,
                    "Parameters": {"FunctionName": fn},
                    "OutputPath": "$.Payload",
                }
            },
        }

    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Retry": [{"ErrorEquals": ["RuntimeError"], "IntervalSeconds": 1}],
                "Branches": [branch("Ok", "ok"), branch("Flaky", "once_broken")],
            }
        },
    }
    assert runner.output(runner.run(definition)) == ["ok", "fixed"]
    assert calls.count("ok") == 2 and calls.count("flaky") == 2
