"""The Distributed Map's ItemBatcher: groups items into `{"Items": [...], "BatchInput": ...}` child inputs.

Follows "ItemBatcher (Map)" in the AWS Step Functions developer guide: a batch holds at most
MaxItemsPerBatch items and at most MaxInputBytesPerBatch bytes (never more than 256 KiB, the payload
quota); with both limits set, the byte limit reduces the item count. Bytes are counted on the compact
UTF-8 JSON of the child input as it will be passed on, BatchInput included, so a batch that passes
here also passes the child execution's input quota.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from workflow.engine.errors import DATA_LIMIT_EXCEEDED, RUNTIME, StatesError
from workflow.engine.json_format import COMPACT
from workflow.engine.quotas import PAYLOAD_BYTES

_OPEN = len('{"Items":[')
_CLOSE = len("]}")


def _json_size(value: Any) -> int:
    text = COMPACT.encode(value)
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _positive(name: str, value: int | None, upper: int | None = None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StatesError(RUNTIME, f"ItemBatcher {name} must be a positive integer, got {value!r}")
    if upper is not None and value > upper:
        raise StatesError(RUNTIME, f"ItemBatcher {name} must be at most {upper} bytes (256 KiB), got {value}")
    return value


def batch_items(
    items: Iterable[Any], *, max_items: int | None, max_bytes: int | None, batch_input: Any = None
) -> Iterator[dict[str, Any]]:
    """Yield child inputs of consecutive items, in order, each within both limits.

    An item too large to fit in a batch on its own raises StatesError(States.DataLimitExceeded) naming
    its position, rather than starting a child execution AWS would refuse.
    """
    for batch, _ in _batches(items, max_items=max_items, max_bytes=max_bytes, batch_input=batch_input):
        out: dict[str, Any] = {"Items": [item for item, _ in batch]}
        if batch_input is not None:
            out["BatchInput"] = batch_input
        yield out


def batch_texts(
    items: Iterable[Any], *, max_items: int | None, max_bytes: int | None, batch_input: Any = None
) -> Iterator[tuple[str, int]]:
    """The same batches as `batch_items`, as (compact JSON text, item count): each item is encoded once,
    for its size and for the text, so a Map Run can keep its batches as text (or out of memory)."""
    tail = "]}" if batch_input is None else "]," + '"BatchInput":' + COMPACT.encode(batch_input) + "}"
    for batch, _ in _batches(items, max_items=max_items, max_bytes=max_bytes, batch_input=batch_input):
        yield '{"Items":[' + ",".join(text for _, text in batch) + tail, len(batch)


def _batches(
    items: Iterable[Any], *, max_items: int | None, max_bytes: int | None, batch_input: Any
) -> Iterator[tuple[list[tuple[Any, str]], int]]:
    """Consecutive (item, JSON text) groups within both limits, with their size in bytes."""
    max_items = _positive("MaxItemsPerBatch", max_items)
    limit = _positive("MaxInputBytesPerBatch", max_bytes, PAYLOAD_BYTES) or PAYLOAD_BYTES
    fixed = _OPEN + _CLOSE
    if batch_input is not None:
        fixed += len(',"BatchInput":') + _json_size(batch_input)
    if fixed + 2 > limit:  # even one empty item would not fit
        raise StatesError(
            DATA_LIMIT_EXCEEDED,
            f"The ItemBatcher BatchInput is {fixed - _OPEN - _CLOSE} bytes, which leaves no "
            f"room for items within {limit} bytes",
        )

    batch: list[tuple[Any, str]] = []
    size = fixed
    for position, item in enumerate(items):
        text = COMPACT.encode(item)
        item_size = len(text) if text.isascii() else len(text.encode("utf-8"))
        if fixed + item_size > limit:
            raise StatesError(
                DATA_LIMIT_EXCEEDED,
                f"Item {position} is {item_size} bytes as JSON; with the batch envelope it "
                f"exceeds the ItemBatcher limit of {limit} bytes, so it cannot be batched",
            )
        added = item_size + (1 if batch else 0)  # the comma between items
        if batch and (size + added > limit or (max_items is not None and len(batch) >= max_items)):
            yield batch, size
            batch, size, added = [], fixed, item_size
        batch.append((item, text))
        size += added
    if batch:
        yield batch, size
