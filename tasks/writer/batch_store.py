"""Idempotent, non-overwriting storage of one batch of items in DynamoDB.

BatchWriteItem cannot be conditional, so the keys are read first (BatchGetItem): a key already stored
from the same file row with the same values is a redelivery (counted, not rewritten); a key stored from
anywhere else is a conflict (rejected with the stored item's origin). Only the rest is written.
Unprocessed keys/items are retried with exponential backoff and full jitter, a bounded number of times.

Known window: two writers racing for the same new key between the read and the write can still
overwrite each other; the transform removes collisions inside a batch, so this needs two batches with
the same timestamp written in the same instant.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

NUMBER_FIELDS = ("timestamp", "local_avg", "remote_avg")
DATA_FIELDS = (
    "date",
    "time",
    "timestamp",
    "location",
    "source",
    "local_dest",
    "local_avg",
    "remote_dest",
    "remote_avg",
)
KEY_FIELDS = ("date", "time")
GET_CHUNK = 100  # BatchGetItem: at most 100 keys per call
WRITE_CHUNK = 25  # BatchWriteItem: at most 25 put requests per call

# Errors that say "try again later"; anything else from DynamoDB will not get better by retrying.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    }
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Key = tuple[str, str]


class WriteThrottled(Exception):
    """DynamoDB kept refusing part of the batch: the state machine retries (Writer.Throttled)."""


class WriteFailed(Exception):
    """DynamoDB rejected the request itself (validation, missing table...): retrying will not help."""


@dataclass
class StoreOutcome:
    """written counts every row of the batch now stored from this file, including already_written."""

    written: int = 0
    already_written: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def as_output(self) -> dict[str, Any]:
        return {"written": self.written, "already_written": self.already_written, "conflicts": self.conflicts}


def table_item(item: dict[str, Any], source_file: str, execution: str) -> dict[str, Any]:
    """The stored item: the row's fields, numbers as Decimal (exact DynamoDB Numbers), and its origin."""
    stored: dict[str, Any] = {name: item[name] for name in DATA_FIELDS}
    for name in NUMBER_FIELDS:
        stored[name] = Decimal(item[name])
    stored["source_file"] = source_file
    stored["source_row"] = int(item["source_row"])
    stored["execution"] = execution
    return stored


def key_of(item: dict[str, Any]) -> Key:
    return item["date"], item["time"]


def classify(
    items: Sequence[dict[str, Any]], existing: dict[Key, dict[str, Any]]
) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """(items to write, number already written, conflict rejects) for items not yet known to be stored."""
    to_write: list[dict[str, Any]] = []
    already = 0
    conflicts: list[dict[str, Any]] = []
    taken: dict[Key, int] = {}
    for item in items:
        key = key_of(item)
        stored = existing.get(key)
        if stored is None:
            if key in taken:  # the transform prevents this; never let BatchWriteItem see a duplicate key
                conflicts.append(_conflict(item, f"same date and time as row {taken[key]} in this batch"))
            else:
                taken[key] = item["source_row"]
                to_write.append(item)
            continue
        same_row = (
            stored.get("source_file") == item["source_file"]
            and stored.get("source_row") == item["source_row"]
        )
        if same_row and all(stored.get(name) == item[name] for name in DATA_FIELDS):
            already += 1
        elif same_row:
            conflicts.append(
                _conflict(
                    item,
                    f"this row is already stored with different values (execution {stored.get('execution')})",
                )
            )
        else:
            conflicts.append(
                _conflict(
                    item,
                    f"date and time already stored from {stored.get('source_file')} "
                    f"row {stored.get('source_row')}",
                )
            )
    return to_write, already, conflicts


def _conflict(item: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "row": item["source_row"],
        "errors": [{"field": "timestamp", "reason": reason, "value": str(item["timestamp"])}],
    }


def _chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


class BatchStore:
    """Reads and writes one table with bounded, jittered retries of the unprocessed part."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        max_attempts: int = 8,
        base_delay_s: float = 0.05,
        max_delay_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.sleep = sleep
        self.jitter = jitter

    def store(self, items: Sequence[dict[str, Any]]) -> StoreOutcome:
        """Write the table items that are new; count redeliveries; reject conflicts."""
        existing = self.existing({key_of(item) for item in items})
        to_write, already, conflicts = classify(items, existing)
        self.put_all(to_write)
        return StoreOutcome(written=len(to_write) + already, already_written=already, conflicts=conflicts)

    def _backoff(self, attempt: int) -> None:
        """Full jitter: sleep a random time up to base * 2**attempt, capped."""
        self.sleep(min(self.max_delay_s, self.base_delay_s * 2**attempt) * self.jitter())

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in TRANSIENT_CODES:
                raise WriteThrottled(f"{operation}: {code}: {exc}") from exc
            raise WriteFailed(f"{operation}: {code}: {exc}") from exc
        except BotoCoreError as exc:  # connection trouble: transient as far as the state machine knows
            raise WriteThrottled(f"{operation}: {exc}") from exc

    def existing(self, keys: set[Key]) -> dict[Key, dict[str, Any]]:
        """The stored items for these keys (BatchGetItem, 100 keys a call, unprocessed keys retried)."""
        found: dict[Key, dict[str, Any]] = {}
        for chunk in _chunks(sorted(keys), GET_CHUNK):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"date": {"S": d}, "time": {"S": t}} for d, t in chunk],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(self.max_attempts):
                response = self._call("batch_get_item", RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = {name: _deserializer.deserialize(value) for name, value in raw.items()}
                    found[key_of(item)] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                if attempt + 1 < self.max_attempts:
                    self._backoff(attempt)
            if request:
                raise WriteThrottled(f"BatchGetItem left keys unprocessed after {self.max_attempts} attempts")
        return found

    def put_all(self, items: Sequence[dict[str, Any]]) -> None:
        """BatchWriteItem, 25 a call; unprocessed items retried; WriteThrottled if some never go through."""
        for chunk in _chunks(items, WRITE_CHUNK):
            pending: list[dict[str, Any]] = [
                {"PutRequest": {"Item": {name: _serializer.serialize(value) for name, value in item.items()}}}
                for item in chunk
            ]
            for attempt in range(self.max_attempts):
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                pending = (response.get("UnprocessedItems") or {}).get(self.table_name, [])
                if not pending:
                    break
                if attempt + 1 < self.max_attempts:
                    self._backoff(attempt)
            if pending:
                raise WriteThrottled(
                    f"{len(pending)} items still unprocessed after "
                    f"{self.max_attempts} BatchWriteItem attempts"
                )
