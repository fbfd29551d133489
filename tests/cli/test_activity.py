"""The twin's activity records: the bus, the hooks that publish them (Lambda runtime, REST gateway), the
watcher for what has no hook (executions ending, DLQ arrivals) and the lines the printer makes of them."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from werkzeug.test import Client

from workflow.cli.printer import ActivityPrinter, format_line
from workflow.config import PipelineConfig
from workflow.twin import activity
from workflow.twin.gateway import RestGateway
from workflow.twin.lambdas import LambdaRuntime

ARN = "arn:aws:states:us-east-1:000000000000:execution:csv-etl:"
MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:csv-etl"


@pytest.fixture
def published() -> Iterator[list[activity.Activity]]:
    records: list[activity.Activity] = []
    unsubscribe = activity.subscribe(records.append)
    yield records
    unsubscribe()


def test_the_bus_delivers_to_every_subscriber_and_survives_a_failing_one() -> None:
    bus = activity.ActivityBus()
    got: list[Any] = []

    def broken(record: Any) -> None:
        raise RuntimeError("a broken printer")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(got.append)
    record = activity.ApiRequest("GET", "/message", 200, 3.0)
    bus.publish(record)
    unsubscribe()
    bus.publish(record)
    assert got == [record]


def test_execution_of_reads_the_pipelines_three_event_shapes() -> None:
    """csv_etl.asl.json: BatchInput.execution (Transform), execution (Summarize), SQS body source (writer)."""
    assert activity.execution_of({"Items": [], "BatchInput": {"execution": "e1"}}) == "e1"
    assert activity.execution_of({"execution": "e2", "bucket": "b"}) == "e2"
    body = json.dumps({"taskToken": "t", "source": {"execution": "e3"}, "items": []})
    assert activity.execution_of({"Records": [{"body": body}]}) == "e3"
    assert activity.execution_of({"Records": [{"body": "not json"}]}) is None
    assert activity.execution_of(["not", "a", "dict"]) is None


def test_the_lambda_runtime_publishes_each_invocation_with_its_error_and_execution(
    published: list[activity.Activity],
) -> None:
    runtime = LambdaRuntime(PipelineConfig(), {})

    def failing(event: Any, context: Any) -> Any:
        print("about to fail")
        raise ValueError("row 3: bad timestamp")

    runtime.overrides["transform"] = failing
    _, record = runtime.invoke_event("transform", {"Items": [], "BatchInput": {"execution": "e9"}})
    (invoked,) = [r for r in published if isinstance(r, activity.LambdaInvoked)]
    assert invoked.function == "csv-etl-transform" and invoked.request_id == record.request_id
    assert (invoked.error_type, invoked.error_message) == ("ValueError", "row 3: bad timestamp")
    assert invoked.execution == "e9" and record.execution == "e9"
    assert "about to fail" in invoked.logs and invoked.duration_ms == record.duration_ms


def test_the_gateway_publishes_each_response(published: list[activity.Activity]) -> None:
    def invoke(key: str, event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "body": "[]"}

    client = Client(RestGateway(invoke, api_key="k"))
    client.get("/message?limit=1", headers={"x-api-key": "k"})
    client.get("/message")
    requests = [r for r in published if isinstance(r, activity.ApiRequest)]
    assert [(r.method, r.path, r.status) for r in requests] == [
        ("GET", "/message", 200),
        ("GET", "/message", 403),
    ]
    assert requests[0].function is not None and requests[0].latency_ms >= 0


class FakeService:
    """The engine's list/describe, as the watcher reads them."""

    def __init__(self) -> None:
        self.executions: dict[str, dict[str, Any]] = {}

    def add(self, name: str, status: str = "RUNNING", **described: Any) -> None:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        self.executions[name] = {
            "executionArn": ARN + name,
            "name": name,
            "status": status,
            "redriveCount": 0,
            "startDate": start,
            "input": json.dumps({"detail": {"object": {"key": f"incoming/{name}.csv"}}}),
            **described,
        }

    def finish(self, name: str, status: str, output: dict[str, Any] | None = None, **fields: Any) -> None:
        item = self.executions[name]
        item.update(status=status, stopDate=item["startDate"] + timedelta(seconds=2.5), **fields)
        if output is not None:
            item["output"] = json.dumps(output)

    def list_executions(self, stateMachineArn: str) -> dict[str, Any]:
        return {"executions": list(reversed(self.executions.values()))}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return self.executions[executionArn.rsplit(":", 1)[1]]


