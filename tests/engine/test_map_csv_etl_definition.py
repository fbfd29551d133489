"""The project's own definition (workflow/definition/csv_etl.asl.json) end to end on the engine, with fake
transform/summarize functions and a fake writer answering the task token from SQS, as the architecture
contracts describe them."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from workflow.config import PipelineConfig, load_definition, local_substitutions
from workflow.engine.clock import RealClock
from workflow.engine.errors import ServiceError
from workflow.engine.service import StepFunctions

ACCOUNT = "123456789012"


def transform(event: dict[str, Any]) -> dict[str, Any]:
    """Contract of tasks/transform: rows in, converted items and rejects out (row number = index + 2)."""
    items, rejects = [], []
    for entry in event["Items"]:
        row_number = entry["index"] + 2
        if entry["row"]["value"] == "bad":
            rejects.append(
                {"row": row_number, "errors": [{"field": "value", "reason": "not a number", "value": "bad"}]}
            )
        else:
            items.append({"id": entry["row"]["id"], "value": entry["row"]["value"], "source_row": row_number})
    return {
        "source": event["BatchInput"],
        "first_row": event["Items"][0]["index"] + 2,
        "rows": len(event["Items"]),
        "valid": len(items),
        "items": items,
        "rejects": rejects,
    }


class Writer:
    """Plays the writer Lambda: receives batch messages and reports with SendTaskSuccess."""

    def __init__(self, sqs: Any, queue_url: str, sfn: Any) -> None:
        self.sqs, self.queue_url, self.sfn = sqs, queue_url, sfn
        self.written: list[dict[str, Any]] = []
        self.bodies: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            for message in messages:
                body = json.loads(message["Body"])
                self.bodies.append(body)
                self.written.extend(body["items"])
                self.report(body)
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            if not messages:
                self.stop.wait(0.01)

    def report(self, body: dict[str, Any]) -> None:
        try:
            self.sfn.send_task_success(
                taskToken=body["taskToken"],
                output=json.dumps(
                    {"written": len(body["items"]), "duplicate": 0, "duplicate_origins": {}, "conflicts": []}
                ),
            )
        except ServiceError as err:  # the batch's child was aborted (its Map Run failed): nothing to report
            assert err.code == "TaskTimedOut", err


def make_summarize(s3: Any) -> Any:
    def summarize(event: dict[str, Any]) -> dict[str, Any]:
        """Contract of tasks/summarize: reads the ResultWriter manifest and sums the batches' ledger lines."""
        summary = {"file": f"s3://{event['bucket']}/{event['key']}", "execution": event["execution"]}
        if "error" in event:
            return {**summary, "status": "FAILED", "error": event["error"]["Error"]}
        results = event["results"]
        manifest = json.loads(s3.get_object(Bucket=results["Bucket"], Key=results["Key"])["Body"].read())
        batches = []
        for part in manifest["ResultFiles"]["SUCCEEDED"]:
            batches += json.loads(s3.get_object(Bucket=results["Bucket"], Key=part["Key"])["Body"].read())
        ledgers = [json.loads(b["Output"]) for b in batches]
        return {
            **summary,
            "status": "SUCCEEDED",
            "batches_total": len(ledgers),
            "rows_total": sum(x["rows"] for x in ledgers),
            "rows_written": sum(x["written"] for x in ledgers),
            "rows_rejected": sum(len(x["rejects"]) for x in ledgers),
        }

    return summarize


@pytest.fixture
def sfn(sfn_backend: Any) -> StepFunctions:
    """Virtual time only 50x faster here: the Enqueue task's HeartbeatSeconds (600) must not expire while the
    fake writer, on a loaded machine, is still answering."""
    return StepFunctions(sfn_backend, clock=RealClock(speed=50), region=sfn_backend.region, account=ACCOUNT)


