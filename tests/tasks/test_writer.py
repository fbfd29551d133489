"""Writer: conditional DynamoDB writes via moto, duplicates, conflicts, redelivery, retries, batch records,
task-token reports."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import batch_store
import boto3
import pytest
import writer_handler
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from workflow.twin import moto_seams

TABLE = "test-messages"
LEDGER = "test-ledger"
SOURCE = {"bucket": "csv-etl-data", "key": "incoming/data.csv", "execution": "exec-1"}
SOURCE_FILE = "s3://csv-etl-data/incoming/data.csv"


def make_item(row: int, second: int | None = None, local_avg: str = "4.39") -> dict[str, Any]:
    second = row if second is None else second
    return {
        "date": "2019-05-28",
        "time": f"10:{second // 60:02d}:{second % 60:02d}.5",
        "timestamp": f"{1559001600 + 36000 + second}.5",
        "location": "location-03",
        "source": "wireless",
        "local_dest": "router-1",
        "local_avg": local_avg,
        "remote_dest": "device-1",
        "remote_avg": "9.09",
        "source_row": row,
    }


def body(
    items: list[dict[str, Any]],
    token: str = "token-1",
    source: dict[str, str] = SOURCE,
    **extra: Any,
) -> str:
    first_row = items[0]["source_row"] if items else 2
    return json.dumps({"taskToken": token, "source": source, "first_row": first_row, "items": items, **extra})


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": text,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:csv-etl-batches",
                "awsRegion": "us-east-1",
            }
            for i, text in enumerate(bodies)
        ]
    }


class FakeStepFunctions:
    """Records SendTaskSuccess/SendTaskFailure; can be told to fail like the real API or the network."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.heartbeats: list[str] = []
        self.fail_with: Exception | None = None

    def _record(self, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append((name, kwargs))
        return {}

    def send_task_success(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("success", kwargs)

    def send_task_failure(self, **kwargs: Any) -> dict[str, Any]:
        return self._record("failure", kwargs)

    def send_task_heartbeat(self, **kwargs: Any) -> dict[str, Any]:
        if self.fail_with is not None:
            raise self.fail_with
        self.heartbeats.append(kwargs["taskToken"])
        return {}

    def outputs(self) -> list[dict[str, Any]]:
        return [json.loads(kw["output"]) for name, kw in self.calls if name == "success"]


class FlakyDynamoDB:
    """Wraps a real (moto) client; its first `failures` BatchExecuteStatement calls raise `error`, as
    DynamoDB does when throttled or unreachable."""

    def __init__(self, client: Any, failures: int, error: Exception | None = None) -> None:
        self.client = client
        self.failures = failures
        self.error = error or ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
            "BatchExecuteStatement",
        )
        self.put_calls = 0
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_execute_statement(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.put_calls += 1
            fail = self.put_calls <= self.failures
        if fail:
            raise self.error
        return self.client.batch_execute_statement(**kwargs)


def _create(client: Any, name: str, hash_key: str, range_key: str) -> None:
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": hash_key, "AttributeType": "S"},
            {"AttributeName": range_key, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
    )


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    moto_seams.make_dynamodb_writes_atomic()  # DynamoDB's conditional writes are atomic; moto's are made so
    moto_seams.answer_partiql_inserts()  # INSERT refuses a stored key, as DynamoDB's does; moto's overwrites
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        _create(client, TABLE, "date", "time")
        _create(client, LEDGER, "file", "sk")
        yield client


@pytest.fixture
def sfn() -> FakeStepFunctions:
    return FakeStepFunctions()


@pytest.fixture
def wired(dynamodb: Any, sfn: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch) -> FakeStepFunctions:
    """The handler as deployed, with its client factories pointed at moto and the fake Step Functions."""
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("LEDGER_TABLE", LEDGER)
    monkeypatch.setattr(writer_handler, "dynamodb_client", lambda: dynamodb)
    monkeypatch.setattr(writer_handler, "stepfunctions_client", lambda: sfn)
    return sfn


def store(client: Any, **kwargs: Any) -> batch_store.BatchStore:
    return batch_store.BatchStore(client, TABLE, sleep=lambda _s: None, **kwargs)


def stored(client: Any) -> dict[int, dict[str, Any]]:
    rows = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE).scan()["Items"]
    return {int(item["source_row"]): item for item in rows}


def batch_records() -> list[dict[str, Any]]:
    return boto3.resource("dynamodb", region_name="us-east-1").Table(LEDGER).scan()["Items"]


def test_handler_writes_items_with_exact_numbers_and_origin_then_reports_success(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    items = [make_item(row) for row in range(2, 62)]
    response = writer_handler.handler(sqs_event(body(items, etag="abc123")), None)
    assert response == {"batchItemFailures": []}
    assert wired.calls == [
        (
            "success",
            {
                "taskToken": "token-1",
                "output": json.dumps(
                    {"written": 60, "duplicate": 0, "duplicate_origins": {}, "conflicts": []}
                ),
            },
        )
    ]
    table = stored(dynamodb)
    assert len(table) == 60
    first = table[2]
    assert first["local_avg"] == Decimal("4.39") and first["timestamp"] == Decimal("1559037602.5")
    assert (first["source_file"], first["execution"], first["date"], first["time"], first["source_etag"]) == (
        SOURCE_FILE,
        "exec-1",
        "2019-05-28",
        "10:00:02.5",
        "abc123",
    )


def recorded_calls(client: Any) -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    """A client that passes every call to `client` and records (operation, arguments)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    class Recording:
        def __getattr__(self, name: str) -> Any:
            def call(**kwargs: Any) -> Any:
                calls.append((name, kwargs))
                return getattr(client, name)(**kwargs)

            return call

    return calls, Recording()


def test_items_go_in_as_parameterised_inserts_25_a_call_and_nothing_is_read_first(dynamodb: Any) -> None:
    """No read-then-write window and no overwrite: each item is a PartiQL INSERT (DynamoDB refuses one whose
    key is stored: "PartiQL insert statements for DynamoDB"), 25 to a BatchExecuteStatement (its limit),
    values as parameters; with every key new, nothing is read."""
    calls, recording = recorded_calls(dynamodb)
    outcome = store(recording).store(
        [batch_store.table_item(make_item(r), SOURCE_FILE, "e") for r in range(2, 62)]
    )
    assert outcome.written == 60 and len(stored(dynamodb)) == 60
    assert sorted(len(kw["Statements"]) for _, kw in calls) == [10, 25, 25]
    assert {name for name, _ in calls} == {"batch_execute_statement"}
    statements = [statement for _, kw in calls for statement in kw["Statements"]]
    assert all(s["Statement"].startswith(f"INSERT INTO \"{TABLE}\" VALUE {{'date': ?") for s in statements)
    assert all("2019-05-28" not in s["Statement"] for s in statements)  # values only as parameters


def test_insert_parameters_are_what_boto3s_type_serializer_makes_of_each_value() -> None:
    """The writer spells text values as {"S": ...} itself (the most common value, without the serializer's
    type dispatch); every parameter must still be exactly what TypeSerializer makes of the value."""
    from boto3.dynamodb.types import TypeSerializer

    item = batch_store.table_item(make_item(7), SOURCE_FILE, "exec-1", etag="abc")
    item["empty"] = ""
    statement = batch_store.insert_statement(TABLE, item)
    assert statement["Parameters"] == [TypeSerializer().serialize(value) for value in item.values()]
    assert {"N": "4.39"} in statement["Parameters"] and {"N": "7"} in statement["Parameters"]


def test_the_writers_client_leaves_validation_to_dynamodb(dynamodb: Any) -> None:
    """botocore's Config: "You can disable parameter validation for performance reasons"; the writer does
    for its DynamoDB client (its requests are built from typed items). A malformed request (no statement:
    BatchExecuteStatement takes 1 to 25) is then sent instead of refused before sending; DynamoDB refuses
    it with ValidationException (API reference), which the writer reports as Writer.WriteFailed. moto
    does not check the count, so the request's reaching it is what this shows."""
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):  # a default client refuses it before sending
        boto3.client("dynamodb").batch_execute_statement(Statements=[])
    writer_handler.dynamodb_client.cache_clear()
    try:
        assert writer_handler.dynamodb_client().batch_execute_statement(Statements=[])["Responses"] == []
    finally:
        writer_handler.dynamodb_client.cache_clear()


def test_a_taken_key_is_read_once_consistently_and_only_that_key(dynamodb: Any) -> None:
    """Only the rows DynamoDB answered DuplicateItem are read back, with a consistent BatchGetItem."""
    store(dynamodb).store([batch_store.table_item(make_item(3), "s3://b/other.csv", "e0")])
    calls, recording = recorded_calls(dynamodb)
    outcome = store(recording).store(
        [batch_store.table_item(make_item(r), SOURCE_FILE, "e") for r in (2, 3, 4)]
    )
    assert (outcome.written, outcome.duplicate) == (2, 1)
    [(name, kwargs)] = [call for call in calls if call[0] != "batch_execute_statement"]
    assert name == "batch_get_item"
    [(table, request)] = kwargs["RequestItems"].items()
    assert table == TABLE and request["ConsistentRead"] is True and len(request["Keys"]) == 1


def test_redelivered_message_counts_as_written_and_does_not_rewrite(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    """SQS delivers at least once: the same body twice stores each row once and reports written both times."""
    text = body([make_item(row) for row in range(2, 7)])
    writer_handler.handler(sqs_event(text), None)
    writer_handler.handler(sqs_event(text), None)
    assert [out["written"] for out in wired.outputs()] == [5, 5]
    assert [out["duplicate"] for out in wired.outputs()] == [0, 0]
    assert len(stored(dynamodb)) == 5


def test_identical_row_from_another_file_is_a_duplicate_named_with_its_origin(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    other = {"bucket": "csv-etl-data", "key": "incoming/other.csv", "execution": "exec-0"}
    writer_handler.handler(sqs_event(body([make_item(9, second=3)], token="t0", source=other)), None)
    row3 = {**make_item(3), "source_row": 3}
    writer_handler.handler(sqs_event(body([make_item(2), row3, make_item(4)])), None)
    output = wired.outputs()[-1]
    assert (output["written"], output["duplicate"], output["conflicts"]) == (2, 1, [])
    assert output["duplicate_origins"] == {"s3://csv-etl-data/incoming/other.csv (execution exec-0)": 1}
    table = stored(dynamodb)
    assert table[9]["source_file"] == "s3://csv-etl-data/incoming/other.csv"  # untouched
    assert sorted(table) == [2, 4, 9]


def test_replay_of_the_same_file_writes_nothing_and_counts_every_row_duplicate(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    items = [make_item(row) for row in range(2, 7)]
    writer_handler.handler(sqs_event(body(items)), None)
    writer_handler.handler(sqs_event(body(items, source={**SOURCE, "execution": "exec-2"})), None)
    output = wired.outputs()[-1]
    assert (output["written"], output["duplicate"]) == (0, 5)
    assert {item["execution"] for item in stored(dynamodb).values()} == {"exec-1"}


def test_key_stored_with_other_values_is_a_conflict_naming_both_origins(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    other = {"bucket": "csv-etl-data", "key": "incoming/other.csv", "execution": "exec-0"}
    writer_handler.handler(
        sqs_event(body([make_item(9, second=3, local_avg="7")], token="t0", source=other)), None
    )
    writer_handler.handler(sqs_event(body([make_item(2), make_item(3), make_item(4)])), None)
    output = wired.outputs()[-1]
    assert (output["written"], output["duplicate"]) == (2, 0)
    assert output["conflicts"] == [
        {
            "row": 3,
            "errors": [
                {
                    "field": "timestamp",
                    "reason": "date and time already stored with different values from "
                    "s3://csv-etl-data/incoming/other.csv row 9 (execution exec-0)",
                    "value": "1559037603.5",
                }
            ],
            "stored": {"file": "s3://csv-etl-data/incoming/other.csv", "row": 9, "execution": "exec-0"},
        }
    ]
    assert stored(dynamodb)[9]["local_avg"] == Decimal("7")


def test_same_row_with_changed_values_is_a_conflict(dynamodb: Any, wired: FakeStepFunctions) -> None:
    """A re-uploaded file whose row changed must not silently replace the stored reading."""
    writer_handler.handler(sqs_event(body([make_item(2)])), None)
    changed = {**SOURCE, "execution": "exec-2"}
    writer_handler.handler(sqs_event(body([make_item(2, local_avg="5")], source=changed)), None)
    [conflict] = wired.outputs()[-1]["conflicts"]
    assert conflict["row"] == 2 and "(execution exec-1)" in conflict["errors"][0]["reason"]
    assert stored(dynamodb)[2]["local_avg"] == Decimal("4.39")


def test_concurrent_writers_of_the_same_keys_never_overwrite_each_other(dynamodb: Any) -> None:
    """The silent-overwrite bug: two files with shared timestamps written at once. Each key ends stored once,
    by one of them, and the other file's row is a conflict naming it."""
    rows = range(2, 202)
    a = [batch_store.table_item(make_item(r, local_avg="1"), "s3://b/a.csv", "ea") for r in rows]
    b = [batch_store.table_item(make_item(r, local_avg="2"), "s3://b/b.csv", "eb") for r in rows]
    with ThreadPoolExecutor(2) as pool:
        out_a, out_b = pool.map(lambda items: store(dynamodb, workers=8).store(items), (a, b))
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE).scan()["Items"]
    assert len(table) == 200
    by_file = {"s3://b/a.csv": 0, "s3://b/b.csv": 0}
    for item in table:
        by_file[item["source_file"]] += 1
        assert item["local_avg"] == (Decimal("1") if item["source_file"] == "s3://b/a.csv" else Decimal("2"))
    assert (out_a.written, out_b.written) == (by_file["s3://b/a.csv"], by_file["s3://b/b.csv"])
    assert out_a.written + len(out_a.conflicts) == 200 and out_b.written + len(out_b.conflicts) == 200


def test_duplicate_keys_inside_one_message_are_one_write_and_one_conflict(dynamodb: Any) -> None:
    items = [
        batch_store.table_item(make_item(2), SOURCE_FILE, "e"),
        batch_store.table_item(make_item(3, second=2), SOURCE_FILE, "e"),
    ]
    outcome = store(dynamodb).store(items)
    assert (outcome.written, len(outcome.conflicts)) == (1, 1)
    assert outcome.conflicts[0]["errors"][0]["reason"] == "same date and time as row 2 in this batch"


def test_throttled_puts_are_retried_with_growing_full_jitter_backoff(dynamodb: Any) -> None:
    """AWS's advice for throttling: retry with exponential backoff and jitter (full jitter: a random
    sleep up to the capped exponential)."""
    flaky = FlakyDynamoDB(dynamodb, failures=4)
    sleeps: list[float] = []
    writer = batch_store.BatchStore(
        flaky, TABLE, sleep=sleeps.append, jitter=lambda: 0.5, base_delay_s=0.05, workers=1
    )
    outcome = writer.store([batch_store.table_item(make_item(2), SOURCE_FILE, "e")])
    assert outcome.written == 1 and len(stored(dynamodb)) == 1
    assert sleeps == [0.025, 0.05, 0.1, 0.2]


def test_connection_errors_are_retried_like_throttling(dynamodb: Any) -> None:
    flaky = FlakyDynamoDB(dynamodb, failures=2, error=EndpointConnectionError(endpoint_url="http://x"))
    outcome = store(flaky, workers=1).store([batch_store.table_item(make_item(2), SOURCE_FILE, "e")])
    assert outcome.written == 1 and flaky.put_calls == 3


def test_still_throttled_after_bounded_attempts_reports_writer_throttled(
    dynamodb: Any, wired: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = FlakyDynamoDB(dynamodb, failures=1000)
    monkeypatch.setattr(writer_handler, "batch_store", lambda: store(flaky, max_attempts=3, workers=1))
    response = writer_handler.handler(sqs_event(body([make_item(2)])), None)
    assert response == {"batchItemFailures": []}
    [(name, kwargs)] = wired.calls
    assert (name, kwargs["error"]) == ("failure", "Writer.Throttled")
    assert "after 3 attempts" in kwargs["cause"] and "ProvisionedThroughputExceeded" in kwargs["cause"]
    assert flaky.put_calls == 3
    assert batch_records() == []  # nothing recorded for a batch that did not complete


def test_dynamodb_validation_error_reports_writer_write_failed(
    dynamodb: Any, wired: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    writer_handler.handler(sqs_event(body([make_item(2)])), None)
    [(name, kwargs)] = wired.calls
    assert (name, kwargs["error"]) == ("failure", "Writer.WriteFailed")
    assert "ResourceNotFound" in kwargs["cause"] and "file row 2" in kwargs["cause"]


def test_batch_record_holds_the_counts_and_a_redelivery_rewrites_the_same_record(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    """The ledger's BATCH#<execution>#<first_row> record: written after the items, before the report."""
    rejects = [{"row": 7, "errors": [{"field": "timestamp", "reason": "not a number", "value": "x"}]}]
    text = body([make_item(r) for r in range(2, 7)], rows=6, rejects=rejects, etag="e1")
    writer_handler.handler(sqs_event(text), None)
    writer_handler.handler(sqs_event(text), None)
    [record] = batch_records()
    assert record["file"] == SOURCE_FILE and record["sk"] == "BATCH#exec-1#0000000002"
    counts = {
        k: int(record[k]) for k in ("first_row", "last_row", "rows", "written", "duplicate", "rejected")
    }
    assert counts == {"first_row": 2, "last_row": 7, "rows": 6, "written": 5, "duplicate": 0, "rejected": 1}
    assert int(record["conflict"]) == 0 and record["etag"] == "e1"
    assert json.loads(record["details"]) == {"rejects": rejects, "conflicts": []}


def test_a_batch_whose_execution_already_ended_is_not_written(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    """A heartbeat before writing: TaskDoesNotExist / TaskTimedOut means the execution closed this batch
    (stopped, failed): writing would store rows behind a ledger that is already final."""
    wired.fail_with = ClientError(
        {"Error": {"Code": "TaskDoesNotExist", "Message": "gone"}}, "SendTaskHeartbeat"
    )
    assert writer_handler.handler(sqs_event(body([make_item(2)])), None) == {"batchItemFailures": []}
    assert stored(dynamodb) == {} and batch_records() == []


def test_a_slow_batch_sends_task_heartbeats(wired: FakeStepFunctions) -> None:
    beats: list[str] = []
    wired.send_task_heartbeat = lambda taskToken: beats.append(taskToken)  # type: ignore[attr-defined]
    with writer_handler.heartbeats(wired, "tok", every_s=0.02):
        time.sleep(0.15)
    count = len(beats)
    time.sleep(0.05)
    assert count >= 3 and len(beats) == count and set(beats) == {"tok"}


def test_bad_body_with_a_token_is_reported_as_writer_bad_message(wired: FakeStepFunctions) -> None:
    bad = json.dumps(
        {
            "taskToken": "tok",
            "source": SOURCE,
            "first_row": 2,
            "items": [{**make_item(2), "local_avg": "abc"}],
        }
    )
    response = writer_handler.handler(sqs_event(bad), None)
    assert response == {"batchItemFailures": []}
    [(name, kwargs)] = wired.calls
    assert (name, kwargs["taskToken"], kwargs["error"]) == ("failure", "tok", "Writer.BadMessage")
    assert kwargs["cause"] == "items[0]: local_avg must be a decimal string"


@pytest.mark.parametrize(
    "text", ["not json", "[1, 2]", json.dumps({"items": []}), json.dumps({"taskToken": ""})]
)
def test_body_without_a_token_fails_the_message_so_it_reaches_the_dlq(
    text: str, wired: FakeStepFunctions
) -> None:
    response = writer_handler.handler(sqs_event(body([make_item(2)], token="ok"), text), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert [name for name, _ in wired.calls] == ["success"]


def test_report_that_cannot_be_sent_returns_only_that_message_for_redelivery(
    dynamodb: Any, wired: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQS partial batch response: only the failed message id is listed, the others are deleted."""
    original = wired.send_task_success

    def flaky(**kwargs: Any) -> dict[str, Any]:
        if kwargs["taskToken"] == "t-bad":
            raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
        return original(**kwargs)

    monkeypatch.setattr(wired, "send_task_success", flaky)
    event = sqs_event(
        body([make_item(2)], token="t-ok"),
        body([make_item(3)], token="t-bad"),
        body([make_item(4)], token="t-ok2"),
    )
    assert writer_handler.handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert [kw["taskToken"] for _, kw in wired.calls] == ["t-ok", "t-ok2"]
    assert len(stored(dynamodb)) == 3  # row 3 is stored; its redelivery will count it as written again


@pytest.mark.parametrize("code", ["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"])
def test_finished_token_is_dropped_not_redelivered(code: str, wired: FakeStepFunctions) -> None:
    """SendTaskSuccess fails with TaskTimedOut/TaskDoesNotExist/InvalidToken once the task is over: retrying
    could never succeed, so the message is consumed."""
    wired.fail_with = ClientError({"Error": {"Code": code, "Message": "gone"}}, "SendTaskSuccess")
    assert writer_handler.handler(sqs_event(body([make_item(2)])), None) == {"batchItemFailures": []}


def test_throttled_report_is_redelivered(wired: FakeStepFunctions) -> None:
    error = {"Code": "ThrottlingException", "Message": "slow"}
    wired.fail_with = ClientError({"Error": error}, "SendTaskSuccess")
    assert writer_handler.handler(sqs_event(body([make_item(2)])), None) == {
        "batchItemFailures": [{"itemIdentifier": "m0"}]
    }


def test_empty_items_report_zero_written(wired: FakeStepFunctions) -> None:
    writer_handler.handler(sqs_event(body([])), None)
    assert wired.outputs() == [{"written": 0, "duplicate": 0, "duplicate_origins": {}, "conflicts": []}]


def test_batch_where_every_message_fails_lists_them_all_instead_of_raising(wired: FakeStepFunctions) -> None:
    wired.fail_with = EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
    response = writer_handler.handler(sqs_event(body([make_item(2)], token="a"), "garbage"), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}


def test_a_batch_stored_after_its_run_ended_joins_the_ledger_counts_once(
    dynamodb: Any, wired: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run ended (Summarize counted this batch as failed) while the writer was storing it: the report
    is refused, so the writer moves its rows from failed to written in the object's item, exactly once."""
    key = {"file": {"S": SOURCE_FILE}, "sk": {"S": "OBJECT#e1"}}
    dynamodb.put_item(
        TableName=LEDGER,
        Item={
            **key,
            "status": {"S": "ABORTED"},
            "latest_execution": {"S": "exec-1"},
            "rows_total": {"N": "5"},
            "rows_written": {"N": "0"},
            "rows_duplicate": {"N": "0"},
            "rows_rejected": {"N": "0"},
            "rows_conflict": {"N": "0"},
            "rows_failed": {"N": "5"},
        },
    )

    def finished(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "TaskTimedOut", "Message": "over"}}, "SendTaskSuccess")

    monkeypatch.setattr(wired, "send_task_success", finished)
    text = body([make_item(r) for r in range(2, 7)], rows=5, etag="e1")
    writer_handler.handler(sqs_event(text), None)
    writer_handler.handler(sqs_event(text), None)  # a redelivery adds nothing more
    item = dynamodb.get_item(TableName=LEDGER, Key=key)["Item"]
    assert (item["rows_written"]["N"], item["rows_failed"]["N"]) == ("5", "0")
    assert item["counted_batches"] == {"NS": ["2"]}
    assert len(stored(dynamodb)) == 5
