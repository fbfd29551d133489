"""A large Distributed Map keeps its batches and finished children out of memory (history_store.py), and the
API serves exactly what it served from memory: the same run with the store forced on and off must give the
same child histories, descriptions, Map Run counts, listings and result files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from workflow.engine import map_run as map_run_module
from workflow.engine.history_store import HistoryStore

BUCKET = "store-data"


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
                "ItemBatcher": {"MaxItemsPerBatch": 3, "BatchInput": {"src": "rows.csv"}},
                "ToleratedFailureCount": 10,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Check",
                    "States": {
                        "Check": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$.Items[0].index", "NumericEquals": 3, "Next": "Bad"}],
                            "Default": "Count",
                        },
                        "Bad": {"Type": "Fail", "Error": "Row.Invalid", "Cause": "row 3"},
                        "Count": {
                            "Type": "Pass",
                            "Parameters": {"n.$": "States.ArrayLength($.Items)", "é": "ü"},
                            "End": True,
                        },
                    },
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": BUCKET, "Prefix": "out"},
                },
                "End": True,
            }
        },
    }


def _observe(runner: Any, s3: Any) -> dict[str, Any]:
    """Everything the API shows of one run, with run-specific ids and times replaced by positions."""
    out = runner.output(runner.run(_definition(), {}))
    map_run_arn = out["MapRunArn"]
    sfn = runner.sfn
    children = sfn.list_executions(mapRunArn=map_run_arn)["executions"]
    seen: dict[str, Any] = {"children": [], "counts": None, "files": {}}
    for child in sorted(
        children,
        key=lambda c: json.loads(sfn.describe_execution(executionArn=c["executionArn"])["input"])["Items"][0][
            "index"
        ],
    ):
        arn = child["executionArn"]
        described = sfn.describe_execution(executionArn=arn)
        events, token = [], None
        while True:  # page through with nextToken, two events a page
            page = sfn.get_execution_history(
                executionArn=arn, maxResults=2, **({"nextToken": token} if token else {})
            )
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                break
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert all(isinstance(e["timestamp"], datetime) for e in events)
        reverse = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1000)["events"]
        assert reverse == events[::-1]
        seen["children"].append(
            {
                "status": described["status"],
                "input": described["input"],
                "output": described.get("output"),
                "error": described.get("error"),
                "events": [{k: v for k, v in e.items() if k != "timestamp"} for e in events],
            }
        )
    counts = sfn.describe_map_run(mapRunArn=map_run_arn)
    seen["counts"] = (counts["itemCounts"], counts["executionCounts"])
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=out["ResultWriterDetails"]["Key"])["Body"].read())
    for status, files in manifest["ResultFiles"].items():
        for file in files:
            records = json.loads(s3.get_object(Bucket=BUCKET, Key=file["Key"])["Body"].read())
            seen["files"][status] = sorted(
                (r["Input"], r.get("Output"), r["Status"], r.get("Error")) for r in records
            )
    return seen


@pytest.fixture
def s3(sfn_backend: Any) -> Any:
    client = sfn_backend.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(
        Bucket=BUCKET,
        Key="rows.csv",
        Body=("id,name\n" + "".join(f"{i},n-{i}\n" for i in range(10))).encode(),
    )
    return client


def test_a_run_through_the_store_shows_exactly_what_a_run_in_memory_shows(
    runner: Any, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(map_run_module, "SPILL_BYTES", 10**9)
    in_memory = _observe(runner, s3)
    monkeypatch.setattr(map_run_module, "SPILL_BYTES", 0)
    stored = _observe(runner, s3)
    # the runs differ only in ARNs: compare with each child's own ARN taken out of its events
    assert [c["status"] for c in stored["children"]] == ["SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED"]
    assert json.dumps(stored["counts"]) == json.dumps(in_memory["counts"])
    assert stored["files"] == in_memory["files"]
    for a, b in zip(stored["children"], in_memory["children"], strict=True):
        assert a == b
    # and the succeeded children really left memory: their records hold no payloads, their events are on disk
    records = [r for r in runner.sfn.engine.executions.values() if r.map_run_arn and r.archived]
    assert len(records) == 3  # the succeeded children of the second run only
    assert all(r.history.archived and r.input is None and r.input_text == "" for r in records)


def test_the_store_round_trips_events_exactly() -> None:
    store = HistoryStore()
    stamp = datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)
    events = [
        {
            "timestamp": stamp,
            "type": "ExecutionStarted",
            "id": 1,
            "previousEventId": 0,
            "executionStartedEventDetails": {"input": '{"é":1}', "inputDetails": {"truncated": False}},
        },
        {"timestamp": stamp, "type": "ExecutionSucceeded", "id": 2, "previousEventId": 1},
    ]
    assert store.put_events("arn:x", events)
    assert store.events("arn:x") == events
    assert list(store.events("arn:x")[0]) == list(events[0])  # key order kept
    assert not store.put_events("arn:y", [{"timestamp": stamp, "id": 1, "bad": object()}])
    store.put_many([("k1", "[1]"), ("k2", "[2]")])
    assert (store.get("k1"), store.get("k2"), store.get("k3")) == ("[1]", "[2]", None)
    path = store.path
    store.close()
    assert not path.exists()
