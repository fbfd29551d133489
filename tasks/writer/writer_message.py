"""The SQS message the state machine's Enqueue task sends: parsed and checked before anything is written.

Body: {"taskToken", "source": {"bucket", "key", "execution"}, "first_row", "items": [...], "rows"?,
"rejects"?, "etag"?}, items and rejects as the transform returns them (docs/architecture.md, Writer).
`rows` (the batch's rows, valid or not) and `rejects` let the batch record account for the whole batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

ITEM_NUMBER_FIELDS = ("timestamp", "local_avg", "remote_avg")
ITEM_TEXT_FIELDS = (
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


class BadMessage(ValueError):
    """A body that can never be written, however often it is redelivered."""


@dataclass(frozen=True)
class WriterMessage:
    task_token: str
    source: dict[str, str]
    first_row: int
    items: list[dict[str, Any]]
    rows: int
    rejects: list[dict[str, Any]]
    etag: str | None = None

    @property
    def source_file(self) -> str:
        return f"s3://{self.source['bucket']}/{self.source['key']}"


class Body:
    """A message body decoded once (bodies are a whole batch of rows, so each decode counts)."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.data: Any = json.loads(text)
            self.problem: str | None = None
        except (TypeError, ValueError) as exc:
            self.data, self.problem = None, f"body is not JSON: {exc}"

    @property
    def task_token(self) -> str | None:
        """The task token if the body is a JSON object holding one; None means nobody can be told."""
        token = self.data.get("taskToken") if isinstance(self.data, dict) else None
        return token if isinstance(token, str) and token else None


def read_task_token(body: str) -> str | None:
    return Body(body).task_token


def parse_message(body: str | Body) -> WriterMessage:
    """The checked message, or BadMessage saying what is wrong (the caller reports it on the token)."""
    decoded = body if isinstance(body, Body) else Body(body)
    if decoded.problem is not None:
        raise BadMessage(decoded.problem)
    data = decoded.data
    if not isinstance(data, dict):
        raise BadMessage("body is not a JSON object")
    token = decoded.task_token
    if token is None:
        raise BadMessage("no taskToken")
    source = data.get("source")
    if not isinstance(source, dict) or not all(
        isinstance(source.get(k), str) and source.get(k) for k in ("bucket", "key", "execution")
    ):
        raise BadMessage("source must hold bucket, key and execution")
    first_row = data.get("first_row")
    if not isinstance(first_row, int) or isinstance(first_row, bool):
        raise BadMessage("first_row must be an integer")
    items = data.get("items")
    if not isinstance(items, list):
        raise BadMessage("items must be a list")
    for position, item in enumerate(items):
        problem = _item_problem(item)
        if problem:
            raise BadMessage(f"items[{position}]: {problem}")
    rejects = data.get("rejects") or []
    if not isinstance(rejects, list):
        raise BadMessage("rejects must be a list")
    rows = data.get("rows", len(items) + len(rejects))
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < len(items):
        raise BadMessage("rows must be an integer, at least the number of items")
    etag = data.get("etag")
    return WriterMessage(
        task_token=token,
        source=source,
        first_row=first_row,
        items=items,
        rows=rows,
        rejects=rejects,
        etag=etag if isinstance(etag, str) and etag else None,
    )


def _item_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "not an object"
    for field in ITEM_TEXT_FIELDS:
        if not isinstance(item.get(field), str) or not item[field]:
            return f"{field} must be a non-empty string"
    for field in ITEM_NUMBER_FIELDS:
        try:
            if not Decimal(item[field]).is_finite():
                return f"{field} must be a finite number"
        except InvalidOperation:
            return f"{field} must be a decimal string"
    row = item.get("source_row")
    if not isinstance(row, int) or isinstance(row, bool):
        return "source_row must be an integer"
    return None
