"""Fault injection for the twin: a registry of armed faults that the twin consults, never the handlers.

Three hook points, all outside `tasks/` (the handlers stay the plain Lambda code AWS runs):
- boto3 calls (`BaseClient._make_api_call`, patched once per process): a fault may raise instead of the
  call or answer part of it (DynamoDB throttling the INSERTs of some rows, a crash just before the
  writer's SendTaskSuccess = "the writer crashed after writing, before reporting"), matched on service,
  operation and parameters;
- the function's invocation (the twin runtime's `overrides`, wrapping the real handler): raise in the
  handler (a connection reset), outlive the timeout (Sandbox.Timedout), deliver an SQS message twice;
- the Lambda Invoke API the engine calls (`TwinBackend.invoke_lambda`): throttling
  (TooManyRequestsException), which the state machine sees as Lambda.TooManyRequestsException.

Tests arm faults with the helpers below and `clear()` them after; each fault fires `times` times (None:
until cleared) and counts how often it fired.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from workflow.engine.errors import ServiceError
from workflow.twin.moto_seams import parameter_insert


class InjectedCrash(Exception):
    """The function 'crashed' at this point (the invocation fails; SQS redelivers the message)."""


@dataclass
class Fault:
    name: str
    point: str  # "call" (boto3), "invoke" (in the handler), "lambda_api" (Invoke API)
    match: Callable[..., bool]
    action: Callable[..., Any]
    times: int | None = 1
    fired: int = 0


@dataclass
class FaultRegistry:
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, fault: Fault) -> Fault:
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def take(self, point: str, *args: Any) -> Fault | None:
        """The first armed fault of this point matching the arguments, counted as fired."""
        if not self.faults:
            return None
        with self.lock:
            for fault in self.faults:
                if fault.point != point or (fault.times is not None and fault.fired >= fault.times):
                    continue
                if fault.match(*args):
                    fault.fired += 1
                    return fault
        return None


registry = FaultRegistry()
_patch_lock = threading.Lock()
_HOOKED = "_make_api_call"  # the one method every boto3 client call goes through
_MARK = "_csv_etl_faults"


def _install_call_hook() -> None:
    from botocore.client import BaseClient

    with _patch_lock:
        original: Callable[..., Any] = getattr(BaseClient, _HOOKED)  # private: not in botocore's stubs
        if getattr(original, "_csv_etl_faults", False):
            return

        def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            service = self.meta.service_model.service_name
            fault = registry.take("call", service, operation_name, api_params)
            if fault is not None:
                return fault.action(self, operation_name, api_params, original)
            return original(self, operation_name, api_params)

        setattr(make_api_call, _MARK, True)
        setattr(BaseClient, _HOOKED, make_api_call)


def install(twin: Any) -> None:
    """Wire the registry into a started twin: boto3 calls, the functions' handlers, the Invoke API."""
    from workflow.twin import threadenv

    _install_call_hook()
    runtime = twin.runtime
    for key in ("transform", "writer"):
        spec = twin.config.function(key)
        runtime.overrides.pop(key, None)
        real = runtime.handler(spec)

        def wrapped(event: Any, context: Any, _key: str = key, _real: Any = real, _spec: Any = spec) -> Any:
            fault = registry.take("invoke", _key, event)
            if fault is None:
                return _real(event, context)
            env = runtime.environment(_spec)

            def call_real(e: Any = event) -> Any:
                with threadenv.function_environment(env):
                    return _real(e, context)

            return fault.action(event, context, call_real)

        runtime.overrides[key] = wrapped
    backend = twin.backend
    if not getattr(backend, "_csv_etl_faults", False):
        real_invoke = backend.invoke_lambda

        def invoke_lambda(function_name: str, payload: bytes, *args: Any, **kwargs: Any) -> Any:
            fault = registry.take("lambda_api", function_name, payload)
            if fault is not None:
                fault.action(function_name, payload)
            return real_invoke(function_name, payload, *args, **kwargs)

        backend.invoke_lambda = invoke_lambda
        backend._csv_etl_faults = True


# ---- matching helpers ----------------------------------------------------------------------------------
def _batch_first_row(event: Any) -> int | None:
    """The first file row of a transform event (Items) or of the first writer message (Records)."""
    if isinstance(event, dict) and isinstance(event.get("Items"), list) and event["Items"]:
        return int(event["Items"][0]["index"]) + 2
    if isinstance(event, dict) and isinstance(event.get("Records"), list) and event["Records"]:
        try:
            return int(json.loads(event["Records"][0]["body"])["first_row"])
        except (KeyError, TypeError, ValueError):
            return None
    return None


def _statement_row(statement: dict[str, Any]) -> tuple[str, int | None] | None:
    """(table, file row) of one of the writer's INSERT statements; None for any other statement."""
    insert = parameter_insert(statement.get("Statement", ""))
    if insert is None:
        return None
    table, names = insert
    parameters = statement.get("Parameters") or []
    if "source_row" not in names or len(parameters) != len(names):
        return table, None
    row = parameters[names.index("source_row")]
    return table, int(row["N"]) if isinstance(row, dict) and "N" in row else None


