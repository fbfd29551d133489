"""JSON as Step Functions writes it, in one place: compact payload text, SDK values made JSON, JSON equality.

AWS prints payloads (history events, error causes, `States.JsonToString`) as compact JSON with non-ASCII
characters kept; SDK responses carry datetimes, bytes and streams that have to become JSON first. Every
module writing JSON the AWS way uses these, so the format is defined once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

SEPARATORS = (",", ":")

# For hot paths that encode many values (batches, history rows): `COMPACT.encode(value)`.
COMPACT = json.JSONEncoder(separators=SEPARATORS, ensure_ascii=False)


def compact_json(
    value: Any, *, ensure_ascii: bool = False, default: Callable[[Any], Any] | None = None
) -> str:
    """Compact JSON (no spaces), non-ASCII kept unless `ensure_ascii`, as AWS prints payloads."""
    return json.dumps(value, separators=SEPARATORS, ensure_ascii=ensure_ascii, default=default)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1` (Python's `True == 1` is), numbers compare by value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def sdk_json_value(value: Any) -> Any:
    """An SDK response value as JSON: timestamps as ISO-8601 strings, bytes as base64, streams read."""
    if isinstance(value, Mapping):
        return {k: sdk_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sdk_json_value(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "read") and callable(value.read):
        data = value.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(data).decode("ascii")
    return value


def decimal_number(value: Decimal) -> int | float:
    """A DynamoDB Decimal as the JSON number it stands for (integral values as int)."""
    return int(value) if value == value.to_integral_value() else float(value)


def json_default(value: Any) -> Any:
    """`json.dumps(default=...)` for API and console values: datetimes ISO 8601, Decimals numbers, sets
    sorted lists, anything else its `str`."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_number(value)
    if isinstance(value, set):
        return sorted(value)
    return str(value)
