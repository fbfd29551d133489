"""The per-file ledger table (docs: prompts' ledger contract), read when it exists.

One item per object version (`file` = `s3://bucket/key`, `sk` = `OBJECT#<etag>`) with the latest
execution's status, row counts, executions (first, redrives, replays), error, failed batches, rejects location
and next step. Other items in the table (`BATCH#...`, ...) are skipped. When the table is absent the console
falls back to S3 and Step Functions (see files.py and executions.py).
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from workflow.twin.tracking import ROW_COUNTS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

OBJECT_PREFIX = "OBJECT#"
COUNT_FIELDS = (*ROW_COUNTS, "rows_dead_lettered")
RECHECK_S = 30.0  # how long "the table exists / does not" is believed before asking again
MAX_SCAN_ITEMS = 5_000

_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def from_dynamodb(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (`{"S": ...}`) as plain Python (Decimals as int/float)."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def file_record(item: dict[str, Any]) -> dict[str, Any]:
    """A ledger OBJECT item as the console's file record (the same shape the fallback produces)."""
    file_uri = str(item.get("file", ""))
    bucket, _, key = file_uri.removeprefix("s3://").partition("/")
    executions = list(item.get("executions") or [])
    latest = executions[-1] if executions else {}
    counts = {name: item[name] for name in COUNT_FIELDS if name in item}
    return {
        "source": "ledger",
        "file": file_uri,
        "bucket": item.get("bucket") or bucket,
        "key": item.get("key") or key,
        "etag": item.get("etag") or str(item.get("sk", "")).removeprefix(OBJECT_PREFIX),
        "version_id": item.get("version_id"),
        "size": item.get("size"),
        "uploaded_at": item.get("uploaded_at"),
        "updated_at": item.get("updated_at"),
        "status": item.get("status"),
        "outcome": item.get("outcome"),
        "counts": counts,
        "executions": executions,
        "execution_arn": latest.get("execution_arn"),
        "redrives": sum(1 for e in executions if e.get("kind") == "redrive"),
        "error": item.get("error"),
        "failed_batches": list(item.get("failed_batches") or []),
        "rejects_location": item.get("rejects_location"),
        "warnings": list(item.get("warnings") or []),
        "next_step": item.get("next_step"),
    }


class Ledger:
    """Reads the ledger table through a low-level DynamoDB client; `available()` is False without it."""

    def __init__(self, client: DynamoDBClient, table: str | None) -> None:
        self.client = client
        self.table = table
        self._known = False
        self._known_until = 0.0
        self._lock = threading.Lock()

    def available(self) -> bool:
        """Whether the table exists (the answer is kept for RECHECK_S seconds)."""
        if not self.table:
            return False
        with self._lock:
            if time.monotonic() < self._known_until:
                return self._known
        try:
            self.client.describe_table(TableName=self.table)
            known = True
        except Exception as exc:
            if not _not_found(exc):
                raise
            known = False
        with self._lock:
            self._known, self._known_until = known, time.monotonic() + RECHECK_S
        return known

    def _name(self) -> str:
        if not self.table:
            raise LookupError("no ledger table: ask available() first")
        return self.table

    def files(self) -> list[dict[str, Any]]:
        """Every OBJECT item, newest upload first (a scan, bounded to MAX_SCAN_ITEMS items)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._name(),
            "FilterExpression": "begins_with(sk, :p)",
            "ExpressionAttributeValues": {":p": {"S": OBJECT_PREFIX}},
        }
        while len(items) < MAX_SCAN_ITEMS:
            page = self.client.scan(**kwargs)
            items.extend(from_dynamodb(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        records = [file_record(i) for i in items]
        records.sort(key=lambda r: str(r.get("uploaded_at") or ""), reverse=True)
        return records

    def file(self, bucket: str, key: str) -> list[dict[str, Any]]:
        """The OBJECT items of one file (one per object version), newest upload first."""
        response = self.client.query(
            TableName=self._name(),
            KeyConditionExpression="#f = :f AND begins_with(sk, :p)",
            ExpressionAttributeNames={"#f": "file"},
            ExpressionAttributeValues={":f": {"S": f"s3://{bucket}/{key}"}, ":p": {"S": OBJECT_PREFIX}},
        )
        records = [file_record(from_dynamodb(i)) for i in response.get("Items", [])]
        records.sort(key=lambda r: str(r.get("uploaded_at") or ""), reverse=True)
        return records

    def for_execution(self, bucket: str, key: str, execution_arn: str) -> dict[str, Any] | None:
        """The file record whose executions include this ARN (a redrive keeps the ARN)."""
        for record in self.file(bucket, key):
            if any(e.get("execution_arn") == execution_arn for e in record["executions"]):
                return record
        return None


def _not_found(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return bool(code == "ResourceNotFoundException")
