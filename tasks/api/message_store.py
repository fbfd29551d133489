"""DynamoDB access for the messages table, shared by the five API handlers.

Every write is conditional, so a create never overwrites a message and an update or delete never creates
one; DynamoDB's answers become the API's 404/409/503 errors here, in one place.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

import boto3
from api_request import decode_token, encode_token
from api_response import ApiError
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from message_model import PageParams, public_item

if TYPE_CHECKING:  # type stubs are a dev dependency; the Lambda runtime has only boto3
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]  # a message as Python values (str, Decimal, ...), deserialized from DynamoDB's JSON


class TableResult(TypedDict, total=False):
    """The parts of a DynamoDB answer the API reads, with items already deserialized."""

    Item: Item
    Attributes: Item
    Items: list[Item]
    LastEvaluatedKey: Item


_THROTTLED = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_KEY_EXISTS = "attribute_exists(#date) AND attribute_exists(#time)"
_KEY_NAMES = {"#date": "date", "#time": "time"}


class Table:
    """The subset of boto3's Table resource the API uses, over a low-level client.

    boto3 clients are thread-safe and resources are not; locally one interpreter serves concurrent
    requests (threads), so the handlers share a client and (de)serialize values themselves.
    """

    _to_ddb = TypeSerializer()
    _from_ddb = TypeDeserializer()

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def _dump(self, values: dict[str, Any]) -> dict[str, Any]:
        return {key: self._to_ddb.serialize(value) for key, value in values.items()}

    def _load(self, item: dict[str, Any]) -> Item:
        return {key: self._from_ddb.deserialize(v) for key, v in item.items()}

    def _call(self, operation: str, **args: Any) -> TableResult:
        for field in ("Key", "Item", "ExpressionAttributeValues", "ExclusiveStartKey"):
            if field in args:
                args[field] = self._dump(args[field])
        answer: dict[str, Any] = getattr(self.client, operation)(TableName=self.name, **args)
        result = TableResult()
        if "Item" in answer:
            result["Item"] = self._load(answer["Item"])
        if "Attributes" in answer:
            result["Attributes"] = self._load(answer["Attributes"])
        if "LastEvaluatedKey" in answer:
            result["LastEvaluatedKey"] = self._load(answer["LastEvaluatedKey"])
        if "Items" in answer:
            result["Items"] = [self._load(item) for item in answer["Items"]]
        return result

    def get_item(self, **args: Any) -> TableResult:
        return self._call("get_item", **args)

    def put_item(self, **args: Any) -> TableResult:
        return self._call("put_item", **args)

    def update_item(self, **args: Any) -> TableResult:
        return self._call("update_item", **args)

    def delete_item(self, **args: Any) -> TableResult:
        return self._call("delete_item", **args)

    def query(self, **args: Any) -> TableResult:
        return self._call("query", **args)

    def scan(self, **args: Any) -> TableResult:
        return self._call("scan", **args)


@lru_cache(maxsize=8)
def _table(name: str, region: str | None, endpoint: str | None) -> Table:
    """One client per (name, region, endpoint): reused across warm invocations, own session per setting."""
    del endpoint  # part of the cache key only: boto3 reads AWS_ENDPOINT_URL itself
    return Table(boto3.session.Session(region_name=region).client("dynamodb"), name)


def table() -> Table:
    name = os.environ.get("TABLE_NAME")
    if not name:
        raise RuntimeError("TABLE_NAME is not set")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return _table(name, region, os.environ.get("AWS_ENDPOINT_URL"))


def _not_found(date: str, time: str) -> ApiError:
    return ApiError(404, "NotFound", f"no message at date {date} time {time}")


def _service_error(exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in _THROTTLED:
        return ApiError(503, "Throttled", "the table is busy; retry shortly", headers={"Retry-After": "1"})
    return exc


def get(date: str, time: str) -> dict[str, Any]:
    try:
        found = table().get_item(Key={"date": date, "time": time}, ConsistentRead=True).get("Item")
    except ClientError as exc:
        raise _service_error(exc) from exc
    if found is None:
        raise _not_found(date, time)
    return found


def create(item: dict[str, Any]) -> None:
    """Put the item only if its key is free (409 otherwise)."""
    try:
        table().put_item(
            Item=item,
            ConditionExpression="attribute_not_exists(#date)",
            ExpressionAttributeNames={"#date": "date"},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise ApiError(
                409, "AlreadyExists", f"a message at date {item['date']} time {item['time']} already exists"
            ) from None
        raise _service_error(exc) from exc


def update(date: str, time: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Set the given attributes only if the message exists (404 otherwise); returns the new item."""
    names = {**_KEY_NAMES, **{f"#f{i}": name for i, name in enumerate(changes)}}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(changes)))
    try:
        result = table().update_item(
            Key={"date": date, "time": time},
            UpdateExpression=expression,
            ConditionExpression=_KEY_EXISTS,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise _not_found(date, time) from None
        raise _service_error(exc) from exc
    return result["Attributes"]


def delete(date: str, time: str) -> None:
    """Delete only if the message exists (404 otherwise)."""
    try:
        table().delete_item(
            Key={"date": date, "time": time},
            ConditionExpression=_KEY_EXISTS,
            ExpressionAttributeNames=_KEY_NAMES,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise _not_found(date, time) from None
        raise _service_error(exc) from exc


def page(
    limit: int, start: dict[str, str] | None, date: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of messages and the key to continue from (None at the end).

    With a date: a Query of that partition, newest first (sort key descending). Without: a Scan, in the
    table's own order (DynamoDB has no cheap global order).
    """
    args: dict[str, Any] = {"Limit": limit}
    if start is not None:
        args["ExclusiveStartKey"] = start
    try:
        if date is not None:
            result = table().query(
                KeyConditionExpression="#date = :date",
                ScanIndexForward=False,
                ExpressionAttributeNames={"#date": "date"},
                ExpressionAttributeValues={":date": date},
                **args,
            )
        else:
            result = table().scan(**args)
    except ClientError as exc:
        raise _service_error(exc) from exc
    return result.get("Items", []), result.get("LastEvaluatedKey")


def page_body(params: PageParams, date: str | None = None) -> dict[str, Any]:
    """The list response: `{"items": [...], "next"?: token}`; `next` is absent on the last page."""
    start = decode_token(params.next, date) if params.next else None
    items, last = page(params.limit, start, date)
    body: dict[str, Any] = {"items": [public_item(item) for item in items]}
    if last is not None:
        body["next"] = encode_token(last)
    return body
