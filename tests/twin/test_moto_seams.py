"""Each seam of `workflow/twin/moto_seams.py`: the moto internal it relies on still has the shape the seam
uses, and the seam still behaves. A moto upgrade that changes one fails here, the message naming the seam;
the pin in pyproject.toml covers the releases this file was run on (the module's docstring says how to bump
it)."""

from __future__ import annotations

import inspect
import json
import re
import threading
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from werkzeug.serving import WSGIRequestHandler

from workflow.twin import moto_seams
from workflow.twin.endpoint import ServerThread
from workflow.twin.moto_seams import S3Notification

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
OTHER_ACCOUNT = "111122223333"
MOTO = version("moto")


def seam(name: str, what: str) -> str:
    """The failure message: which seam broke, with which moto, and where to fix it."""
    return f"moto {MOTO} changed the seam `moto_seams.{name}`: {what} (fix it in workflow/twin/moto_seams.py)"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.session.Session]:
    """moto in-process, and a session with dummy keys aimed at it."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )


# ---- moto_app, MotoRequestHandler -----------------------------------------------------------------------


def test_moto_app_internals_have_the_shape_the_seam_uses() -> None:
    from moto.core.responses import BaseResponse
    from moto.moto_server import werkzeug_app

    dispatcher = inspect.signature(werkzeug_app.DomainDispatcherApplication)
    assert list(dispatcher.parameters)[:1] == ["create_app"], seam(
        "moto_app", f"DomainDispatcherApplication{dispatcher}"
    )
    assert callable(werkzeug_app.create_backend_app), seam("moto_app", "create_backend_app is gone")
    assert hasattr(BaseResponse, "get_current_account"), seam(
        "moto_app", "BaseResponse.get_current_account is gone"
    )
    assert "x-moto-account-id" in inspect.getsource(BaseResponse.get_current_account), seam(
        "moto_app", "moto no longer reads the x-moto-account-id header"
    )
    assert issubclass(moto_seams.MotoRequestHandler, WSGIRequestHandler), seam(
        "MotoRequestHandler", "no longer a werkzeug WSGIRequestHandler"
    )
    assert "make_environ" in vars(moto_seams.MotoRequestHandler), seam(
        "MotoRequestHandler", "no longer overrides make_environ (underscored headers)"
    )


def test_moto_app_serves_in_the_given_account_and_keeps_underscored_metadata() -> None:
    """One port serves moto (the endpoint's job); the account header puts resources in the twin's account;
    moto's request handler keeps `x-amz-meta-*` names with underscores (S3 user-defined metadata)."""
    moto_seams.reset_moto()
    server = ServerThread(moto_seams.moto_app(OTHER_ACCOUNT), port=0, name="moto seam test").start()
    try:
        session = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=REGION)
        sqs = session.client("sqs", endpoint_url=server.url)
        url = sqs.create_queue(QueueName="seam")["QueueUrl"]
        assert f"/{OTHER_ACCOUNT}/seam" in url, seam("moto_app", f"queue URL {url} is not in the account")
        s3 = session.client("s3", endpoint_url=server.url)
        s3.create_bucket(Bucket="seam")
        s3.put_object(Bucket="seam", Key="k", Body=b"x", Metadata={"my_key": "v"})
        metadata = s3.head_object(Bucket="seam", Key="k")["Metadata"]
        assert metadata == {"my_key": "v"}, seam("MotoRequestHandler", f"metadata came back as {metadata}")
    finally:
        server.stop()
        moto_seams.reset_moto()


# ---- reset_moto ----------------------------------------------------------------------------------------


def test_reset_moto_internal_has_the_shape_the_seam_uses() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    assert callable(moto_api_backend.reset), seam("reset_moto", "moto_api_backend.reset is gone")
    assert not inspect.signature(moto_api_backend.reset).parameters, seam(
        "reset_moto", "reset takes arguments"
    )


def test_reset_moto_empties_every_backend(aws: boto3.session.Session) -> None:
    aws.client("s3").create_bucket(Bucket="seam")
    aws.client("sqs").create_queue(QueueName="seam")
    moto_seams.reset_moto()
    assert aws.client("s3").list_buckets()["Buckets"] == [], seam("reset_moto", "a bucket survived")
    assert "QueueUrls" not in aws.client("sqs").list_queues(), seam("reset_moto", "a queue survived")


# ---- add_s3_listener -----------------------------------------------------------------------------------


