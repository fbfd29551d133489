"""The per-file ledger table (docs/architecture.md, Ledger): read the writer's batch records, write the
object version's item.

Key: `file` = s3://bucket/key, `sk` = OBJECT#<etag> (one item per object version),
BATCH#<execution>#<first_row:010d> (one per batch, put by the writer) or DLQ#<execution>#<first_row:010d>
(a batch whose message the writer saw fail for the last time: SQS parks it in the DLQ). The OBJECT item
is rewritten whole with optimistic locking on its `executions` list, so a run registered meanwhile (a
replay starting) is never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
MAX_ATTEMPTS = 5


def _plain(value: Any) -> Any:
    """DynamoDB values as plain JSON-able Python: Decimal -> int or float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in raw.items()}


def _dynamo(item: dict[str, Any]) -> dict[str, Any]:
    def fix(value: Any) -> Any:
        if isinstance(value, float):
            return Decimal(str(value))
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    sets = {"counted_batches"}  # a number set, so a late writer can ADD to it (see tasks/writer)
    return {
        name: _serializer.serialize({int(v) for v in value} if name in sets else fix(value))
        for name, value in item.items()
        if value is not None and not (name in sets and not value)
    }


def object_sk(etag: str) -> str:
    return f"OBJECT#{etag}"


def batch_prefix(execution: str) -> str:
    return f"BATCH#{execution}#"


class Ledger:
    """One ledger table through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def batch_records(self, file: str, execution: str) -> Iterator[dict[str, Any]]:
        """The writer's records of this execution's batches (strongly consistent, paginated)."""
        return self._query(file, batch_prefix(execution))

    def objects(self, file: str) -> Iterator[dict[str, Any]]:
        """The OBJECT items of every version of this key."""
        return self._query(file, "OBJECT#")

    def dead_letters(self, file: str, execution: str) -> Iterator[dict[str, Any]]:
        """The writer's marks of this execution's batches whose message went to the DLQ."""
        return self._query(file, f"DLQ#{execution}#")

    def _query(self, file: str, prefix: str) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#f = :f AND begins_with(sk, :p)",
            "ExpressionAttributeNames": {"#f": "file"},
            "ExpressionAttributeValues": {":f": {"S": file}, ":p": {"S": prefix}},
            "ConsistentRead": True,
        }
        while True:
            page = self.client.query(**kwargs)
            for raw in page.get("Items", []):
                yield _item(raw)
            if not page.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_object(self, file: str, etag: str) -> dict[str, Any] | None:
        raw = self.client.get_item(
            TableName=self.table, Key={"file": {"S": file}, "sk": {"S": object_sk(etag)}}, ConsistentRead=True
        ).get("Item")
        return _item(raw) if raw else None

    def update_object(
        self, file: str, etag: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any]:
        """Read-modify-write the OBJECT item; retried when another writer changed its executions meanwhile."""
        for _attempt in range(MAX_ATTEMPTS):
            current = self.get_object(file, etag)
            new = change(dict(current or {"file": file, "sk": object_sk(etag)}))
            kwargs: dict[str, Any] = {"TableName": self.table, "Item": _dynamo(new)}
            if current is None:
                kwargs["ConditionExpression"] = "attribute_not_exists(sk)"
            else:
                kwargs["ConditionExpression"] = (
                    "size(executions) = :n"
                    if "executions" in current
                    else ("attribute_not_exists(executions)")
                )
                if "executions" in current:
                    kwargs["ExpressionAttributeValues"] = {":n": {"N": str(len(current["executions"]))}}
            try:
                self.client.put_item(**kwargs)
                return new
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
        raise RuntimeError(f"the ledger item of {file} ({etag}) kept changing; not updated")