@pytest.fixture
def pipeline(sfn: Any, sfn_backend: Any) -> Any:
    config = PipelineConfig(max_items_per_batch=4)
    s3, sqs = sfn_backend.client("s3"), sfn_backend.client("sqs")
    s3.create_bucket(Bucket=config.data_bucket)
    sfn_backend.client("dynamodb").create_table(
        TableName=config.ledger_table_name,
        AttributeDefinitions=[
            {"AttributeName": "file", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "file", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue_url = sqs.create_queue(QueueName=config.queue_name)["QueueUrl"]
    definition = load_definition(local_substitutions(config, account=ACCOUNT, queue_url=queue_url))
    sfn_backend.functions[config.function("transform").name] = transform
    sfn_backend.functions[config.function("summarize").name] = make_summarize(s3)
    arn = sfn.create_state_machine(
        name=config.state_machine_name,
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/csv-etl",
    )["stateMachineArn"]
    writer = Writer(sqs, queue_url, sfn)
    writer.thread.start()
    yield config, arn, s3, writer
    writer.stop.set()
    writer.thread.join(5)


def s3_event(bucket: str, key: str, etag: str = "etag-1") -> dict[str, Any]:
    """The EventBridge 'Object Created' event that starts the state machine."""
    return {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": "2026-12-01T09:00:00Z",
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1, "etag": etag}},
    }


def test_csv_etl_definition_runs_end_to_end(sfn: Any, pipeline: Any) -> None:
    config, arn, s3, writer = pipeline
    rows = "id,value\n" + "".join(f"{i},{'bad' if i == 5 else i * 10}\n" for i in range(10))
    s3.put_object(Bucket=config.data_bucket, Key="incoming/data.csv", Body=rows.encode())
    execution = sfn.start_execution(
        stateMachineArn=arn,
        name="file-1",
        input=json.dumps(s3_event(config.data_bucket, "incoming/data.csv")),
    )
    described = sfn.wait_for_execution(execution["executionArn"], 30)
    assert described["status"] == "SUCCEEDED", described
    summary = json.loads(described["output"])
    assert summary == {
        "file": "s3://csv-etl-data/incoming/data.csv",
        "execution": "file-1",
        "status": "SUCCEEDED",
        "batches_total": 3,
        "rows_total": 10,
        "rows_written": 9,
        "rows_rejected": 1,
    }
    assert sorted(int(item["id"]) for item in writer.written) == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert {item["source_row"] for item in writer.written} == {2, 3, 4, 5, 6, 8, 9, 10, 11}
    # each message carries the whole batch for the writer's ledger record: rows, rejects, the object's ETag
    assert {body["etag"] for body in writer.bodies} == {"etag-1"}
    assert sum(body["rows"] for body in writer.bodies) == 10
    assert [r["row"] for body in writer.bodies for r in body["rejects"]] == [7]
    map_run = sfn.list_map_runs(executionArn=execution["executionArn"])["mapRuns"][0]
    assert ":mapRun:csv-etl/Rows:" in map_run["mapRunArn"]
    manifest_key = f"{config.results_prefix}file-1/{map_run['mapRunArn'].rsplit(':', 1)[1]}/manifest.json"
    assert s3.get_object(Bucket=config.data_bucket, Key=manifest_key)["ContentLength"] > 0


def test_csv_etl_definition_failed_batch_fails_file_then_redrive_completes_it(
    sfn: Any, sfn_backend: Any, pipeline: Any
) -> None:
    """A batch failing past the tolerated threshold fails the execution at the Map (no Catch); after the fix a
    redrive reruns only the failed/unfinished batches and the file completes."""
    config, arn, s3, writer = pipeline
    broken = {"on": True}

    def broken_transform(event: dict[str, Any]) -> Any:
        if broken["on"] and event["Items"][0]["index"] == 4:
            raise ValueError("cannot read batch")
        return transform(event)

    sfn_backend.functions[config.function("transform").name] = broken_transform
    rows = "id,value\n" + "".join(f"{i},{i}\n" for i in range(10))
    s3.put_object(Bucket=config.data_bucket, Key="incoming/f.csv", Body=rows.encode())
    execution = sfn.start_execution(
        stateMachineArn=arn,
        name="file-2",
        input=json.dumps(s3_event(config.data_bucket, "incoming/f.csv", etag="etag-2")),
    )["executionArn"]
    described = sfn.wait_for_execution(execution, 30)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.ExceedToleratedFailureThreshold"
    assert described["redriveStatus"] == "REDRIVABLE"
    broken["on"] = False
    sfn.redrive_execution(executionArn=execution)
    done = sfn.wait_for_execution(execution, 30)
    assert done["status"] == "SUCCEEDED", done
    summary = json.loads(done["output"])
    assert summary["rows_total"] == 10 and summary["rows_written"] == 10 and summary["batches_total"] == 3
    # nothing lost; batches aborted when the Map Run failed are sent again on redrive (the real writer is
    # idempotent and reports those rows as already_written)
    assert {int(item["id"]) for item in writer.written} == set(range(10))
    map_run = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
    assert sfn.describe_map_run(mapRunArn=map_run)["redriveCount"] == 1


def test_a_second_event_for_the_same_object_version_is_a_no_op_and_a_replay_runs(
    sfn: Any, sfn_backend: Any, pipeline: Any
) -> None:
    """Idempotency: the ledger's conditional update in RegisterObject lets one run per (bucket, key, ETag);
    a duplicate event ends succeeded, saying so, without reading the file; `replay: true` runs again."""
    config, arn, s3, writer = pipeline
    s3.put_object(Bucket=config.data_bucket, Key="incoming/d.csv", Body=b"id,value\n1,10\n2,20\n")
    event = s3_event(config.data_bucket, "incoming/d.csv", etag="etag-d")
    first = sfn.start_execution(stateMachineArn=arn, name="d-1", input=json.dumps(event))["executionArn"]
    assert sfn.wait_for_execution(first, 30)["status"] == "SUCCEEDED"
    again = sfn.start_execution(stateMachineArn=arn, name="d-2", input=json.dumps(event))["executionArn"]
    described = sfn.wait_for_execution(again, 30)
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["duplicate_event"] is True and output["message"].startswith("duplicate event:")
    assert sfn.list_map_runs(executionArn=again)["mapRuns"] == []
    assert len(writer.written) == 2
    replay = sfn.start_execution(
        stateMachineArn=arn, name="d-3", input=json.dumps({**event, "replay": True})
    )["executionArn"]
    assert sfn.wait_for_execution(replay, 30)["status"] == "SUCCEEDED"
    assert len(writer.written) == 4  # the replay ran (the real writer counts those rows as duplicates)
    item = sfn_backend.client("dynamodb").get_item(
        TableName=config.ledger_table_name,
        Key={"file": {"S": "s3://csv-etl-data/incoming/d.csv"}, "sk": {"S": "OBJECT#etag-d"}},
    )["Item"]
    kinds = [entry["M"]["kind"]["S"] for entry in item["executions"]["L"]]
    assert kinds == ["first", "replay"]
    assert item["status"]["S"] == "RUNNING"  # the fake Summarize does not finalise; the real one does