def test_s3_notification_internals_have_the_shape_the_seam_uses() -> None:
    import moto.s3.models as s3_models
    import moto.s3.notifications as notifications

    original = inspect.unwrap(notifications.send_event)
    params = list(inspect.signature(original).parameters)
    assert params == ["account_id", "event_name", "bucket", "key"], seam(
        "add_s3_listener", f"send_event{params}"
    )
    assert s3_models.notifications is notifications, seam(
        "add_s3_listener", "moto.s3.models no longer calls send_event through the notifications module"
    )
    assert "notifications.send_event(" in inspect.getsource(s3_models), seam(
        "add_s3_listener", "moto.s3.models no longer calls notifications.send_event"
    )
    key_init = inspect.signature(s3_models.FakeKey.__init__).parameters
    assert "multipart" in key_init, seam("add_s3_listener", "FakeKey has no multipart")
    for name in ("S3NotificationEvent",):
        assert hasattr(notifications, name), seam("add_s3_listener", f"{name} is gone")


def _created(seen: list[S3Notification]) -> list[S3Notification]:
    """The object creations among what the listener saw (moto also notifies e.g. s3:ObjectTagging:Put)."""
    return [n for n in seen if n.event_name.startswith("s3:ObjectCreated:")]


def _eventbridge_bucket(s3: Any, name: str, *, versioned: bool = False) -> None:
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )


def test_a_put_object_reaches_the_listener_once_with_its_values(aws: boto3.session.Session) -> None:
    s3 = aws.client("s3")
    _eventbridge_bucket(s3, "bucket-on")
    s3.create_bucket(Bucket="bucket-off")
    seen: list[S3Notification] = []
    remove = moto_seams.add_s3_listener(seen.append)
    try:
        put = s3.put_object(Bucket="bucket-on", Key="in/a b.csv", Body=b"h\n1\n")
        s3.put_object(Bucket="bucket-off", Key="x.csv", Body=b"1")
    finally:
        remove()
    s3.put_object(Bucket="bucket-on", Key="after.csv", Body=b"1")  # removed: not seen
    seen = _created(seen)
    assert [(n.bucket, n.event_name) for n in seen] == [
        ("bucket-on", "s3:ObjectCreated:Put"),
        ("bucket-off", "s3:ObjectCreated:Put"),
    ], seam("add_s3_listener", f"notifications seen: {seen}")
    on, off = seen
    assert on == S3Notification(
        account_id=ACCOUNT,
        event_name="s3:ObjectCreated:Put",
        bucket="bucket-on",
        key="in/a b.csv",
        size=4,
        etag=put["ETag"].strip('"'),
        version_id=None,
        multipart=False,
        to_eventbridge=True,
    ), seam("add_s3_listener", f"read {on}")
    assert off.to_eventbridge is False, seam("add_s3_listener", "notification_configuration.event_bridge")