class FakeSqs:
    def __init__(self) -> None:
        self.depth = 0

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": str(self.depth),
                "ApproximateNumberOfMessagesNotVisible": "0",
            }
        }


def watcher_for(service: FakeService, sqs: FakeSqs | None = None) -> tuple[activity.TwinWatcher, list[Any]]:
    got: list[Any] = []
    watcher = activity.TwinWatcher(
        service, MACHINE, sqs=sqs, dlq_url="http://x/000000000000/csv-etl-batches-dlq", publish=got.append
    )
    return watcher, got


def test_the_watcher_publishes_an_execution_ending_with_its_counts_and_duration() -> None:
    service = FakeService()
    watcher, got = watcher_for(service)
    service.add("a")
    watcher._note(activity.ExecutionStarted(ARN + "a", key="incoming/a.csv"))  # the upload announced it
    watcher.check()
    assert got == []
    service.finish("a", "SUCCEEDED", {"rows_written": 19, "rows_rejected": 1, "rows_failed": 0})
    watcher.check()
    (ended,) = got
    assert isinstance(ended, activity.ExecutionEnded)
    assert (ended.status, ended.key, ended.duration_s) == ("SUCCEEDED", "incoming/a.csv", 2.5)
    assert (ended.rows_written, ended.rows_rejected, ended.rows_failed) == (19, 1, 0)
    watcher.check()
    assert len(got) == 1, "an unchanged execution is not published again"


def test_the_watcher_announces_what_no_upload_started_and_redrives() -> None:
    service = FakeService()
    watcher, got = watcher_for(service)
    service.add("replayed")
    watcher.check()
    assert got == [], "one more look first: an upload announces its own execution"
    watcher.check()
    assert isinstance(got[0], activity.ExecutionStarted) and not got[0].redrive
    assert (got[0].key, got[0].upload) == ("incoming/replayed.csv", False)
    service.finish("replayed", "FAILED", error="States.ExceedToleratedFailureThreshold")
    watcher.check()
    assert (
        isinstance(got[1], activity.ExecutionEnded)
        and got[1].error == "States.ExceedToleratedFailureThreshold"
    )
    assert got[1].rows_written is None, "no summary, no counts"
    service.executions["replayed"].update(status="RUNNING", redriveCount=1)
    watcher.check()
    watcher.check()
    assert isinstance(got[2], activity.ExecutionStarted) and got[2].redrive


def test_an_execution_started_with_another_input_does_not_stop_the_watcher() -> None:
    """`aws stepfunctions start-execution --input '{}'` (no S3 event): shown without a file, and the
    executions after it are still shown ending (a KeyError in key_of used to end every later look)."""
    service = FakeService()
    watcher, got = watcher_for(service)
    service.add("manual", input="{}")
    service.finish("manual", "FAILED", error="States.Runtime")
    watcher.check()
    assert [type(r) for r in got] == [activity.ExecutionStarted, activity.ExecutionEnded]
    assert (got[0].key, got[1].key, got[1].error) == (None, None, "States.Runtime")
    service.add("later")
    watcher._note(activity.ExecutionStarted(ARN + "later", key="incoming/later.csv"))
    service.finish("later", "SUCCEEDED", {"rows_written": 1, "rows_rejected": 0, "rows_failed": 0})
    watcher.check()
    assert isinstance(got[-1], activity.ExecutionEnded) and got[-1].name == "later"
    assert activity.key_of({"input": '{"detail": {}}'}) is None
    assert activity.key_of({"input": "[1]"}) is None


