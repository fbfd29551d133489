"""Writer: DynamoDB writes via moto, unprocessed-item retries, conflicts, redelivery, task-token reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import batch_store
import boto3
import pytest
import writer_handler
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

TABLE = "test-messages"
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


def body(items: list[dict[str, Any]], token: str = "token-1", source: dict[str, str] = SOURCE) -> str:
    first_row = items[0]["source_row"] if items else 2
    return json.dumps({"taskToken": token, "source": source, "first_row": first_row, "items": items})


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

    def outputs(self) -> list[dict[str, Any]]:
        return [json.loads(kw["output"]) for name, kw in self.calls if name == "success"]


class StingyDynamoDB:
    """Wraps a real (moto) client; leaves part of each batch unprocessed, as DynamoDB does when throttled."""

    def __init__(self, client: Any, stingy_calls: int, keep: int = 1, stingy_gets: bool = True) -> None:
        self.client = client
        self.stingy_calls = stingy_calls  # how many batch calls process only `keep` requests
        self.keep = keep
        self.stingy_gets = stingy_gets
        self.write_calls: list[int] = []
        self.get_calls: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        [(table, requests)] = RequestItems.items()
        self.write_calls.append(len(requests))
        if len(self.write_calls) > self.stingy_calls:
            return self.client.batch_write_item(RequestItems=RequestItems)
        done, rest = requests[: self.keep], requests[self.keep :]
        if done:
            self.client.batch_write_item(RequestItems={table: done})
        return {"UnprocessedItems": {table: rest} if rest else {}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        [(table, request)] = RequestItems.items()
        self.get_calls.append(len(request["Keys"]))
        stingy = self.stingy_gets and len(self.get_calls) <= self.stingy_calls
        if not stingy or len(request["Keys"]) <= self.keep:
            return self.client.batch_get_item(RequestItems=RequestItems)
        first = {**request, "Keys": request["Keys"][: self.keep]}
        done = self.client.batch_get_item(RequestItems={table: first})
        return {
            "Responses": done["Responses"],
            "UnprocessedKeys": {table: {**request, "Keys": request["Keys"][self.keep :]}},
        }


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "date", "AttributeType": "S"},
                {"AttributeName": "time", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "date", "KeyType": "HASH"},
                {"AttributeName": "time", "KeyType": "RANGE"},
            ],
        )
        yield client


@pytest.fixture
def sfn() -> FakeStepFunctions:
    return FakeStepFunctions()


@pytest.fixture
def wired(dynamodb: Any, sfn: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch) -> FakeStepFunctions:
    """The handler as deployed, with its client factories pointed at moto and the fake Step Functions."""
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setattr(writer_handler, "dynamodb_client", lambda: dynamodb)
    monkeypatch.setattr(writer_handler, "stepfunctions_client", lambda: sfn)
    return sfn


def store(client: Any, **kwargs: Any) -> batch_store.BatchStore:
    return batch_store.BatchStore(client, TABLE, sleep=lambda _s: None, **kwargs)


def stored(client: Any) -> dict[int, dict[str, Any]]:
    rows = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE).scan()["Items"]
    return {int(item["source_row"]): item for item in rows}


def test_handler_writes_items_with_exact_numbers_and_origin_then_reports_success(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    items = [make_item(row) for row in range(2, 62)]  # 60 items: three BatchWriteItem calls
    response = writer_handler.handler(sqs_event(body(items)), None)
    assert response == {"batchItemFailures": []}
    assert wired.calls == [
        (
            "success",
            {
                "taskToken": "token-1",
                "output": json.dumps({"written": 60, "already_written": 0, "conflicts": []}),
            },
        )
    ]
    table = stored(dynamodb)
    assert len(table) == 60
    first = table[2]
    assert first["local_avg"] == Decimal("4.39") and first["timestamp"] == Decimal("1559037602.5")
    assert (first["source_file"], first["execution"], first["date"], first["time"]) == (
        SOURCE_FILE,
        "exec-1",
        "2019-05-28",
        "10:00:02.5",
    )


def test_redelivered_message_counts_already_written_and_does_not_rewrite(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    """SQS delivers at least once: the same body twice must store each row once and report both times."""
    text = body([make_item(row) for row in range(2, 7)])
    writer_handler.handler(sqs_event(text), None)
    writer_handler.handler(sqs_event(text), None)
    assert wired.outputs() == [
        {"written": 5, "already_written": 0, "conflicts": []},
        {"written": 5, "already_written": 5, "conflicts": []},
    ]
    assert len(stored(dynamodb)) == 5


def test_key_stored_from_another_file_is_a_conflict_not_an_overwrite(
    dynamodb: Any, wired: FakeStepFunctions
) -> None:
    other = {"bucket": "csv-etl-data", "key": "incoming/other.csv", "execution": "exec-0"}
    writer_handler.handler(sqs_event(body([make_item(9, second=3)], token="t0", source=other)), None)
    writer_handler.handler(sqs_event(body([make_item(2), make_item(3), make_item(4)])), None)
    output = wired.outputs()[-1]
    assert output["written"] == 2 and output["already_written"] == 0
    assert output["conflicts"] == [
        {
            "row": 3,
            "errors": [
                {
                    "field": "timestamp",
                    "reason": "date and time already stored from s3://csv-etl-data/incoming/other.csv row 9",
                    "value": "1559037603.5",
                }
            ],
        }
    ]
    table = stored(dynamodb)
    assert table[9]["source_file"] == "s3://csv-etl-data/incoming/other.csv"  # untouched
    assert sorted(table) == [2, 4, 9]


def test_same_row_with_changed_values_is_a_conflict(dynamodb: Any, wired: FakeStepFunctions) -> None:
    """A re-uploaded file whose row changed must not silently replace the stored reading."""
    writer_handler.handler(sqs_event(body([make_item(2)])), None)
    changed = {**SOURCE, "execution": "exec-2"}
    writer_handler.handler(sqs_event(body([make_item(2, local_avg="5")], source=changed)), None)
    [conflict] = wired.outputs()[-1]["conflicts"]
    assert conflict["row"] == 2 and "different values (execution exec-1)" in conflict["errors"][0]["reason"]
    assert stored(dynamodb)[2]["local_avg"] == Decimal("4.39")


def test_duplicate_keys_inside_one_message_never_reach_batch_write(dynamodb: Any) -> None:
    """BatchWriteItem rejects a request holding two puts for one key: the second becomes a conflict."""
    items = [
        batch_store.table_item(make_item(2), SOURCE_FILE, "e"),
        batch_store.table_item(make_item(3, second=2), SOURCE_FILE, "e"),
    ]
    outcome = store(dynamodb).store(items)
    assert (outcome.written, len(outcome.conflicts)) == (1, 1)
    assert outcome.conflicts[0]["errors"][0]["reason"] == "same date and time as row 2 in this batch"


def test_unprocessed_items_are_retried_with_growing_jittered_backoff(dynamodb: Any) -> None:
    """BatchWriteItem may return UnprocessedItems; AWS advises retrying them with exponential backoff."""
    stingy = StingyDynamoDB(dynamodb, stingy_calls=4, keep=1)
    sleeps: list[float] = []
    writer = batch_store.BatchStore(stingy, TABLE, sleep=sleeps.append, jitter=lambda: 1.0, base_delay_s=0.05)
    items = [batch_store.table_item(make_item(row), SOURCE_FILE, "e") for row in range(2, 12)]
    outcome = writer.store(items)
    assert outcome.written == 10 and len(stored(dynamodb)) == 10
    assert stingy.write_calls == [10, 9, 8, 7, 6]
    assert sleeps[-4:] == [0.05, 0.1, 0.2, 0.4]


def test_unprocessed_keys_of_batch_get_are_retried(dynamodb: Any) -> None:
    """BatchGetItem may return UnprocessedKeys: they are read again, so a stored key is never missed."""
    writer = store(dynamodb)
    items = [batch_store.table_item(make_item(row), SOURCE_FILE, "e") for row in range(2, 7)]
    writer.store(items)
    stingy = StingyDynamoDB(dynamodb, stingy_calls=3, keep=2)
    outcome = store(stingy).store(items)
    assert (outcome.written, outcome.already_written) == (5, 5)
    assert stingy.get_calls == [5, 3, 1]
    assert stingy.write_calls == []


def test_batch_get_uses_at_most_100_keys_and_write_25_items_per_call(dynamodb: Any) -> None:
    counting = StingyDynamoDB(dynamodb, stingy_calls=0)
    items = [batch_store.table_item(make_item(row), SOURCE_FILE, "e") for row in range(2, 232)]
    store(counting).store(items)
    assert counting.get_calls == [100, 100, 30]
    assert counting.write_calls == [25] * 9 + [5]
    assert len(stored(dynamodb)) == 230


def test_still_unprocessed_after_bounded_attempts_reports_writer_throttled(
    dynamodb: Any, wired: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    stingy = StingyDynamoDB(dynamodb, stingy_calls=1000, keep=0, stingy_gets=False)
    monkeypatch.setattr(writer_handler, "batch_store", lambda: store(stingy, max_attempts=3))
    response = writer_handler.handler(sqs_event(body([make_item(2)])), None)
    assert response == {"batchItemFailures": []}
    [(name, kwargs)] = wired.calls
    assert (name, kwargs["error"]) == ("failure", "Writer.Throttled")
    assert "after 3 BatchWriteItem attempts" in kwargs["cause"]
    assert stingy.write_calls == [1, 1, 1]


def test_dynamodb_validation_error_reports_writer_write_failed(
    dynamodb: Any, wired: FakeStepFunctions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    writer_handler.handler(sqs_event(body([make_item(2)])), None)
    [(name, kwargs)] = wired.calls
    assert (name, kwargs["error"]) == ("failure", "Writer.WriteFailed")
    assert "ResourceNotFoundException" in kwargs["cause"]


def test_throttling_client_error_maps_to_writer_throttled(dynamodb: Any) -> None:
    class Throttling:
        def batch_get_item(self, **_: Any) -> None:
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}
            raise ClientError({"Error": error}, "BatchGetItem")

    with pytest.raises(batch_store.WriteThrottled):
        store(Throttling()).store([batch_store.table_item(make_item(2), SOURCE_FILE, "e")])


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
    assert len(stored(dynamodb)) == 3  # row 3 is stored; its redelivery will count it as already_written


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
    assert wired.outputs() == [{"written": 0, "already_written": 0, "conflicts": []}]


def test_batch_where_every_message_fails_lists_them_all_instead_of_raising(wired: FakeStepFunctions) -> None:
    wired.fail_with = EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
    response = writer_handler.handler(sqs_event(body([make_item(2)], token="a"), "garbage"), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}
