"""`etl dlq list` explains each dead letter (file, rows, execution, what it means) and `etl dlq redrive`
moves them back with SQS's message move task, which the twin answers itself (moto lacks it)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from workflow.cli import app
from workflow.config import REPO_ROOT
from workflow.twin import tracking
from workflow.twin.esm import SqsEventSourceMapping
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server


def etl(twin: Twin, *args: str) -> Any:
    result = CliRunner().invoke(
        app,
        [*args, "--json"],
        env={"AWS_ENDPOINT_URL": twin.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def restart_writer(twin: Twin) -> None:
    old = twin.esm
    assert old is not None
    twin.esm = SqsEventSourceMapping(
        sqs=old.sqs,
        queue_url=old.queue_url,
        queue_arn=old.queue_arn,
        function_name=old.function_name,
        invoke=old.invoke,
        region=old.region,
        batch_size=old.batch_size,
        poll_wait_s=old.poll_wait_s,
    ).start()


@pytest.fixture(scope="module")
def dead_lettered() -> Iterator[tuple[Twin, str]]:
    """A file whose one batch reached the DLQ the way SQS moves it (received maxReceiveCount times, never
    deleted) while its execution waits for it, next to two messages nothing waits for."""
    with Twin.ephemeral() as twin:
        assert twin.esm is not None and twin.resources is not None
        twin.esm.stop()  # the writer is down: the batch stays in the queue
        sqs = twin.client("sqs")
        resources = twin.resources
        key = twin.upload(REPO_ROOT / "sample_data" / "data.csv", "incoming/dlq.csv")
        arn = twin.execution_for_key(key)
        deadline = time.monotonic() + 30
        while depth(sqs, resources.dlq_url) == 0 and time.monotonic() < deadline:
            # moto, like SQS, moves a message to the DLQ on the receive after maxReceiveCount receives
            sqs.receive_message(QueueUrl=resources.queue_url, VisibilityTimeout=0, WaitTimeSeconds=0)
        body = {"taskToken": "t", "source": {"bucket": "b", "key": "incoming/old.csv", "execution": "gone"}}
        sqs.send_message(
            QueueUrl=resources.dlq_url, MessageBody=json.dumps({**body, "first_row": 2, "items": [{}]})
        )
        sqs.send_message(QueueUrl=resources.dlq_url, MessageBody="not json")
        yield twin, arn


def test_dlq_list_names_file_rows_execution_and_meaning_without_consuming(dead_lettered: Any) -> None:
    twin, arn = dead_lettered
    listed = etl(twin, "dlq", "list")
    assert listed["approximate_messages"] == 3
    by_file = {m["file"]: m for m in listed["messages"]}
    batch = by_file["s3://csv-etl-data/incoming/dlq.csv"]
    assert (batch["rows"], batch["first_row"], batch["last_row"]) == (20, 2, 21)
    assert batch["execution"] == arn.rsplit(":", 1)[1]
    assert batch["execution_status"] == "RUNNING"
    assert "still waits for this batch" in batch["meaning"] and "etl dlq redrive" in batch["meaning"]
    gone = by_file["s3://b/incoming/old.csv"]
    assert gone["execution_status"] == "NOT_FOUND" and "cannot be found" in gone["meaning"]
    junk = by_file[None]
    assert junk["body"] == "not json" and "not a batch of the pipeline" in junk["meaning"]
    assert depth(twin.client("sqs"), twin.resources.dlq_url) == 3  # listing consumed nothing


def test_dlq_delete_by_id_and_stale_keeps_what_an_execution_waits_for(dead_lettered: Any) -> None:
    twin, _ = dead_lettered
    sqs = twin.client("sqs")
    extra = sqs.send_message(QueueUrl=twin.resources.dlq_url, MessageBody="{}")["MessageId"]
    by_id = etl(twin, "dlq", "delete", extra)
    assert [m["message_id"] for m in by_id["deleted"]] == [extra] and by_id["kept"] == 3
    stale = etl(twin, "dlq", "delete", "--stale")
    assert sorted(str(m["file"]) for m in stale["deleted"]) == ["None", "s3://b/incoming/old.csv"]
    assert stale["kept"] == 1
    left = etl(twin, "dlq", "list")["messages"]
    assert [(m["file"], m["execution_status"]) for m in left] == [
        ("s3://csv-etl-data/incoming/dlq.csv", "RUNNING")
    ]


def test_dlq_delete_of_an_id_that_is_not_there_says_so(dead_lettered: Any) -> None:
    """A mistyped id used to end "0 deleted, 1 kept" with exit 0, as if the command had done its job."""
    twin, _ = dead_lettered
    result = CliRunner().invoke(
        app,
        ["dlq", "delete", "no-such-id"],
        env={"AWS_ENDPOINT_URL": twin.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: no message 'no-such-id' in the DLQ (`etl dlq list` shows the ids); nothing else deleted"
    )
    assert depth(twin.client("sqs"), twin.resources.dlq_url) == 1


def test_dlq_redrive_moves_them_back_and_the_waiting_file_completes(dead_lettered: Any) -> None:
    """SQS API reference, StartMessageMoveTask: without DestinationArn the messages go back to the source
    queue; ListMessageMoveTasks reports the task with its counts."""
    twin, arn = dead_lettered
    restart_writer(twin)
    task = etl(twin, "dlq", "redrive", "--wait")
    assert task["Status"] == "COMPLETED"
    assert (task["ApproximateNumberOfMessagesMoved"], task["ApproximateNumberOfMessagesToMove"]) == (1, 1)
    described = tracking.wait_for_execution(twin.client("stepfunctions"), arn, timeout_s=60)
    result = tracking.run_result(described, 0.0)
    assert (result["status"], result["rows_written"], result["rows_failed"]) == ("SUCCEEDED", 20, 0)


def test_the_twins_move_task_answers_like_sqs(dead_lettered: Any) -> None:
    twin, _ = dead_lettered
    sqs = twin.client("sqs")
    resources = twin.resources
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.list_message_move_tasks(SourceArn="arn:aws:sqs:us-east-1:000000000000:no-such-queue")
    with pytest.raises(sqs.exceptions.ClientError, match="Dead Letter Queue"):
        sqs.start_message_move_task(SourceArn=resources.queue_arn)  # not a DLQ of any queue
    tasks = sqs.list_message_move_tasks(SourceArn=resources.dlq_arn, MaxResults=10)["Results"]
    assert tasks and all("TaskHandle" not in t for t in tasks if t["Status"] != "RUNNING")
