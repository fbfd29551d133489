"""Every place the twin reaches into moto's internals, in one module: each seam is one small function.

The twin runs moto in-process (S3, SQS, DynamoDB) and needs a few things moto's public API (`mock_aws`,
`ThreadedMotoServer`) does not give: its WSGI app inside our own endpoint, a reset between twins, a hook on
S3 notifications (moto's EventBridge cannot target Step Functions) and atomic conditional writes in
DynamoDB. Each function below names the moto internal it relies on and why. Nothing else in `workflow/`
imports from `moto` except `mock_aws` (public).

`tests/twin/test_moto_seams.py` checks every seam twice: the internal still has the shape used here
(module, attribute, signature) and the seam still behaves (a PutObject reaches the hook once, racing
conditional PutItems of one key let exactly one through, ...). Its failures name the seam.

moto is pinned in pyproject.toml to the minor release that test was run on (`moto[...]>=5.2.5,<5.3`). To
bump it: install the new release, run `pytest tests/twin/test_moto_seams.py -q -n 0`, adapt the seam the
failure names (only here), then the whole suite, and move the pin's range to the release tested.

Behaviours of moto the twin relies on without touching an internal (checked by the same test): an SQS queue
with a redrive policy moves a message to its dead-letter queue on the receive past maxReceiveCount (the
writer's event source mapping in `esm.py` counts on it), and moto does not implement SQS message move tasks
(`sqs_move.py` answers them in front of moto; when moto does, that module can go).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.dynamodb.exceptions import ItemSizeTooLarge, MockValidationException, ResourceNotFoundException
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "ATOMIC_DYNAMODB_WRITES",
    "MotoRequestHandler",
    "S3Notification",
    "add_s3_listener",
    "answer_partiql_inserts",
    "batch_inserts_answer",
    "make_dynamodb_writes_atomic",
    "moto_app",
    "reset_moto",
    "size_items_once",
]

log = logging.getLogger(__name__)

# ---- the moto server app in our endpoint ---------------------------------------------------------------

# `MotoRequestHandler` (imported above, re-exported for `endpoint.py`, which subclasses it): moto's werkzeug
# request handler (`moto.moto_server.werkzeug_app.MotoRequestHandler`) keeps underscores in header names,
# which werkzeug's own handler drops and S3's `x-amz-meta-*` user metadata needs.
ACCOUNT_HEADER = "HTTP_X_MOTO_ACCOUNT_ID"


def moto_app(account: str) -> WSGIApplication:
    """moto's server as a WSGI app serving every service, its resources in `account`.

    Relies on `moto.moto_server.werkzeug_app.DomainDispatcherApplication(create_backend_app)` (what
    `moto_server` and `ThreadedMotoServer` run, one Flask app per service picked from the request) so one
    port serves moto and our Step Functions and Lambda APIs; and on the `x-moto-account-id` request header,
    which `moto.core.responses.BaseResponse.get_current_account` reads, so ARNs and queue URLs carry the
    twin's account instead of moto's default.
    """
    dispatcher: WSGIApplication = DomainDispatcherApplication(create_backend_app)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ[ACCOUNT_HEADER] = account
        return dispatcher(environ, start_response)

    return app


# ---- reset ---------------------------------------------------------------------------------------------


def reset_moto() -> None:
    """Empty all of moto's in-process backends, so a twin (or a test) starts from nothing.

    Relies on `moto.moto_api._internal.models.moto_api_backend.reset()`, what moto's `POST /moto-api/reset`
    runs; `mock_aws()` resets only on entry and the twin's moto lives outside any `mock_aws` block.
    """
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


# ---- S3 notifications ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Notification:
    """One notification moto's S3 sends, as plain values (no moto object leaves this module)."""

    account_id: str
    event_name: str  # e.g. "s3:ObjectCreated:Put"
    bucket: str
    key: str
    size: int
    etag: str  # without quotes
    version_id: str | None  # None unless the bucket is versioned
    multipart: bool  # the object was stored by CompleteMultipartUpload
    to_eventbridge: bool  # the bucket's notification configuration sends events to EventBridge