def test_a_redrive_that_ends_between_two_looks_is_still_announced() -> None:
    """RedriveExecution of a file whose batches fail at once: FAILED (redriveCount 0) -> FAILED (1) within
    one interval; the terminal still shows that it was redriven, then its end."""
    service = FakeService()
    watcher, got = watcher_for(service)
    service.add("r")
    watcher._note(activity.ExecutionStarted(ARN + "r", key="incoming/r.csv"))
    service.finish("r", "FAILED", error="States.ExceedToleratedFailureThreshold")
    watcher.check()
    assert [type(r) for r in got] == [activity.ExecutionEnded]
    service.executions["r"].update(redriveCount=1)  # redriven and failed again before the next look
    watcher.check()
    assert [type(r) for r in got[1:]] == [activity.ExecutionStarted, activity.ExecutionEnded]
    assert got[1].redrive and got[1].key == "incoming/r.csv"


def test_a_failed_files_counts_come_from_its_cause() -> None:
    """The architecture's FileFailed: the Fail state's Cause is the Summarize output (JSON)."""
    service = FakeService()
    watcher, got = watcher_for(service)
    service.add("f")
    watcher._note(activity.ExecutionStarted(ARN + "f", key="incoming/f.csv"))
    watcher.check()
    summary = {"rows_written": 500, "rows_rejected": 0, "rows_failed": 1000}
    service.finish("f", "FAILED", error="FileFailed", cause=json.dumps(summary))
    watcher.check()
    (ended,) = got
    assert (ended.error, ended.rows_written, ended.rows_failed) == ("FileFailed", 500, 1000)


def test_an_execution_whose_input_is_not_an_upload_event_is_still_announced_and_ended() -> None:
    """StartExecution accepts any JSON input (`aws stepfunctions start-execution --input '{}'`): such a run
    has no file key, and it must not stop the watcher from reporting it or the executions after it."""
    service = FakeService()
    watcher, got = watcher_for(service)
    service.add("manual", input="{}")
    service.add("other", input=json.dumps({"detail": {"object": {"key": 7}}}))
    watcher.check()
    watcher.check()
    service.finish("manual", "SUCCEEDED")
    service.finish("other", "SUCCEEDED")
    watcher.check()
    started = [r for r in got if isinstance(r, activity.ExecutionStarted)]
    ended = [r for r in got if isinstance(r, activity.ExecutionEnded)]
    assert sorted(r.name for r in started) == ["manual", "other"]
    assert sorted((r.name, r.key) for r in ended) == [("manual", None), ("other", None)]


def test_the_watcher_publishes_dlq_arrivals() -> None:
    sqs = FakeSqs()
    watcher, got = watcher_for(FakeService(), sqs)
    watcher.check()
    sqs.depth = 2
    watcher.check()
    watcher.check()
    assert got == [activity.DlqArrival("csv-etl-batches-dlq", 2, 2, at=got[0].at)]
    sqs.depth = 3
    watcher.check()
    assert (got[1].arrived, got[1].depth) == (1, 3)


