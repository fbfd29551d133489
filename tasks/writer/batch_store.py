"""Storing one batch of items in DynamoDB without ever overwriting a stored item.

Items go in as PartiQL INSERTs, 25 to a BatchExecuteStatement call (DynamoDB's limit). An INSERT fails
with DuplicateItem when the key is already stored ("PartiQL insert statements for DynamoDB", developer
guide), so the write itself decides: two writers racing for the same key can never replace each other's
rows, and no read comes before the write. Each INSERT is billed as a PutItem (one write unit per KB), the
same as a conditional PutItem, in 1/25 of the calls. Only the rows that came back DuplicateItem are read
(one consistent BatchGetItem; DynamoDB returns no item on a failed batch INSERT) and classified:
- `written`: stored now, or already stored by this same execution from the same file row (a redelivery
  or a redrive of the batch);
- `duplicate`: the same values already stored from another origin (an earlier execution of this file,
  or another file): counted and named, not a reject;
- `conflict`: different values under the stored key: rejected with both origins, never overwritten.
Calls run concurrently on a small thread pool (boto3 clients are thread-safe). Throttling, 5xx and
connection errors, of a whole call or of single statements, are retried with exponential backoff and full
jitter, then the batch fails as `WriteThrottled` so the state machine retries it later
(docs/architecture.md, Writer).
"""

from __future__ import annotations

import functools
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
PUT_WORKERS = 4  # concurrent write calls per message: enough to hide latency, small for Lambda
STATEMENTS_PER_CALL = 25  # BatchExecuteStatement takes 1 to 25 statements
KEYS_PER_GET = 100  # BatchGetItem takes up to 100 keys

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

# A single statement's error codes (BatchStatementError, DynamoDB API reference) that say "try again later".
TRANSIENT_STATEMENT_CODES = frozenset(
    {"ProvisionedThroughputExceeded", "ThrottlingError", "RequestLimitExceeded", "InternalServerError"}
    | {"TransactionConflict"}
)
EXISTING_CODES = frozenset({"DuplicateItem", "ConditionalCheckFailed"})  # the key is already stored

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


@functools.lru_cache(maxsize=64)
def _insert_text(table_name: str, names: tuple[str, ...]) -> str:
    values = ", ".join(f"'{name}': ?" for name in names)
    return f'INSERT INTO "{table_name}" VALUE {{{values}}}'


def insert_statement(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    """A PartiQL INSERT of the item, every value a parameter (never spliced into the statement's text)."""
    return {
        "Statement": _insert_text(table_name, tuple(item)),
        "Parameters": [
            {"S": value} if type(value) is str else _serializer.serialize(value) for value in item.values()
        ],
    }


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
        """Insert every item that is new; classify the others against what is stored."""
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
        stored: dict[Key, dict[str, Any]] = {}  # what is under the keys an INSERT found taken
        pending = unique
        for _ in range(3):  # a key found taken and then gone again (deleted meanwhile) is inserted again
            existing = self.insert_new(pending)
            stored.update(self.get_stored([key_of(item) for item in existing]))
            pending = [item for item in existing if key_of(item) not in stored]
            if not pending:
                break
        else:
            raise WriteThrottled(f"{len(pending)} keys kept changing between INSERT and read: retry later")
        for item in unique:
            previous = stored.get(key_of(item))
            kind = "written" if previous is None else classify(item, previous)
            if kind == "written":
                outcome.written += 1
            elif kind == "duplicate":
                outcome.duplicate += 1
                origin = f"{previous.get('source_file')} (execution {previous.get('execution')})"  # type: ignore[union-attr]
                outcome.duplicate_origins[origin] = outcome.duplicate_origins.get(origin, 0) + 1
            else:
                outcome.conflicts.append(conflict_reject(item, previous))
        outcome.conflicts.sort(key=lambda reject: reject["row"])
        return outcome

    def insert_new(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """INSERT each item; the ones whose key was already stored, in order."""
        chunks = [items[i : i + STATEMENTS_PER_CALL] for i in range(0, len(items), STATEMENTS_PER_CALL)]
        gave_up = threading.Event()  # one call out of retries: the others stop retrying, the batch fails fast
        if len(chunks) <= 1 or self.workers <= 1:
            results = [self.insert_chunk(chunk, gave_up) for chunk in chunks]
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool:
                results = list(pool.map(lambda chunk: self.insert_chunk(chunk, gave_up), chunks))
        return [item for taken in results for item in taken]

    def insert_chunk(self, chunk: Sequence[dict[str, Any]], gave_up: threading.Event) -> list[dict[str, Any]]:
        """One BatchExecuteStatement of INSERTs, its throttled statements retried; the items found taken."""
        taken: list[dict[str, Any]] = []
        pending = list(chunk)
        for attempt in range(self.max_attempts):
            statements = [insert_statement(self.table_name, item) for item in pending]
            response = self.call("batch_execute_statement", gave_up=gave_up, Statements=statements)
            again: list[dict[str, Any]] = []
            codes: set[str] = set()
            for item, answer in zip(pending, response["Responses"], strict=True):
                error = answer.get("Error")
                if error is None:
                    continue
                code = error.get("Code", "")
                if code in EXISTING_CODES:
                    taken.append(item)
                elif code in TRANSIENT_STATEMENT_CODES:
                    again.append(item)
                    codes.add(code)
                else:
                    raise WriteFailed(
                        f"BatchExecuteStatement INSERT into {self.table_name}, file row {item['source_row']}:"
                        f" {code}: {error.get('Message', '')}"
                    )
            if not again:
                return taken
            pending = again
            if gave_up.is_set():
                break
            if attempt + 1 < self.max_attempts:
                self._backoff(attempt)
        gave_up.set()
        raise WriteThrottled(
            f"BatchExecuteStatement: {len(pending)} INSERTs still refused after {self.max_attempts} attempts"
            f" ({', '.join(sorted(codes))})"
        )

    def get_stored(self, keys: Sequence[Key]) -> dict[Key, dict[str, Any]]:
        """The items stored under these keys (a consistent read, so it sees the write that took the key)."""
        found: dict[Key, dict[str, Any]] = {}
        for start in range(0, len(keys), KEYS_PER_GET):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [
                        {name: {"S": value} for name, value in zip(KEY_FIELDS, key, strict=True)}
                        for key in keys[start : start + KEYS_PER_GET]
                    ],
                    "ConsistentRead": True,
                }
            }
            for attempt in range(self.max_attempts):
                response = self.call("batch_get_item", RequestItems=request)
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    stored = {name: _deserializer.deserialize(value) for name, value in raw.items()}
                    found[key_of(stored)] = stored
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                if attempt + 1 < self.max_attempts:
                    self._backoff(attempt)
            else:
                raise WriteThrottled(
                    f"BatchGetItem: keys still unprocessed after {self.max_attempts} attempts"
                )
        return found

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
