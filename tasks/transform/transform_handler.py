"""Transform Lambda: one Distributed Map batch of CSV rows -> table items plus rejects.

Input is the ItemBatcher's {"Items": [{"index", "row"}], "BatchInput": {"bucket", "key", "execution"}};
the output shape is what the ASL's ResultSelector picks (see docs/architecture.md, Transform).
"""

from __future__ import annotations

from typing import Any, TypedDict

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from header_rules import CsvHeaderError, check_header, header_names, renamed
from row_rules import RowReject, transform_items

__all__ = ["CsvHeaderError", "handler", "transform_batch"]

logger = Logger(service="csv-etl-transform")


class BatchSource(TypedDict):
    """The file and execution a batch came from (the Map's BatchInput)."""

    bucket: str | None
    key: str | None
    execution: str | None


class TransformOutput(TypedDict):
    """The Transform state's result (docs/architecture.md, "Transform"); the writer's message carries it."""

    source: BatchSource
    first_row: int
    rows: int
    valid: int
    items: list[dict[str, Any]]
    rejects: list[RowReject]


def transform_batch(event: dict[str, Any]) -> TransformOutput:
    """The batch's items and rejects; items carry only row data, the writer adds the file and execution.

    The header (the rows' keys) is checked first: a bad one raises CsvHeaderError for the whole batch.
    """
    entries = event.get("Items") or []
    source = event.get("BatchInput") or {}
    names = header_names(entry.get("row") for entry in entries)
    if names is not None:
        where = f"s3://{source.get('bucket')}/{source.get('key')}"
        columns = check_header(names, where)
        if any(name != clean for name, clean in columns.items()):
            entries = [{**entry, "row": renamed(entry.get("row"), columns)} for entry in entries]
    items, rejects = transform_items(entries)
    first_row = min((int(entry["index"]) for entry in entries), default=-2) + 2
    return {
        "source": {
            "bucket": source.get("bucket"),
            "key": source.get("key"),
            "execution": source.get("execution"),
        },
        "first_row": first_row,
        "rows": len(entries),
        "valid": len(items),
        "items": items,
        "rejects": rejects,
    }


def handler(event: dict[str, Any], context: LambdaContext | None = None) -> TransformOutput:
    result = transform_batch(event)
    logger.info(
        "batch transformed",
        extra={
            "source": result["source"],
            "first_row": result["first_row"],
            "rows": result["rows"],
            "valid": result["valid"],
            "rejected": len(result["rejects"]),
        },
    )
    return result
