"""The twin's Lambdas reach the emulated services in process (workflow/twin/handoff.py): a handler's plain
boto3 calls go to the endpoint app without a socket, and what they write is what a user reads over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.httpsession import URLLib3Session

from workflow.config import PipelineConfig
from workflow.twin import handoff
from workflow.twin.backend import endpoint_client
from workflow.twin.endpoint import Endpoint, ServerThread
from workflow.twin.lambda_api import LambdaApi
from workflow.twin.lambdas import LambdaRuntime
from workflow.twin.moto_seams import reset_moto

from .conftest import ACCOUNT, fake_stepfunctions

REGION = "us-east-1"


@pytest.fixture(scope="module")
def twin_parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerThread, LambdaRuntime]]:
    from .fake_tasks import fake_config, write_tasks

    reset_moto()
    holder: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return holder["app"](environ, start_response)

    server = ServerThread(app, port=0)
    config: PipelineConfig = fake_config()
    runtime = LambdaRuntime(
        config,
        {"AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        REGION,
        ACCOUNT,
        tasks_dir=write_tasks(tmp_path_factory.mktemp("tasks")),
        in_process_app=app,
    )
    holder["app"] = Endpoint(fake_stepfunctions, LambdaApi(runtime), ACCOUNT)
    server.start()
    yield server, runtime
    server.stop()
    reset_moto()


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs botocore sent over HTTP (urllib3) during the test."""
    sent: list[str] = []
    real = URLLib3Session.send

    def send(self: URLLib3Session, request: Any) -> Any:
        sent.append(request.url)
        return real(self, request)

    monkeypatch.setattr(URLLib3Session, "send", send)
    return sent