S3Listener = Callable[[S3Notification], None]
_s3_listeners: list[S3Listener] = []
_s3_hook_lock = threading.Lock()
_HOOK_MARK = "_csv_etl_hook"


def _notification(account_id: str, event_name: Any, bucket: Any, key: Any) -> S3Notification:
    """Read moto's FakeBucket / FakeKey (`moto.s3.models`): name, notification_configuration.event_bridge,
    is_versioned; name, size, etag, version_id, multipart."""
    config = getattr(bucket, "notification_configuration", None)
    return S3Notification(
        account_id=account_id,
        event_name=str(getattr(event_name, "value", event_name)),
        bucket=str(bucket.name),
        key=str(key.name),
        size=int(key.size),
        etag=str(key.etag).strip('"'),
        version_id=key.version_id if getattr(bucket, "is_versioned", False) else None,
        multipart=getattr(key, "multipart", None) is not None,
        to_eventbridge=config is not None and getattr(config, "event_bridge", None) is not None,
    )


def _install_s3_hook() -> None:
    """Wrap `moto.s3.notifications.send_event` once per process (idempotent)."""
    import moto.s3.notifications as notifications

    with _s3_hook_lock:
        if getattr(notifications.send_event, _HOOK_MARK, False):
            return
        original = notifications.send_event

        @functools.wraps(original)
        def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
            original(account_id, event_name, bucket, key)
            listeners = list(_s3_listeners)
            if not listeners:
                return
            try:
                notification = _notification(account_id, event_name, bucket, key)
            except Exception:  # an event source must never break the S3 call that produced it
                log.exception("reading moto's S3 notification failed")
                return
            for listener in listeners:
                try:
                    listener(notification)
                except Exception:
                    log.exception("S3 event listener failed")

        setattr(send_event, _HOOK_MARK, True)
        notifications.send_event = send_event


def add_s3_listener(listener: S3Listener) -> Callable[[], None]:
    """Call `listener` after every notification moto's S3 sends; returns the function that removes it.

    Relies on `moto.s3.notifications.send_event(account_id, event_name, bucket, key)`, the one function
    moto's S3 backend (`moto.s3.models`, called as `notifications.send_event`) calls for every object
    event (PutObject, POST, CopyObject, CompleteMultipartUpload, ...), whatever the client: moto's
    EventBridge cannot target Step Functions (it raises NotImplementedError), so the twin listens here.
    """
    _install_s3_hook()
    with _s3_hook_lock:
        _s3_listeners.append(listener)

    def remove() -> None:
        with _s3_hook_lock:
            if listener in _s3_listeners:
                _s3_listeners.remove(listener)

    return remove


# ---- DynamoDB conditional writes -----------------------------------------------------------------------

# The DynamoDBBackend methods that write items (moto.dynamodb.models.DynamoDBBackend).
ATOMIC_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_dynamodb_lock = threading.RLock()
_ATOMIC_MARK = "_csv_etl_atomic"


def make_dynamodb_writes_atomic() -> None:
    """Serialise moto's DynamoDB item writes with one process-wide lock (idempotent).

    DynamoDB's conditional writes are atomic ("Condition expressions", DynamoDB developer guide: a
    conditional write succeeds only if the condition holds at the time of the write); moto 5.2 checks the
    condition and then writes without a lock, so two concurrent conditional PutItems of one new key can both
    succeed (measured: 1 of 200 keys raced in a two-writer test). Relies on the methods named in
    `ATOMIC_DYNAMODB_WRITES` of `moto.dynamodb.models.DynamoDBBackend`, through which moto's DynamoDB
    responses (single, batch and transactional writes) store items.
    """
    for name in ATOMIC_DYNAMODB_WRITES:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, _ATOMIC_MARK, False):
            continue

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _dynamodb_lock:
                return __original(self, *args, **kwargs)

        functools.update_wrapper(locked, original)
        setattr(locked, _ATOMIC_MARK, True)
        setattr(DynamoDBBackend, name, locked)


