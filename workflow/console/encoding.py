"""JSON for the console's API: datetimes as ISO 8601, DynamoDB Decimals as numbers."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default)


def plain(value: Any) -> Any:
    """The value as JSON would give it back (for tests and for the CLI)."""
    return json.loads(dumps(value))
