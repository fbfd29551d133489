"""The shared JSON and time formats (json_format, time_format): the one definition every module uses."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from workflow.engine.json_format import (
    COMPACT,
    compact_json,
    decimal_number,
    json_default,
    json_equal,
    sdk_json_value,
)
from workflow.engine.time_format import epoch_millis, epoch_seconds, iso_millis


def test_compact_json_has_no_spaces_and_keeps_non_ascii() -> None:
    """AWS prints payloads compactly with UTF-8 kept, e.g. `{"a":[1,2],"b":"é"}` in history events."""
    value = {"a": [1, 2], "b": "é"}
    assert compact_json(value) == '{"a":[1,2],"b":"é"}'
    assert COMPACT.encode(value) == compact_json(value)
    assert compact_json(value, ensure_ascii=True) == '{"a":[1,2],"b":"\\u00e9"}'
    assert compact_json({"d": datetime(2026, 1, 1)}, default=str) == '{"d":"2026-01-01 00:00:00"}'


def test_json_equal_does_not_confuse_booleans_and_numbers() -> None:
    """JSON `true` is not `1` (States.ArrayContains, Choice's equality), though Python's True == 1."""
    assert not json_equal(True, 1)
    assert not json_equal(0, False)
    assert json_equal(True, True)
    assert json_equal(1, 1.0)
    assert json_equal({"a": [1]}, {"a": [1]})


def test_sdk_values_become_json() -> None:
    value = {
        "When": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "Day": date(2026, 1, 2),
        "Blob": b"\x00\x01",
        "Body": io.BytesIO(b"text"),
        "Binary": io.BytesIO(b"\xff\xfe"),
        "List": (1, "x"),
    }
    assert sdk_json_value(value) == {
        "When": "2026-01-02T03:04:05+00:00",
        "Day": "2026-01-02",
        "Blob": "AAE=",
        "Body": "text",
        "Binary": "//4=",
        "List": [1, "x"],
    }


def test_json_default_for_api_and_console_values() -> None:
    doc = {"at": datetime(2026, 1, 1, tzinfo=UTC), "n": Decimal("3"), "f": Decimal("1.5"), "s": {"b", "a"}}
    assert json.loads(json.dumps(doc, default=json_default)) == {
        "at": "2026-01-01T00:00:00+00:00",
        "n": 3,
        "f": 1.5,
        "s": ["a", "b"],
    }
    assert isinstance(decimal_number(Decimal("2.0")), int)


def test_time_formats() -> None:
    """`$$.Execution.StartTime` is ISO 8601 in UTC with milliseconds and Z; the JSON protocol sends epoch
    seconds (a naive datetime counts as UTC); optimized integrations show epoch milliseconds."""
    at = datetime(2026, 1, 1, 1, 0, 1, 5999, tzinfo=timezone(timedelta(hours=1)))
    assert iso_millis(at) == "2026-01-01T00:00:01.005Z"
    assert epoch_seconds(datetime(1970, 1, 1, 0, 0, 1, 250000)) == 1.25
    assert epoch_seconds(date(1970, 1, 2)) == 86400.0
    assert epoch_millis(datetime(1970, 1, 1, 0, 0, 2, tzinfo=UTC)) == 2000