# ---- DynamoDB PartiQL INSERT in BatchExecuteStatement ----------------------------------------------------

# `INSERT INTO "table" VALUE {'name': ?, ...}`: one item, every value a parameter (what the writer sends).
_PARAMETER_INSERT = re.compile(
    r"""\s*INSERT\s+INTO\s+"(?P<table>[^"]+)"\s+VALUE\s*\{(?P<names>(?:\s*'[^']+'\s*:\s*\?\s*,?)+)\s*\}\s*""",
    re.IGNORECASE,
)
_TUPLE_NAME = re.compile(r"'([^']+)'\s*:\s*\?")
_PARTIQL_MARK = "_csv_etl_partiql_insert"


@functools.lru_cache(maxsize=256)
def parameter_insert(statement: str) -> tuple[str, tuple[str, ...]] | None:
    """(table, attribute names) of a parameterised single-item INSERT; None for any other statement."""
    match = _PARAMETER_INSERT.fullmatch(statement)
    if match is None:
        return None
    return match["table"], tuple(_TUPLE_NAME.findall(match["names"]))


def _insert(backend: Any, table_name: str, names: tuple[str, ...], parameters: list[Any]) -> dict[str, Any]:
    """One INSERT as DynamoDB runs it: the item stored if its key is new, else a DuplicateItem error."""
    if len(parameters) != len(names):
        message = "Number of parameters in request and statement don't match."
        return {"Error": {"Code": "ValidationError", "Message": message}}
    item = dict(zip(names, parameters, strict=True))
    try:
        table = backend.get_table(table_name)
    except ResourceNotFoundException:
        return {"Error": {"Code": "ResourceNotFound", "Message": "Requested resource not found"}}
    keys = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    missing = [name for name in keys if name not in item]
    if missing:
        message = f"One or more parameter values were invalid: Missing the key {missing[0]} in the item"
        return {"Error": {"Code": "ValidationError", "Message": message}}
    range_key = DynamoType(item[table.range_key_attr]) if table.range_key_attr else None
    with _dynamodb_lock:  # the check and the write as one step, as DynamoDB's INSERT is
        if table.get_item(DynamoType(item[table.hash_key_attr]), range_key) is not None:
            return {"TableName": table_name, "Error": {"Code": "DuplicateItem", "Message": DUPLICATE_ITEM}}
        try:
            backend.put_item(table_name, item)
        except MockValidationException as exc:
            return {"TableName": table_name, "Error": {"Code": "ValidationError", "Message": exc.message}}
    return {"TableName": table_name}


DUPLICATE_ITEM = "Duplicate primary key exists in table"


