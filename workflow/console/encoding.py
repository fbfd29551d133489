"""JSON for the console's API: datetimes as ISO 8601, DynamoDB Decimals as numbers."""

from __future__ import annotations

import json
from typing import Any

from workflow.engine.json_format import json_default as _default


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default)


def plain(value: Any) -> Any:
    """The value as JSON would give it back (for tests and for the CLI)."""
    return json.loads(dumps(value))
