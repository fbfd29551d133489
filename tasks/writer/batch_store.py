"""Storing one batch of items in DynamoDB without ever overwriting a stored item.

Each item is written with a conditional PutItem (`attribute_not_exists(date)`): the write itself decides,
so two writers racing for the same key can never replace each other's rows. When the condition fails,
DynamoDB returns the stored item (`ReturnValuesOnConditionCheckFailure=ALL_OLD`), so no read is needed
before the write, and the row is classified against it:
- `written`: stored now, or already stored by this same execution from the same file row (a redelivery
  or a redrive of the batch);
- `duplicate`: the same values already stored from another origin (an earlier execution of this file,
  or another file): counted and named, not a reject;
- `conflict`: different values under the stored key: rejected with both origins, never overwritten.
Puts run concurrently on a small thread pool (boto3 clients are thread-safe). Throttling, 5xx and
connection errors are retried with exponential backoff and full jitter, then the batch fails as
`WriteThrottled` so the state machine retries it later (docs/architecture.md, Writer).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from writer_message import ITEM_NUMBER_FIELDS as NUMBER_FIELDS
from writer_message import ITEM_TEXT_FIELDS as DATA_FIELDS

KEY_FIELDS = ("date", "time")
PUT_WORKERS = 8  # concurrent PutItem calls per message: enough to hide latency, small for Lambda

# Errors that say "try again later"; anything else from DynamoDB will not get better by retrying.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "TransactionConflictException",
    }
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Key = tuple[str, str]


class WriteThrottled(Exception):
    """DynamoDB kept refusing (throttling, 5xx, connection): the state machine retries (Writer.Throttled)."""


class WriteFailed(Exception):
    """DynamoDB rejected the request itself (validation, missing table...): retrying will not help."""


@dataclass
class StoreOutcome:
    """Rows of one message by outcome; written + duplicate + len(conflicts) = the message's items."""

    written: int = 0
    duplicate: int = 0
    duplicate_origins: dict[str, int] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def as_output(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "duplicate": self.duplicate,
            "duplicate_origins": self.duplicate_origins,
            "conflicts": self.conflicts,
        }


def table_item(
    item: dict[str, Any], source_file: str, execution: str, etag: str | None = None
) -> dict[str, Any]:
    """The stored item: the row's fields, numbers as Decimal (exact DynamoDB Numbers), and its origin."""
    stored: dict[str, Any] = {name: item[name] for name in DATA_FIELDS}
    for name in NUMBER_FIELDS:
        stored[name] = Decimal(item[name])
    stored["source_file"] = source_file
    stored["source_row"] = int(item["source_row"])
    stored["execution"] = execution
    if etag:
        stored["source_etag"] = etag
    return stored


def key_of(item: dict[str, Any]) -> Key:
    return item["date"], item["time"]


def origin_of(stored: dict[str, Any]) -> str:
    """Where a stored item came from, in words: file, row and execution."""
    return f"{stored.get('source_file')} row {stored.get('source_row')} (execution {stored.get('execution')})"


def classify(item: dict[str, Any], stored: dict[str, Any]) -> str:
    """`written`, `duplicate` or `conflict` for an item whose key is already stored as `stored`."""
    same_values = all(stored.get(name) == item[name] for name in DATA_FIELDS)
    same_origin = all(stored.get(name) == item[name] for name in ("source_file", "source_row", "execution"))
    if same_values and same_origin:
        return "written"
    return "duplicate" if same_values else "conflict"


def conflict_reject(
    item: dict[str, Any], stored: dict[str, Any] | None, reason: str | None = None
) -> dict[str, Any]:
    """A reject for a row that was not stored because another item holds its key; names both origins."""
    if reason is None:
        reason = f"date and time already stored with different values from {origin_of(stored or {})}"
    reject: dict[str, Any] = {
        "row": item["source_row"],
        "errors": [{"field": "timestamp", "reason": reason, "value": str(item["timestamp"])}],
    }
    if stored is not None:
        reject["stored"] = {
            "file": stored.get("source_file"),
            "row": int(stored["source_row"]) if stored.get("source_row") is not None else None,
            "execution": stored.get("execution"),
        }
    return reject