def answer_partiql_inserts() -> None:
    """Run BatchExecuteStatement's parameterised INSERTs as DynamoDB does (idempotent).

    DynamoDB's INSERT fails with DuplicateItem when the key is already stored ("PartiQL insert statements for
    DynamoDB", developer guide; BatchStatementError's codes, API reference), and takes `?` parameters.
    moto 5.2's `DynamoDBBackend.batch_execute_statement` (through py-partiql-parser) overwrites the stored
    item, rejects `?` in a VALUE tuple (TypeError), and copies every item of every table to JSON for each
    statement (O(table) per row). This answers the statements `parameter_insert` recognises through moto's
    own table (`get_table`, `Table.get_item`, `DynamoDBBackend.put_item`), so scans and gets read them as
    any other item; every other statement still goes to moto's implementation. No `Item` on the error:
    real DynamoDB returns none for a duplicate INSERT whatever ReturnValuesOnConditionCheckFailure says
    (captured on AWS by nubo-db/dynoxide, tests/batch_statement_member_fields.rs, case B11).
    """
    original = DynamoDBBackend.batch_execute_statement
    if getattr(original, _PARTIQL_MARK, False):
        return

    def batch_execute_statement(self: Any, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
        responses: list[dict[str, Any]] = []
        for statement in statements:
            insert = parameter_insert(statement.get("Statement", ""))
            if insert is None:
                responses.extend(original(self, [statement]))
            else:
                responses.append(_insert(self, insert[0], insert[1], statement.get("Parameters") or []))
        return responses

    functools.update_wrapper(batch_execute_statement, original)
    setattr(batch_execute_statement, _PARTIQL_MARK, True)
    DynamoDBBackend.batch_execute_statement = batch_execute_statement  # type: ignore[method-assign]


def batch_inserts_answer(account: str, region: str) -> Callable[[bytes], bytes | None]:
    """A direct answer to a BatchExecuteStatement made only of parameterised INSERTs, for the in-process
    hand-off (handoff.py): the JSON body straight to moto's `DynamoDBBackend.batch_execute_statement` (as
    `answer_partiql_inserts` runs it) and its responses as the JSON moto's handler would send.

    moto's handler for this action (`DynamoHandler.batch_execute_statement`) only reads `Statements` from
    the body and returns the backend's list as `{"Responses": ...}`; the generic request machinery around
    it (werkzeug routing, `BaseResponse.setup_class`, the service-model `RequestParser`) costs more than
    the writes themselves for 25 statements of 10 parameters (measured: bench/throughput.py, issue 14).
    Anything else (another statement, more than 25, a body that is not JSON) returns None, and the request
    takes moto's full path.
    """

    def answer(body: bytes) -> bytes | None:
        try:
            request = json.loads(body)
        except ValueError:
            return None
        statements = request.get("Statements") if isinstance(request, dict) else None
        if not isinstance(statements, list) or not 1 <= len(statements) <= STATEMENTS_PER_BATCH:
            return None
        if not all(isinstance(s, dict) and parameter_insert(s.get("Statement", "")) for s in statements):
            return None
        responses = dynamodb_backends[account][region].batch_execute_statement(statements)
        return json.dumps({"Responses": responses}, separators=(",", ":")).encode()

    return answer


STATEMENTS_PER_BATCH = 25  # BatchExecuteStatement's limit (DynamoDB API reference)


# ---- DynamoDB item construction ------------------------------------------------------------------------

ITEM_SIZE_LIMIT = 405_000  # moto's own bound in LimitedSizeDict.__setitem__ ("between 409 and 410KB")
_SIZES_MARK = "_csv_etl_sizes_once"


def size_items_once() -> None:
    """Build moto's stored items with one size check instead of one per attribute (idempotent).

    moto 5.2's `Item.__init__` (moto.dynamodb.models.dynamo_type) stores each attribute through
    `LimitedSizeDict.__setitem__`, which re-measures every attribute already stored before adding one: 55
    size computations for a 10-attribute item, the largest single cost of a twin run (py-spy on
    bench/throughput.py, issue 14). This builds the same `LimitedSizeDict` with the same attributes, measured
    once, and raises the same `ItemSizeTooLarge` exactly when moto would: its check at each attribute is
    "the sizes so far exceed the bound", and sizes only grow, so it fails somewhere iff the total exceeds
    it. Later writes to `item.attrs` (UpdateItem) still go through moto's own `__setitem__`.
    """
    if getattr(Item.__init__, _SIZES_MARK, False):
        return

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: DynamoType(value) for key, value in attrs.items()}
        size = sum(bytesize(str(key)) + value.size() for key, value in values.items())
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, values)  # dict's own update: no per-key re-measuring

    functools.update_wrapper(__init__, Item.__init__)
    setattr(__init__, _SIZES_MARK, True)
    Item.__init__ = __init__  # type: ignore[method-assign]
