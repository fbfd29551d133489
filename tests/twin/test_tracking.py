"""Turning an execution into `etl run --json`'s flat result, and the ESM's batching without a queue server."""

from __future__ import annotations

import json
from typing import Any

from workflow.engine.backend import LambdaResult
from workflow.twin.esm import SqsEventSourceMapping
from workflow.twin.tracking import flat_rejects, run_result

BAD_ROW = {
    "row": 3,
    "errors": [
        {"field": "timestamp", "reason": "not a number", "value": "x"},
        {"field": "local_avg", "reason": "not a number", "value": "y"},
    ],
}
SUMMARY = {
    "file": "s3://b/incoming/x.csv",
    "rows_total": 3,
    "rows_written": 1,
    "rows_rejected": 2,
    "rows_failed": 0,
    "rejects_location": "s3://b/rejects/e.jsonl",
    "rejects_sample": [BAD_ROW, {"row": 4, "errors": [{"field": "time", "reason": "duplicate key"}]}],
}


def test_rejects_are_flattened_to_row_field_reason_and_capped() -> None:
    assert flat_rejects(SUMMARY) == [
        {"row": 3, "field": "timestamp", "reason": "not a number"},
        {"row": 3, "field": "local_avg", "reason": "not a number"},
        {"row": 4, "field": "time", "reason": "duplicate key"},
    ]
    two = [{"field": "a", "reason": "r"}, {"field": "b", "reason": "r"}]
    many = {"rejects_sample": [{"row": n, "errors": two} for n in range(80)]}
    assert len(flat_rejects(many)) == 100


def test_succeeded_execution_result_comes_from_its_output() -> None:
    described = {"executionArn": "arn:x", "status": "SUCCEEDED", "output": json.dumps(SUMMARY)}
    result = run_result(described, 1.23456)
    assert result["status"] == "SUCCEEDED" and result["rows_written"] == 1 and result["rows_rejected"] == 2
    assert result["duration_s"] == 1.235 and len(result["rejects"]) == 3


def test_failed_execution_result_comes_from_the_summarizer() -> None:
    described = {
        "executionArn": "arn:x",
        "status": "FAILED",
        "error": "States.ExceedToleratedFailureThreshold",
        "cause": "The specified tolerated failure threshold was exceeded",
    }
    asked: list[dict[str, Any]] = []

    def summarize(d: dict[str, Any]) -> dict[str, Any]:
        asked.append(d)
        return {**SUMMARY, "rows_failed": 2, "rows_rejected": 0}

    result = run_result(described, 0.5, summarize)
    assert asked == [described]
    assert result["status"] == "FAILED" and result["rows_failed"] == 2
    assert result["error"] == "States.ExceedToleratedFailureThreshold"
    bare = run_result(described, 0.5)
    assert bare["rows_total"] is None and bare["cause"].startswith("The specified")


class FakeSqs:
    """Hands out queued messages a few per receive; records deletions."""

    def __init__(self, arrivals: list[list[str]]) -> None:
        self.arrivals = arrivals
        self.deleted: list[str] = []
        self.waits: list[int] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.waits.append(kwargs["WaitTimeSeconds"])
        bodies = self.arrivals.pop(0) if self.arrivals else []
        return {
            "Messages": [
                {"MessageId": b, "ReceiptHandle": "h-" + b, "Body": b, "MD5OfBody": "m"}
                for b in bodies[: kwargs["MaxNumberOfMessages"]]
            ]
        }

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.deleted += [e["ReceiptHandle"] for e in Entries]
        return {"Successful": Entries}


def test_batching_window_gathers_up_to_the_batch_size() -> None:
    """Lambda docs: with MaximumBatchingWindowInSeconds the mapping waits to fill the batch."""
    sqs = FakeSqs([["a"], [], ["b", "c"], ["d", "e", "f"]])
    batches: list[list[str]] = []

    def invoke(name: str, payload: bytes) -> LambdaResult:
        batches.append([r["body"] for r in json.loads(payload)["Records"]])
        return LambdaResult(200, b"{}", "r")

    esm = SqsEventSourceMapping(
        sqs=sqs,
        queue_url="q",
        queue_arn="arn:q",
        function_name="w",
        invoke=invoke,
        region="us-east-1",
        batch_size=4,
        batching_window_s=5,
        pollers=1,
    )
    assert esm.poll_once() == 4
    assert batches == [["a", "b", "c", "d"]]
    assert sqs.deleted == ["h-a", "h-b", "h-c", "h-d"]


def test_without_a_window_a_partial_batch_is_invoked_at_once() -> None:
    sqs = FakeSqs([["a", "b"], []])
    batches: list[int] = []
    esm = SqsEventSourceMapping(
        sqs=sqs,
        queue_url="q",
        queue_arn="arn:q",
        function_name="w",
        invoke=lambda n, p: batches.append(len(json.loads(p)["Records"])) or LambdaResult(200, b"{}", "r"),
        region="us-east-1",
        batch_size=5,
        batching_window_s=0,
        pollers=1,
    )
    assert esm.poll_once() == 2 and batches == [2]