def _handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Plain Lambda code: boto3 clients from the environment, as tasks/ handlers make them."""
    dynamodb = boto3.client("dynamodb")
    for i in range(event["n"]):
        dynamodb.put_item(
            TableName=event["table"],
            Item={"pk": {"S": f"k{i}"}, "v": {"N": str(i)}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    s3 = boto3.client("s3")
    s3.put_object(Bucket=event["bucket"], Key="in dir/a+b.json", Body=json.dumps({"n": event["n"]}).encode())
    body = s3.get_object(Bucket=event["bucket"], Key="in dir/a+b.json")["Body"].read()
    try:
        dynamodb.put_item(
            TableName=event["table"],
            Item={"pk": {"S": "k0"}, "v": {"N": "99"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
        duplicate = "written"
    except dynamodb.exceptions.ConditionalCheckFailedException as exc:
        duplicate = exc.response["Error"]["Code"]
    return {"endpoint": dynamodb.meta.endpoint_url, "body": json.loads(body), "duplicate": duplicate}


def test_a_handlers_boto3_calls_reach_moto_without_a_socket_and_users_read_the_same_items(
    twin_parts: tuple[ServerThread, LambdaRuntime], sockets: list[str]
) -> None:
    server, runtime = twin_parts
    user_ddb = endpoint_client("dynamodb", server.url, REGION)
    user_s3 = endpoint_client("s3", server.url, REGION)
    user_ddb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    user_s3.create_bucket(Bucket="handoff-data")
    before_user = len(sockets)
    before = handoff.served
    runtime.overrides["echo"] = _handler
    try:
        result, record = runtime.invoke_event("echo", {"n": 5, "table": "t", "bucket": "handoff-data"})
    finally:
        runtime.overrides.pop("echo")
    assert record.error is None, record.logs
    assert result["endpoint"] == handoff.alias(server.url) != server.url
    assert result["body"] == {"n": 5}
    assert result["duplicate"] == "ConditionalCheckFailedException"  # moto's answer, error shape and all
    assert handoff.served - before == 8  # 6 PutItem, PutObject, GetObject
    assert len(sockets) == before_user  # none of them went over HTTP
    # the user's HTTP clients read exactly what the handler wrote
    items = user_ddb.scan(TableName="t")["Items"]
    assert sorted((i["pk"]["S"], i["v"]["N"]) for i in items) == [(f"k{i}", str(i)) for i in range(5)]
    stored = user_s3.get_object(Bucket="handoff-data", Key="in dir/a+b.json")["Body"].read()
    assert json.loads(stored) == {"n": 5}
    assert len(sockets) > before_user


def test_without_an_in_process_app_the_functions_keep_the_http_endpoint(tmp_path: Path) -> None:
    from .fake_tasks import fake_config

    runtime = LambdaRuntime(fake_config(), {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, REGION, ACCOUNT)
    assert runtime.base_env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"


def test_a_batch_of_inserts_is_answered_directly_as_motos_own_path_answers_it() -> None:
    """The writer's BatchExecuteStatement of INSERTs skips the app (moto_seams.batch_inserts_answer): the
    same answers, the same table, as the full path through moto's handler, taken at botocore's before-call
    (after validation and serialisation, before an HTTP request is built and signed) and parsed by
    botocore's own parser; any other statement declines and takes the full path."""
    from workflow.twin.moto_seams import answer_partiql_inserts, batch_inserts_answer, moto_app

    reset_moto()
    answer_partiql_inserts()
    answered: list[int] = []
    direct = batch_inserts_answer(ACCOUNT, REGION)

    def counting(body: bytes) -> bytes | None:
        content = direct(body)
        answered.append(0 if content is None else 1)
        return content

    app = moto_app(ACCOUNT)
    target = "DynamoDB_20120810.BatchExecuteStatement"
    fast_url = handoff.serve("http://127.0.0.1:59101", app, {target: counting})
    full_url = handoff.serve("http://127.0.0.1:59102", app)
    try:
        fast, full = (endpoint_client("dynamodb", url, REGION) for url in (fast_url, full_url))
        fast.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )

        def insert(key: str, value: str) -> dict[str, Any]:
            return {
                "Statement": "INSERT INTO \"t\" VALUE {'pk': ?, 'v': ?}",
                "Parameters": [{"S": key}, {"N": value}],
            }

        def answers(client: Any, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return list(client.batch_execute_statement(Statements=statements)["Responses"])

        signed: list[str] = []
        fast.meta.events.register("before-sign", lambda **kw: signed.append(kw["operation_name"]))

        assert answers(fast, [insert("a", "1"), insert("b", "2")]) == [{"TableName": "t"}] * 2
        assert answers(full, [insert("c", "3")]) == [{"TableName": "t"}]
        direct_again = answers(fast, [insert("a", "9"), insert("d", "4")])
        full_again = answers(full, [insert("b", "9"), insert("e", "5")])
        assert direct_again == full_again and direct_again[0]["Error"]["Code"] == "DuplicateItem"
        select = {"Statement": "SELECT * FROM t WHERE pk = 'a'"}
        assert answers(fast, [select]) == answers(full, [select])  # declined: moto's own answer
        assert answered == [1, 1, 0]
        # answered at before-call: no HTTP request built or signed; the declined one took the full path
        assert signed == ["BatchExecuteStatement"]  # the SELECT
        meta = fast.batch_execute_statement(Statements=[insert("f", "6")])["ResponseMetadata"]
        full_meta = full.batch_execute_statement(Statements=[insert("g", "7")])["ResponseMetadata"]
        assert (meta["HTTPStatusCode"], meta["RetryAttempts"]) == (200, 0) and meta["RequestId"]
        assert set(meta) <= set(full_meta)
        items = full.scan(TableName="t")["Items"]
        assert sorted((i["pk"]["S"], i["v"]["N"]) for i in items) == [
            ("a", "1"),
            ("b", "2"),
            ("c", "3"),
            ("d", "4"),
            ("e", "5"),
            ("f", "6"),
            ("g", "7"),
        ]
    finally:
        handoff.forget("http://127.0.0.1:59101")
        handoff.forget("http://127.0.0.1:59102")
        reset_moto()


def test_the_engines_and_pollers_sqs_calls_are_handed_off_and_users_see_the_endpoints_queue_url() -> None:
    """The engine's SendMessage (a batch of rows per Map child) and the pollers' ReceiveMessage take the
    hand-off (backend.IN_PROCESS_SERVICES); the queue was created before, over HTTP, so its URL names the
    endpoint users reach, not the hand-off's alias (moto names a queue's URL after the host it was created
    through)."""
    from workflow.twin.twin import Twin

    with Twin.ephemeral() as twin:
        queue_url = twin.resources.queue_url
        assert queue_url.startswith(twin.url + "/")
        engine_sqs = twin.backend._client("sqs")
        assert engine_sqs.meta.endpoint_url == twin.esm.sqs.meta.endpoint_url == handoff.alias(twin.url)
        twin.esm.stop()  # nobody else takes the message
        before = handoff.served
        engine_sqs.send_message(QueueUrl=queue_url, MessageBody="{}")
        assert handoff.served == before + 1
        received = twin.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
        assert [m["Body"] for m in received.get("Messages", [])] == ["{}"]