AT = datetime(2026, 1, 1, 10, 21, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "line"),
    [
        (
            activity.ExecutionStarted(ARN + "e1", key="incoming/data.csv", upload=True, at=AT),
            "upload     incoming/data.csv -> execution e1",
        ),
        (activity.ExecutionStarted(ARN + "e1", redrive=True, at=AT), "execution  redriven e1"),
        (
            activity.ExecutionStarted(ARN + "e1", key="incoming/data.csv", at=AT),
            "execution  started e1  incoming/data.csv",
        ),
        (
            activity.ExecutionEnded(ARN + "e1", "SUCCEEDED", "incoming/data.csv", 2.14, 20, 0, 0, at=AT),
            "execution  SUCCEEDED incoming/data.csv  20 written, 0 rejected, 0 failed  2.1 s  e1",
        ),
        (
            activity.ExecutionEnded(
                ARN + "e1", "FAILED", "incoming/x.csv", 3.0, error="States.Timeout", at=AT
            ),
            "execution  FAILED incoming/x.csv  States.Timeout  3.0 s  e1",
        ),
        (
            activity.LambdaInvoked("csv-etl-transform", "r", 12.34, at=AT),
            "lambda     csv-etl-transform 12 ms",
        ),
        (
            activity.LambdaInvoked("csv-etl-writer", "r", 3.21, "KeyError", "'items'\nmore", at=AT),
            "lambda     csv-etl-writer 3.2 ms  KeyError: 'items'",
        ),
        (activity.ApiRequest("GET", "/message", 200, 4.12, at=AT), "api        GET /message -> 200  4.1 ms"),
        (
            activity.DlqArrival("csv-etl-batches-dlq", 1, 2, at=AT),
            "dlq        1 message arrived in csv-etl-batches-dlq (2 there)  `etl dlq` shows them",
        ),
    ],
)
def test_each_record_is_one_concise_line(record: activity.Activity, line: str) -> None:
    console = Console(file=io.StringIO(), width=250)
    ActivityPrinter(console).show(record)
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert printed.count("\n") == 1
    stamp, text = printed.rstrip("\n").split(" ", 1)
    assert stamp == AT.astimezone().strftime("%H:%M:%S")
    assert text == line
    assert format_line(record)  # markup form exists for every type


def test_health_polls_are_not_printed() -> None:
    console = Console(file=io.StringIO(), width=250)
    ActivityPrinter(console).show(activity.ApiRequest("GET", "/health", 200, 0.1, at=AT))
    assert console.file.getvalue() == ""  # type: ignore[attr-defined]


def test_verbose_adds_the_lambdas_log_lines() -> None:
    console = Console(file=io.StringIO(), width=250)
    record = activity.LambdaInvoked(
        "csv-etl-transform", "r", 1.0, logs=("START RequestId: r", "[x] y"), at=AT
    )
    ActivityPrinter(console, verbose=True).show(record)
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert [line.strip() for line in lines[1:]] == ["| START RequestId: r", "| [x] y"]


def test_a_batch_the_writer_keeps_failing_arrives_in_the_dlq_and_is_published(tmp_path: Any) -> None:
    """SQS redrive policy: after maxReceiveCount receives a message moves to the DLQ (on the next receive).
    The watcher sees the DLQ's ApproximateNumberOfMessages grow and publishes the arrival."""
    from workflow.config import REPO_ROOT
    from workflow.twin.twin import Twin

    config = PipelineConfig().model_copy(update={"queue_visibility_timeout_s": 1, "max_receive_count": 1})
    got: list[Any] = []
    with Twin.ephemeral(config) as twin:

        def broken_writer(event: Any, context: Any) -> Any:
            raise RuntimeError("DynamoDB is down")

        twin.runtime.overrides["writer"] = broken_writer  # type: ignore[union-attr]
        watcher = activity.TwinWatcher(
            twin.service,
            twin.resources.state_machine_arn,  # type: ignore[union-attr]
            sqs=twin.client("sqs"),
            dlq_url=twin.resources.dlq_url,  # type: ignore[union-attr]
            interval_s=0.2,
            publish=got.append,
        ).start()
        try:
            twin.upload(REPO_ROOT / "sample_data" / "data.csv")
            for _ in range(150):
                if any(isinstance(r, activity.DlqArrival) for r in got):
                    break
                threading.Event().wait(0.1)
        finally:
            watcher.stop()
    (arrival,) = [r for r in got if isinstance(r, activity.DlqArrival)]
    assert (arrival.queue, arrival.arrived, arrival.depth) == (config.dlq_name, 1, 1)