class BatchStore:
    """Conditional puts to one table, concurrently, with bounded jittered retries of transient errors."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        max_attempts: int = 6,
        base_delay_s: float = 0.05,
        max_delay_s: float = 2.0,
        workers: int = PUT_WORKERS,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.workers = workers
        self.sleep = sleep
        self.jitter = jitter

    def store(self, items: Sequence[dict[str, Any]]) -> StoreOutcome:
        """Put every item that is new; classify the others against what is stored."""
        outcome = StoreOutcome()
        seen: dict[Key, int] = {}
        unique: list[dict[str, Any]] = []
        for item in items:  # the transform prevents this; a duplicate key inside a batch is a conflict
            key = key_of(item)
            if key in seen:
                outcome.conflicts.append(
                    conflict_reject(item, None, f"same date and time as row {seen[key]} in this batch")
                )
            else:
                seen[key] = item["source_row"]
                unique.append(item)
        gave_up = threading.Event()  # one put out of retries: the others stop retrying, the batch fails fast

        def put(item: dict[str, Any]) -> dict[str, Any] | None:
            return self.put_new(item, gave_up)

        if len(unique) <= 1 or self.workers <= 1:
            results = [put(item) for item in unique]
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(unique))) as pool:
                results = list(pool.map(put, unique))
        for item, stored in zip(unique, results, strict=True):
            kind = "written" if stored is None else classify(item, stored)
            if kind == "written":
                outcome.written += 1
            elif kind == "duplicate":
                outcome.duplicate += 1
                origin = f"{stored.get('source_file')} (execution {stored.get('execution')})"  # type: ignore[union-attr]
                outcome.duplicate_origins[origin] = outcome.duplicate_origins.get(origin, 0) + 1
            else:
                outcome.conflicts.append(conflict_reject(item, stored))
        outcome.conflicts.sort(key=lambda reject: reject["row"])
        return outcome

    def put_new(self, item: dict[str, Any], gave_up: threading.Event | None = None) -> dict[str, Any] | None:
        """Conditional PutItem: None when stored now, else the item already stored under the key."""
        request = {
            "TableName": self.table_name,
            "Item": {name: _serializer.serialize(value) for name, value in item.items()},
            "ConditionExpression": "attribute_not_exists(#d)",
            "ExpressionAttributeNames": {"#d": "date"},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            self.call("put_item", gave_up=gave_up, **request)
        except ClientError as exc:  # only the condition failure comes back as a ClientError
            response: Any = exc.response  # a failed condition's ALL_OLD item rides on the error response
            stored: dict[str, Any] = response.get("Item") or {}
            return {name: _deserializer.deserialize(value) for name, value in stored.items()}
        return None

    def put_record(self, item: dict[str, Any]) -> None:
        """Unconditional PutItem (an idempotent record: the same key always gets the same content)."""
        self.call(
            "put_item",
            TableName=self.table_name,
            Item={name: _serializer.serialize(value) for name, value in item.items()},
        )

    def put_record_if_absent(self, item: dict[str, Any]) -> bool:
        """Conditional PutItem of a record: False (nothing changed) when the key already holds one."""
        try:
            self.call(
                "put_item",
                TableName=self.table_name,
                Item={name: _serializer.serialize(value) for name, value in item.items()},
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError:  # only the condition failure comes back as a ClientError
            return False
        return True

    def _backoff(self, attempt: int) -> None:
        """Full jitter: sleep a random time up to base * 2**attempt, capped."""
        self.sleep(min(self.max_delay_s, self.base_delay_s * 2**attempt) * self.jitter())

    def call(self, operation: str, gave_up: threading.Event | None = None, **kwargs: Any) -> dict[str, Any]:
        """One DynamoDB call; transient errors retried; a failed condition re-raised as the ClientError."""
        problem: Exception | None = None
        for attempt in range(self.max_attempts):
            if gave_up is not None and gave_up.is_set() and problem is not None:
                break
            try:
                response: dict[str, Any] = getattr(self.client, operation)(**kwargs)
                return response
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
                if code == "ConditionalCheckFailedException":
                    raise
                if code not in TRANSIENT_CODES and status < 500:
                    raise WriteFailed(f"{operation}: {code}: {exc}") from exc
                problem = exc
            except BotoCoreError as exc:  # connection trouble: transient as far as the state machine knows
                problem = exc
            if attempt + 1 < self.max_attempts:
                self._backoff(attempt)
        if gave_up is not None:
            gave_up.set()
        raise WriteThrottled(f"{operation} still failing after {self.max_attempts} attempts: {problem}")