def test_versioned_copy_and_multipart_objects_are_told_apart(aws: boto3.session.Session) -> None:
    s3 = aws.client("s3")
    _eventbridge_bucket(s3, "bucket-v", versioned=True)
    seen: list[S3Notification] = []
    remove = moto_seams.add_s3_listener(seen.append)
    try:
        put = s3.put_object(Bucket="bucket-v", Key="a.csv", Body=b"1")
        s3.copy_object(Bucket="bucket-v", Key="b.csv", CopySource={"Bucket": "bucket-v", "Key": "a.csv"})
        upload = s3.create_multipart_upload(Bucket="bucket-v", Key="m.csv")["UploadId"]
        part = s3.upload_part(Bucket="bucket-v", Key="m.csv", UploadId=upload, PartNumber=1, Body=b"x" * 10)
        s3.complete_multipart_upload(
            Bucket="bucket-v",
            Key="m.csv",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
    finally:
        remove()
    seen = _created(seen)
    got = [(n.key, n.event_name, n.multipart) for n in seen]
    assert got == [
        ("a.csv", "s3:ObjectCreated:Put", False),
        ("b.csv", "s3:ObjectCreated:Copy", False),
        ("m.csv", "s3:ObjectCreated:Put", True),  # moto's inner put_object: events.py drops it
        ("m.csv", "s3:ObjectCreated:CompleteMultipartUpload", True),
    ], seam("add_s3_listener", f"events {got}")
    assert seen[0].version_id == put["VersionId"], seam("add_s3_listener", "FakeKey.version_id")


def test_a_failing_listener_never_breaks_the_s3_call(aws: boto3.session.Session) -> None:
    def broken(_: S3Notification) -> None:
        raise RuntimeError("listener bug")

    s3 = aws.client("s3")
    _eventbridge_bucket(s3, "bucket-b")
    remove = moto_seams.add_s3_listener(broken)
    try:
        s3.put_object(Bucket="bucket-b", Key="k", Body=b"1")
    finally:
        remove()
    assert s3.get_object(Bucket="bucket-b", Key="k")["Body"].read() == b"1"


# ---- make_dynamodb_writes_atomic -----------------------------------------------------------------------


def test_dynamodb_write_internals_have_the_shape_the_seam_uses() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    for name in moto_seams.ATOMIC_DYNAMODB_WRITES:
        method = inspect.unwrap(getattr(DynamoDBBackend, name, None))
        assert callable(method), seam("make_dynamodb_writes_atomic", f"DynamoDBBackend.{name} is gone")
    put = inspect.signature(inspect.unwrap(DynamoDBBackend.put_item)).parameters
    assert "condition_expression" in put, seam("make_dynamodb_writes_atomic", "put_item has no condition")
    batch = inspect.getsource(DynamoHandler.batch_write_item)
    assert "backend.put_item(" in batch and "backend.delete_item(" in batch, seam(
        "make_dynamodb_writes_atomic", "BatchWriteItem no longer writes through put_item / delete_item"
    )


def test_make_dynamodb_writes_atomic_wraps_each_write_once() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    moto_seams.make_dynamodb_writes_atomic()
    moto_seams.make_dynamodb_writes_atomic()
    for name in moto_seams.ATOMIC_DYNAMODB_WRITES:
        method = getattr(DynamoDBBackend, name)
        inner = method.__wrapped__
        assert not hasattr(inner, "__wrapped__"), f"DynamoDBBackend.{name} was wrapped twice"


def test_racing_conditional_puts_of_one_key_let_exactly_one_through(aws: boto3.session.Session) -> None:
    """DynamoDB developer guide, "Condition expressions": a conditional write succeeds only if the condition
    holds at the time of the write, so of writers racing to create one key exactly one wins."""
    moto_seams.make_dynamodb_writes_atomic()
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    keys, writers = 60, 3
    barriers = [threading.Barrier(writers) for _ in range(keys)]
    wins: list[tuple[int, int]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        client = aws.client("dynamodb")
        for key in range(keys):
            barriers[key].wait(10)
            try:
                client.put_item(
                    TableName="t",
                    Item={"pk": {"S": str(key)}, "writer": {"N": str(writer)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    with lock:
                        errors.append(str(exc))
                continue
            with lock:
                wins.append((key, writer))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    per_key = sorted(key for key, _ in wins)
    assert per_key == list(range(keys)), seam("make_dynamodb_writes_atomic", "a key won twice or never")


# ---- behaviours relied on without an internal ----------------------------------------------------------


def test_sqs_moves_a_message_to_its_dlq_on_the_receive_past_max_receive_count(
    aws: boto3.session.Session,
) -> None:
    """SQS developer guide, "Using dead-letter queues": after maxReceiveCount receives the message moves to
    the DLQ. The writer's event source mapping (esm.py) relies on moto doing that on receive."""
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    queue = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": policy})
    sqs.send_message(QueueUrl=queue["QueueUrl"], MessageBody="m")
    assert len(sqs.receive_message(QueueUrl=queue["QueueUrl"]).get("Messages", [])) == 1
    assert sqs.receive_message(QueueUrl=queue["QueueUrl"]).get("Messages", []) == []
    moved = sqs.receive_message(QueueUrl=dlq).get("Messages", [])
    assert [m["Body"] for m in moved] == ["m"], "moto no longer moves messages to the DLQ on receive (esm.py)"


def test_moto_still_lacks_sqs_message_move_tasks(aws: boto3.session.Session) -> None:
    """sqs_move.py answers StartMessageMoveTask in front of moto because moto does not implement it; when
    this fails, moto does, and sqs_move.py can probably go."""
    sqs = aws.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(NotImplementedError):
        sqs.start_message_move_task(SourceArn=arn)


def test_no_other_module_of_the_project_imports_moto_internals() -> None:
    """The seams stay in one place: outside moto_seams.py, product code imports only moto's public
    `mock_aws` (tests may use `moto.server.ThreadedMotoServer`, also public)."""
    root = Path(__file__).resolve().parents[2]
    allowed = {"from moto import mock_aws"}
    offenders = []
    for path in sorted([*(root / "workflow").rglob("*.py"), *(root / "tasks").rglob("*.py")]):
        if path.name == "moto_seams.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip()
            if re.match(r"(from moto\b|import moto\b)", text) and text not in allowed:
                offenders.append(f"{path.relative_to(root)}:{number}: {text}")
    assert offenders == [], "moto internals outside workflow/twin/moto_seams.py:\n" + "\n".join(offenders)


# ---- answer_partiql_inserts -----------------------------------------------------------------------------


def _keyed_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


INSERT = "INSERT INTO \"t\" VALUE {'pk': ?, 'sk': ?, 'v': ?}"


def _insert(pk: str, sk: str, v: str) -> dict[str, Any]:
    return {"Statement": INSERT, "Parameters": [{"S": pk}, {"S": sk}, {"N": v}]}


def test_partiql_internals_have_the_shape_the_seam_uses() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    assert callable(getattr(DynamoDBBackend, "batch_execute_statement", None)), seam(
        "answer_partiql_inserts", "DynamoDBBackend.batch_execute_statement is gone"
    )
    handler = inspect.getsource(DynamoHandler.batch_execute_statement)
    assert "dynamodb_backend.batch_execute_statement(" in handler, seam(
        "answer_partiql_inserts", "BatchExecuteStatement no longer goes through the backend's method"
    )
    for name, params in (("get_table", ["table_name"]), ("put_item", ["table_name", "item_attrs"])):
        signature = inspect.signature(inspect.unwrap(getattr(DynamoDBBackend, name))).parameters
        assert list(signature)[1 : 1 + len(params)] == params, seam("answer_partiql_inserts", f"{name} moved")
    get = list(inspect.signature(Table.get_item).parameters)
    assert get[1:3] == ["hash_key", "range_key"], seam("answer_partiql_inserts", "Table.get_item changed")


def test_parameter_insert_recognises_only_a_single_item_insert_of_parameters() -> None:
    assert moto_seams.parameter_insert(INSERT) == ("t", ("pk", "sk", "v"))
    assert moto_seams.parameter_insert("insert into \"t\" value {'pk' : ?}") == ("t", ("pk",))
    assert moto_seams.parameter_insert("INSERT INTO \"t\" VALUE {'pk': 'a'}") is None  # a literal: moto's
    assert moto_seams.parameter_insert('SELECT * FROM "t" WHERE pk = ?') is None


def test_an_insert_of_a_stored_key_is_refused_as_duplicate_item_and_changes_nothing(
    aws: boto3.session.Session,
) -> None:
    """ "PartiQL insert statements for DynamoDB" (developer guide): an INSERT whose primary key is stored
    fails with DuplicateItem; BatchStatementError carries it per statement, the others still run. No item on
    the error: DynamoDB returns none for a batch INSERT whatever ReturnValuesOnConditionCheckFailure says
    (recorded on AWS by nubo-db/dynoxide tests/batch_statement_member_fields.rs, case B11). moto itself
    overwrites the stored item and rejects `?` in the tuple."""
    moto_seams.answer_partiql_inserts()
    dynamodb = aws.client("dynamodb")
    _keyed_table(dynamodb)
    first = dynamodb.batch_execute_statement(Statements=[_insert("a", "1", "1"), _insert("a", "2", "2")])
    assert [r.get("Error") for r in first["Responses"]] == [None, None]
    again = {**_insert("a", "1", "9"), "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    second = dynamodb.batch_execute_statement(Statements=[again, _insert("a", "3", "3")])
    refused, stored = second["Responses"]
    assert refused["Error"]["Code"] == "DuplicateItem" and "Item" not in refused
    assert "Error" not in stored
    items = dynamodb.scan(TableName="t")["Items"]
    assert sorted((i["sk"]["S"], i["v"]["N"]) for i in items) == [("1", "1"), ("2", "2"), ("3", "3")]


def test_partiql_insert_errors_are_per_statement(aws: boto3.session.Session) -> None:
    moto_seams.answer_partiql_inserts()
    dynamodb = aws.client("dynamodb")
    _keyed_table(dynamodb)
    short = {"Statement": INSERT, "Parameters": [{"S": "a"}, {"S": "1"}]}
    no_key = {"Statement": "INSERT INTO \"t\" VALUE {'pk': ?}", "Parameters": [{"S": "a"}]}
    other = {
        "Statement": INSERT.replace('"t"', '"missing"'),
        "Parameters": _insert("a", "1", "1")["Parameters"],
    }
    codes = [
        r["Error"]["Code"]
        for r in dynamodb.batch_execute_statement(Statements=[short, no_key, other])["Responses"]
    ]
    assert codes == ["ValidationError", "ValidationError", "ResourceNotFound"]
    assert dynamodb.scan(TableName="t")["Items"] == []


def test_other_statements_still_go_to_moto(aws: boto3.session.Session) -> None:
    """A statement the seam does not recognise (here an INSERT of literal values) is moto's to run."""
    moto_seams.answer_partiql_inserts()
    dynamodb = aws.client("dynamodb")
    _keyed_table(dynamodb)
    literal = "INSERT INTO \"t\" VALUE {'pk': 'b', 'sk': '2', 'v': 8}"
    [answer] = dynamodb.batch_execute_statement(Statements=[{"Statement": literal}])["Responses"]
    assert "Error" not in answer
    stored = dynamodb.get_item(TableName="t", Key={"pk": {"S": "b"}, "sk": {"S": "2"}})["Item"]
    assert stored["v"] == {"N": "8"}


def test_racing_inserts_of_one_key_let_exactly_one_through(aws: boto3.session.Session) -> None:
    moto_seams.make_dynamodb_writes_atomic()
    moto_seams.answer_partiql_inserts()
    _keyed_table(aws.client("dynamodb"))
    keys, writers = 40, 3
    barriers = [threading.Barrier(writers) for _ in range(keys)]
    wins: list[int] = []
    lock = threading.Lock()

    def write(writer: int) -> None:
        client = aws.client("dynamodb")
        for key in range(keys):
            barriers[key].wait(10)
            [answer] = client.batch_execute_statement(Statements=[_insert("k", str(key), str(writer))])[
                "Responses"
            ]
            if "Error" not in answer:
                with lock:
                    wins.append(key)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(wins) == list(range(keys)), seam("answer_partiql_inserts", "a key won twice or never")


# ---- size_items_once -----------------------------------------------------------------------------------


def test_item_internals_have_the_shape_the_seam_uses() -> None:
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    init = inspect.getsource(getattr(Item.__init__, "__wrapped__", Item.__init__))  # moto's own
    assert "LimitedSizeDict()" in init and "self.attrs[key] = DynamoType(value)" in init, seam(
        "size_items_once", "Item.__init__ no longer fills a LimitedSizeDict attribute by attribute"
    )
    check = inspect.getsource(LimitedSizeDict.__setitem__)
    assert str(moto_seams.ITEM_SIZE_LIMIT) in check, seam(
        "size_items_once", "LimitedSizeDict's bound is no longer 405000"
    )


def _item(original: Any, attrs: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    return (original or Item)(DynamoType(attrs["pk"]), None, attrs)


def test_items_built_with_one_size_check_equal_motos_and_fail_at_the_same_size() -> None:
    """Same attributes, same types, same `ItemSizeTooLarge` on either side of moto's bound."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import Item

    moto_seams.size_items_once()
    own = Item.__init__.__wrapped__  # moto's own __init__, kept by functools.update_wrapper

    class MotoItem(Item):
        __init__ = own

    attrs = {"pk": {"S": "k"}, "n": {"N": "1.50"}, "l": {"L": [{"S": "x"}, {"M": {"a": {"BOOL": True}}}]}}
    ours, theirs = _item(None, attrs), _item(MotoItem, attrs)
    assert ours.attrs == theirs.attrs and type(ours.attrs) is type(theirs.attrs)
    assert ours.size() == theirs.size()
    fixed = len("pk") + len("k") + len("big")
    for size, fails in (
        (moto_seams.ITEM_SIZE_LIMIT - fixed, False),
        (moto_seams.ITEM_SIZE_LIMIT - fixed + 1, True),
    ):
        big = {"pk": {"S": "k"}, "big": {"S": "x" * size}}
        outcomes = []
        for cls in (None, MotoItem):
            try:
                _item(cls, big)
                outcomes.append(False)
            except ItemSizeTooLarge:
                outcomes.append(True)
        assert outcomes == [fails, fails], seam("size_items_once", f"{size} bytes: {outcomes}")
