"""Hand-built execution histories in GetExecutionHistory's shape, for the cost model's tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
SOURCE = {"bucket": "csv-etl-data", "key": "incoming/data.csv", "execution": "run-1"}
FN = "arn:aws:lambda:us-east-1:000000000000:function:"


class History:
    """Appends events with increasing ids; `at(ms)` sets the clock of the next events."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.now = T0

    def at(self, ms: int) -> History:
        self.now = T0 + timedelta(milliseconds=ms)
        return self

    def add(self, kind: str, details_key: str | None = None, **details: Any) -> History:
        event: dict[str, Any] = {
            "type": kind,
            "id": len(self.events) + 1,
            "previousEventId": len(self.events),
            "timestamp": self.now,
        }
        if details_key:
            event[details_key] = details
        self.events.append(event)
        return self

    def state(self, kind: str, name: str, data: Any = None) -> History:
        text = json.dumps(data if data is not None else {})
        self.add(f"{kind}StateEntered", "stateEnteredEventDetails", name=name, input=text)
        return self

    def exit(self, kind: str, name: str, data: Any = None) -> History:
        text = json.dumps(data if data is not None else {})
        return self.add(f"{kind}StateExited", "stateExitedEventDetails", name=name, output=text)

    def lambda_task(self, function: str, start_ms: int, spans_ms: list[int]) -> History:
        """One scheduled call per span; all but the last fail (a Retry schedules the task again)."""
        clock = start_ms
        for i, span in enumerate(spans_ms):
            params = json.dumps({"FunctionName": FN + function, "Payload": {}})
            self.at(clock).add(
                "TaskScheduled",
                "taskScheduledEventDetails",
                resourceType="lambda",
                resource="invoke",
                parameters=params,
            )
            self.add("TaskStarted", "taskStartedEventDetails", resourceType="lambda", resource="invoke")
            clock += span
            end = "TaskSucceeded" if i == len(spans_ms) - 1 else "TaskFailed"
            key = "taskSucceededEventDetails" if end == "TaskSucceeded" else "taskFailedEventDetails"
            self.at(clock).add(end, key, resourceType="lambda", resource="invoke", output="{}")
            clock += 10
        return self


def item(row: int, location: str = "location-03") -> dict[str, Any]:
    return {
        "date": "2019-05-28",
        "time": f"10:55:{row:02d}.5",
        "timestamp": "1559040909.5",
        "location": location,
        "source": "wireless",
        "local_dest": "router-1",
        "local_avg": "4.39",
        "remote_dest": "device-1",
        "remote_avg": "9.09",
        "source_row": row,
    }


def child(
    items: list[dict[str, Any]], transform_spans: list[int], wait_ms: int, duplicate: int = 0
) -> list[dict[str, Any]]:
    """A batch: Transform (retried when given more spans), then Enqueue and its wait, whose output is the
    batch's ledger line (the definition's 2-state child)."""
    rows = [{"index": i["source_row"] - 2, "row": {"timestamp": i["timestamp"]}} for i in items]
    h = History().add("ExecutionStarted", "executionStartedEventDetails", input=json.dumps({"Items": rows}))
    h.state("Task", "Transform").lambda_task("csv-etl-transform", 0, transform_spans).exit(
        "Task", "Transform"
    )
    h.state("Task", "Enqueue")
    body = {"taskToken": "t" * 100, "source": SOURCE, "first_row": items[0]["source_row"], "items": items}
    h.at(1_000).add(
        "TaskScheduled",
        "taskScheduledEventDetails",
        resourceType="sqs",
        resource="sendMessage.waitForTaskToken",
        parameters=json.dumps({"QueueUrl": "https://sqs/q", "MessageBody": body}),
    )
    h.add(
        "TaskStarted", "taskStartedEventDetails", resourceType="sqs", resource="sendMessage.waitForTaskToken"
    )
    h.add(
        "TaskSubmitted",
        "taskSubmittedEventDetails",
        resourceType="sqs",
        resource="sendMessage.waitForTaskToken",
    )
    h.at(1_000 + wait_ms).add(
        "TaskSucceeded",
        "taskSucceededEventDetails",
        resourceType="sqs",
        resource="sendMessage.waitForTaskToken",
    )
    done = {
        "rows": len(items),
        "written": len(items) - duplicate,
        "duplicate": duplicate,
        "already_written": 0,
        "rejects": [],
        "conflicts": [],
    }
    h.exit("Task", "Enqueue", done)
    h.add("ExecutionSucceeded", "executionSucceededEventDetails", output=json.dumps(done))
    return h.events


def parent(summary: dict[str, Any], summarize_ms: int) -> list[dict[str, Any]]:
    h = History().add("ExecutionStarted", "executionStartedEventDetails", input="{}")
    h.state("Pass", "Configure").exit("Pass", "Configure").state("Map", "ProcessRows")
    h.add("MapStateStarted").add("MapRunStarted").add("MapRunSucceeded").add("MapStateSucceeded")
    h.exit("Map", "ProcessRows").state("Task", "Summarize").lambda_task(
        "csv-etl-summarize", 5_000, [summarize_ms]
    )
    h.exit("Task", "Summarize", summary)
    h.add("ExecutionSucceeded", "executionSucceededEventDetails", output=json.dumps(summary))
    return h.events
