"""The Lambda functions conformance cases may use, by name: small Python callables (event, ctx) -> result.

A case maps function names (as its definition calls them) to entries here: `"mocks": {"functions":
{"my-fn": "echo"}}`. Raising an exception reports a function error the way Lambda's Python runtime does
(`errorType` = the exception class name); raising `LambdaServiceError` makes the Invoke API call itself fail
(throttling, missing function), which Step Functions reports as `Lambda.<Code>`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class LambdaServiceError(Exception):
    """The Invoke API call fails (not the function): e.g. TooManyRequestsException, status 429."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class FunctionContext:
    """Per-test state the functions share with the runner: call counts and captured task tokens."""

    calls: dict[str, int] = field(default_factory=dict)
    events: list[tuple[str, Any]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def count(self, name: str) -> int:
        self.calls[name] = self.calls.get(name, 0) + 1
        return self.calls[name]


def _error_class(name: str) -> type[Exception]:
    """An exception class whose __name__ is `name`, so the error type Step Functions sees is exactly it."""
    return type(name, (Exception,), {})


def echo(event: Any, ctx: FunctionContext) -> Any:
    return event


def add(event: Any, ctx: FunctionContext) -> Any:
    return {"sum": event["a"] + event["b"]}


def double(event: Any, ctx: FunctionContext) -> Any:
    return event * 2 if isinstance(event, int | float) else {"value": event["value"] * 2}


def fail(event: Any, ctx: FunctionContext) -> Any:
    """Raises `errorType` (default CustomError) with `message` from the event."""
    event = event if isinstance(event, dict) else {}
    raise _error_class(event.get("errorType", "CustomError"))(event.get("message", "boom"))


def fail_twice(event: Any, ctx: FunctionContext) -> Any:
    """Fails the first two calls with TransientError, then echoes: exercises Retry."""
    if ctx.count("fail_twice") <= 2:
        raise _error_class("TransientError")("try again")
    return event


def fail_first(event: Any, ctx: FunctionContext) -> Any:
    """Fails the first call only, then echoes: a redrive (or retry) succeeds."""
    if ctx.count("fail_first") == 1:
        raise _error_class("FirstCallError")("first call fails")
    return event


def fail_if_flagged(event: Any, ctx: FunctionContext) -> Any:
    """Fails for items carrying `"fail": true`: used for Map failure tolerance."""
    if isinstance(event, dict) and event.get("fail"):
        raise _error_class("ItemError")(f"item {event.get('id')} failed")
    if isinstance(event, dict) and "Items" in event and any(i.get("fail") for i in event["Items"]):
        raise _error_class("ItemError")("batch has a failing item")
    return event


def throttle_once(event: Any, ctx: FunctionContext) -> Any:
    """The first Invoke call is throttled by the Lambda service (429), the next succeeds."""
    if ctx.count("throttle_once") == 1:
        raise LambdaServiceError("TooManyRequestsException", "Rate Exceeded.", 429)
    return event


def capture_token(event: Any, ctx: FunctionContext) -> Any:
    """For `.waitForTaskToken`: hands the event's `token` to the runner, which answers it."""
    ctx.tokens.append(event["token"])
    return {}


def slow(event: Any, ctx: FunctionContext) -> Any:
    """Takes 0.5 s of real time: longer than a 1 s TimeoutSeconds under the suite's time scale."""
    time.sleep(0.5)
    return event


def count_items(event: Any, ctx: FunctionContext) -> Any:
    return {"count": len(event["Items"])}


def big(event: Any, ctx: FunctionContext) -> Any:
    """Returns more than the 256 KiB payload limit (States.DataLimitExceeded)."""
    return {"blob": "x" * (300 * 1024)}


def return_null(event: Any, ctx: FunctionContext) -> Any:
    return None


def pipeline_transform(event: Any, ctx: FunctionContext) -> Any:
    """Stands in for tasks/transform with its documented output shape (docs/architecture.md)."""
    items = event["Items"]
    rows = [{**item["row"], "source_row": item["index"] + 2} for item in items]
    return {
        "source": event["BatchInput"],
        "first_row": items[0]["index"] + 2,
        "rows": len(items),
        "valid": len(items),
        "items": rows,
        "rejects": [],
    }


REGISTRY: dict[str, Callable[[Any, FunctionContext], Any]] = {
    fn.__name__: fn
    for fn in (
        echo,
        add,
        double,
        fail,
        fail_twice,
        fail_first,
        fail_if_flagged,
        throttle_once,
        capture_token,
        slow,
        count_items,
        big,
        return_null,
        pipeline_transform,
    )
}