def _written_rows(operation: str, params: dict[str, Any], table: str) -> list[int | None] | None:
    """The file rows a DynamoDB write call puts into `table` (None: not such a call). The writer's items go
    in as INSERTs in BatchExecuteStatement; a PutItem of an item counts too."""
    if operation == "PutItem":
        if params.get("TableName") != table:
            return None
        row = (params.get("Item") or {}).get("source_row", {})
        return [int(row["N"]) if isinstance(row, dict) and "N" in row else None]
    if operation == "BatchExecuteStatement":
        rows = [_statement_row(s) for s in params.get("Statements") or []]
        mine = [found[1] for found in rows if found is not None and found[0] == table]
        return mine or None
    return None


def _hits(operation: str, params: dict[str, Any], table: str, rows: range | None) -> bool:
    written = _written_rows(operation, params, table)
    return written is not None and (rows is None or any(row in rows for row in written))


# ---- the faults the issue lists ------------------------------------------------------------------------
def throttle_dynamodb(table: str, rows: range | None = None, times: int | None = None) -> Fault:
    """A write of items to `table` (any of these file rows) answers ProvisionedThroughputExceededException."""

    def match(service: str, operation: str, params: dict[str, Any]) -> bool:
        return service == "dynamodb" and _hits(operation, params, table, rows)

    return registry.arm(Fault("dynamodb-throttled", "call", match, _throttled, times))


def throttle_dynamodb_for(table: str, seconds: float, rows: range | None = None) -> Fault:
    """Writes of items to `table` (of these file rows) are throttled for `seconds` of real time from now,
    then accepted again: a busy table that recovers on its own."""
    until = time.monotonic() + seconds

    def match(service: str, operation: str, params: dict[str, Any]) -> bool:
        if time.monotonic() >= until:
            return False
        return service == "dynamodb" and _hits(operation, params, table, rows)

    return registry.arm(Fault("dynamodb-throttled-for-a-while", "call", match, _throttled, None))


def unprocessed_items(table: str, rows: Sequence[int], refusals: int = 2) -> Fault:
    """DynamoDB refuses some statements of a batch: the INSERT of each of these file rows answers
    ProvisionedThroughputExceeded (a BatchStatementError code) its first `refusals` times, while the call's
    other statements are stored, as a BatchExecuteStatement under load can. Its `fired` counts the refused
    statements."""
    refused: dict[int, int] = {}
    lock = threading.Lock()
    wanted = set(rows)

    def due(row: int | None) -> bool:
        return row is not None and row in wanted and refused.get(row, 0) < refusals

    def match(service: str, operation: str, params: dict[str, Any]) -> bool:
        if service != "dynamodb" or operation != "BatchExecuteStatement":
            return False
        written = _written_rows(operation, params, table) or []
        with lock:
            return any(due(row) for row in written)

    def action(client: Any, operation: str, params: dict[str, Any], original: Any) -> Any:
        statements = params["Statements"]
        with lock:
            refuse = []
            for statement in statements:
                found = _statement_row(statement)
                row = found[1] if found is not None and found[0] == table else None
                if row is not None and due(row):
                    refused[row] = refused.get(row, 0) + 1
                    refuse.append(True)
                else:
                    refuse.append(False)
        fault.fired += sum(refuse) - 1  # take() counted the call once; count each refused statement
        passed = [statement for statement, no in zip(statements, refuse, strict=True) if not no]
        answers = iter(
            original(client, operation, {**params, "Statements": passed})["Responses"] if passed else []
        )
        error = {"Code": "ProvisionedThroughputExceeded", "Message": "injected: rate exceeded"}
        responses = [{"TableName": table, "Error": dict(error)} if no else next(answers) for no in refuse]
        return {"Responses": responses, "ResponseMetadata": {"HTTPStatusCode": 200}}

    fault = Fault("dynamodb-unprocessed-items", "call", match, action, None)
    return registry.arm(fault)


def _throttled(client: Any, operation: str, params: dict[str, Any], original: Any) -> Any:
    response: Any = {
        "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected: rate exceeded"},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    raise ClientError(response, operation)


def watch_calls(service: str, operation: str, where: Callable[[dict[str, Any]], bool]) -> Fault:
    """Not a fault: counts the boto3 calls matching (service, operation, where(params)) and lets them
    through, so a test can tell e.g. how often the writer reported Writer.Throttled."""

    def match(svc: str, op: str, params: dict[str, Any]) -> bool:
        return svc == service and op == operation and where(params)

    def action(client: Any, op: str, params: dict[str, Any], original: Any) -> Any:
        return original(client, op, params)

    return registry.arm(Fault(f"watch-{service}-{operation}", "call", match, action, None))


def transform_error(first_row: int, error: type[Exception] = ConnectionResetError, times: int = 1) -> Fault:
    """The transform raises (a connection reset by default) for the batch starting at `first_row`."""

    def match(key: str, event: Any) -> bool:
        return key == "transform" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        raise error(f"injected: {error.__name__} in the batch at row {first_row}")

    return registry.arm(Fault("transform-error", "invoke", match, action, times))


def transform_timeout(first_row: int, seconds: float, times: int = 1) -> Fault:
    """The transform hangs past its timeout for the batch at `first_row` (Lambda: Sandbox.Timedout)."""

    def match(key: str, event: Any) -> bool:
        return key == "transform" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        time.sleep(seconds)
        return call_real()

    return registry.arm(Fault("transform-timeout", "invoke", match, action, times))


def lambda_throttled(function_name: str, times: int = 1) -> Fault:
    """The Invoke API refuses (TooManyRequestsException, 429) for this function."""

    def match(name: str, payload: bytes) -> bool:
        return name.rsplit(":", 1)[-1] == function_name or name.endswith(f":function:{function_name}")

    def action(name: str, payload: bytes) -> None:
        raise ServiceError("TooManyRequestsException", "injected: Rate Exceeded.", 429)

    return registry.arm(Fault("lambda-throttled", "lambda_api", match, action, times))


def deliver_twice(first_row: int, times: int = 1) -> Fault:
    """SQS delivers the message of the batch at `first_row` twice, to two concurrent writer invocations."""

    def match(key: str, event: Any) -> bool:
        return key == "writer" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        twin_event = {"Records": [{**r, "messageId": r["messageId"] + "-again"} for r in event["Records"]]}
        other = threading.Thread(target=call_real, args=(twin_event,), name="sqs-second-delivery")
        other.start()
        result = call_real()
        other.join(60)
        return result

    return registry.arm(Fault("sqs-delivered-twice", "invoke", match, action, times))


def writer_crash_after_write(first_row: int, times: int | None = 1) -> Fault:
    """The writer stores the batch, then crashes before reporting (its message is redelivered by SQS).

    The invoke hook runs the real writer with SendTaskSuccess for that batch raising InjectedCrash.
    """

    def match(key: str, event: Any) -> bool:
        return key == "writer" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        _crashing.add(threading.get_ident())
        try:
            return call_real()
        finally:
            _crashing.discard(threading.get_ident())

    def call_match(service: str, operation: str, params: dict[str, Any]) -> bool:
        return (
            service == "stepfunctions"
            and operation == "SendTaskSuccess"
            and (threading.get_ident() in _crashing)
        )

    def call_action(client: Any, operation: str, params: dict[str, Any], original: Any) -> Any:
        raise InjectedCrash(f"injected: the writer crashed after storing the batch at row {first_row}")

    crash = registry.arm(Fault("writer-crash-after-write", "invoke", match, action, times))
    registry.arm(Fault("writer-crash-report", "call", call_match, call_action, times=None))
    return crash


def writer_crash_before_write(first_row: int, times: int | None = 1) -> Fault:
    """The writer's invocation crashes before it does anything (SQS redelivers the message after its
    visibility timeout, or Enqueue's heartbeat timeout sends a new one)."""

    def match(key: str, event: Any) -> bool:
        return key == "writer" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        raise InjectedCrash(f"injected: the writer crashed before storing the batch at row {first_row}")

    return registry.arm(Fault("writer-crash-before-write", "invoke", match, action, times))


def lose_message(first_row: int, times: int = 1) -> Fault:
    """The batch's SQS message is lost: its writer invocation returns without reading it, so the event
    source mapping deletes it. Only Enqueue's HeartbeatSeconds can notice (then its Retry sends it again)."""

    def match(key: str, event: Any) -> bool:
        return key == "writer" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        return {"batchItemFailures": []}

    return registry.arm(Fault("sqs-message-lost", "invoke", match, action, times))


def task_token_never_returned(first_row: int, times: int = 1) -> Fault:
    """The writer stores the batch and records it, but its SendTaskSuccess never reaches Step Functions
    (answered as if sent): the message is deleted and the task waits for a report that never comes."""

    def match(key: str, event: Any) -> bool:
        return key == "writer" and _batch_first_row(event) == first_row

    def action(event: Any, context: Any, call_real: Callable[..., Any]) -> Any:
        _swallowing.add(threading.get_ident())
        try:
            return call_real()
        finally:
            _swallowing.discard(threading.get_ident())

    def call_match(service: str, operation: str, params: dict[str, Any]) -> bool:
        return (
            service == "stepfunctions"
            and operation == "SendTaskSuccess"
            and threading.get_ident() in _swallowing
        )

    def call_action(client: Any, operation: str, params: dict[str, Any], original: Any) -> Any:
        return {}

    lost = registry.arm(Fault("task-token-never-returned", "invoke", match, action, times))
    registry.arm(Fault("task-report-swallowed", "call", call_match, call_action, times=None))
    return lost


_crashing: set[int] = set()
_swallowing: set[int] = set()
