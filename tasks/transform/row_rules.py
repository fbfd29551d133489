"""Validation and conversion of CSV rows into table items (pure functions, no AWS calls).

Every problem of a row is collected, so a user fixes a bad row in one pass; a bad row becomes a reject
and never fails its batch. Numbers are handled with Decimal so nothing is rounded through float.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation, localcontext
from typing import Any, TypedDict

TEXT_FIELDS = ("location", "source", "local_dest", "remote_dest")
NUMBER_FIELDS = ("local_avg", "remote_avg")
REQUIRED_COLUMNS = ("timestamp", "location", "source", "local_dest", "local_avg", "remote_dest", "remote_avg")
ITEM_FIELDS = ("date", "time", *REQUIRED_COLUMNS, "source_row")

# Plain decimal notation with an optional exponent. Decimal() alone also accepts "NaN", "Infinity",
# "1_000" and surrounding spaces; we want to name those explicitly instead.
# Digits are spelled [0-9]: Python's \d and Decimal() also take full-width and Arabic-Indic digits.
_NUMBER_SYNTAX = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|snan|inf|infinity)", re.IGNORECASE)

# DynamoDB Numbers: up to 38 significant digits, magnitude from 1E-130 to just under 1E+126.
_DDB_MAX_DIGITS = 38
_DDB_MIN_EXP = -130
_DDB_MAX_ADJUSTED_EXP = 125

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_SECONDS = int((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
_MAX_SECONDS = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds())

# Control characters: C0 except tab (NUL, line breaks inside a quoted field, ...), DEL and C1. The REST
# API's model refuses the same characters in text (tasks/api/message_model.py, same wording); a tab is
# white space and is trimmed or kept like a space.
_CONTROL = re.compile(r"[\u0000-\u0008\u000a-\u001f\u007f-\u009f]")
CONTROL_REASON = "must be one line without control characters"
NON_ASCII_DIGITS = "non-ASCII digits: write numbers with 0-9"
# Text longer than the REST API accepts (tasks/api/message_model.py MAX_TEXT_CHARS) is a reject: it keeps
# stored items far below DynamoDB's 400 KB item limit and editable through the API.
MAX_TEXT_CHARS = 256

# Values echoed in rejects are cut so a pathological cell cannot blow the payload limits.
MAX_VALUE_CHARS = 200

# Step Functions' CSV reader gives "" for the fields a short row lacks ("How Step Functions parses input
# CSV files"), so an empty value may be a missing one; absent keys are reported as "missing column".
EMPTY = "empty or missing"
BLANK_ROW = "every field is empty"


Echo = str | int | float | bool | None  # an offending value as it travels in JSON


class FieldError(TypedDict):
    """One problem of a rejected row, as the transform's output reports it."""

    field: str
    reason: str
    value: Echo


class RowReject(TypedDict):
    """A rejected row: its number in the file and every problem found in it."""

    row: int
    errors: list[FieldError]


class RowError(ValueError):
    """One problem in one field; collected into the row's reject."""

    def __init__(self, field: str, reason: str, value: object) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.value = value

    def as_dict(self) -> FieldError:
        return {"field": self.field, "reason": self.reason, "value": _echo(self.value)}


def _echo(value: object) -> Echo:
    """The offending value as it can travel in JSON, cut to MAX_VALUE_CHARS."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def parse_decimal(field: str, raw: object) -> Decimal:
    """A finite Decimal from a CSV cell, or RowError naming what is wrong with it."""
    text = _cell_text(raw).strip()
    if text == "":
        raise RowError(field, EMPTY, raw)
    if _NON_FINITE.fullmatch(text):
        raise RowError(field, "not a finite number", raw)
    if not text.isascii() and any(ch.isdigit() for ch in text):
        raise RowError(field, NON_ASCII_DIGITS, raw)
    if not _NUMBER_SYNTAX.fullmatch(text):
        raise RowError(field, "not a number", raw)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid literals
        raise RowError(field, "not a number", raw) from exc
    return value


def canonical_decimal(field: str, value: Decimal, raw: object) -> str:
    """Shortest exact plain-notation string ("4.390" -> "4.39", "1e2" -> "100", "-0" -> "0").

    Built from the digits themselves, not Decimal arithmetic, which would round to the context's
    28 digits. Checked against DynamoDB's Number limits first, so the writer can always store it and a
    huge exponent cannot expand into a megabyte of zeros.
    """
    sign, digit_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: parse_decimal rejects NaN and Infinity
    digits = "".join(map(str, digit_tuple)).lstrip("0")
    if not digits:
        return "0"
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    if len(stripped) > _DDB_MAX_DIGITS:
        raise RowError(field, f"more than {_DDB_MAX_DIGITS} significant digits (DynamoDB Number limit)", raw)
    adjusted = exponent + len(stripped) - 1
    if not _DDB_MIN_EXP <= adjusted <= _DDB_MAX_ADJUSTED_EXP:
        raise RowError(field, "out of DynamoDB Number range (1E-130 to 1E+126)", raw)
    number = Decimal((sign, tuple(int(d) for d in stripped), exponent))
    plain = format(number, "f")
    # Plain notation unless its trailing zeros would push the coefficient past DynamoDB's 38 digits
    # ("1e50" stays "1E+50"): boto3 stores a Decimal's coefficient as written and refuses more digits.
    return plain if sum(ch.isdigit() for ch in plain.lstrip("-0.")) <= _DDB_MAX_DIGITS else str(number)


def timestamp_keys(raw: object) -> tuple[str, str, str]:
    """(date, time, canonical timestamp) for epoch seconds, computed exactly.

    time is HH:MM:SS plus the sub-second digits as written (trailing zeros stripped), so two
    readings in the same second get different sort keys.
    """
    value = parse_decimal("timestamp", raw)
    canonical = canonical_decimal("timestamp", value, raw)
    exact = Decimal(canonical)  # at most 38 digits, within DynamoDB's range
    whole = int(exact.to_integral_value(rounding=ROUND_FLOOR))
    if not _MIN_SECONDS <= whole <= _MAX_SECONDS:
        raise RowError("timestamp", "out of range (years 1 to 9999)", raw)
    moment = _EPOCH + timedelta(seconds=whole)
    time_text = moment.strftime("%H:%M:%S")
    with localcontext(Context(prec=200)):  # enough for 38 digits either side of the point: exact
        fraction = exact - whole  # in [0, 1)
    if fraction:
        time_text += "." + canonical_decimal("timestamp", fraction, raw).split(".", 1)[1]
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}", time_text, canonical


def _cell_text(raw: object) -> str:
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else str(raw)


def _control_error(field: str, raw: object) -> RowError | None:
    """A RowError naming the first control character of the cell (U+0000 ...), if it holds one."""
    match = _CONTROL.search(_cell_text(raw))
    if match is None:
        return None
    return RowError(
        field, f"{CONTROL_REASON} (U+{ord(match.group()):04X} at character {match.start() + 1})", raw
    )


def convert_row(index: int, row: object) -> tuple[dict[str, Any] | None, RowReject | None]:
    """(item, None) for a good row, (None, reject) for a bad one.

    The row number is index + 2: line 1 is the header.
    """
    row_number = index + 2
    if not isinstance(row, dict):
        return None, {"row": row_number, "errors": [RowError("row", "not a CSV record", row).as_dict()]}
    if row and not any(_cell_text(value).strip() for value in row.values()):
        # A blank line of separators (a spreadsheet's trailing ",,,,,,"): one short reason, not one per field,
        # so 800 of them in a batch stay far below the 256 KiB payload limit.
        return None, {"row": row_number, "errors": [RowError("row", BLANK_ROW, None).as_dict()]}
    errors: list[RowError] = []
    item: dict[str, Any] = {}

    if "timestamp" not in row:
        errors.append(RowError("timestamp", "missing column", None))
    elif (control := _control_error("timestamp", row["timestamp"])) is not None:
        errors.append(control)
    else:
        try:
            item["date"], item["time"], item["timestamp"] = timestamp_keys(row["timestamp"])
        except RowError as err:
            errors.append(err)

    for field in REQUIRED_COLUMNS[1:]:
        if field not in row or row[field] is None:
            errors.append(RowError(field, "missing column", None))
            continue
        raw = row[field]
        control = _control_error(field, raw)
        if control is not None:
            errors.append(control)
            continue
        if field in NUMBER_FIELDS:
            try:
                item[field] = canonical_decimal(field, parse_decimal(field, raw), raw)
            except RowError as err:
                errors.append(err)
        else:
            text = _cell_text(raw).strip()
            if text == "":
                errors.append(RowError(field, EMPTY, raw))
            elif len(text) > MAX_TEXT_CHARS:
                errors.append(RowError(field, f"longer than {MAX_TEXT_CHARS} characters ({len(text)})", raw))
            else:
                item[field] = text

    for field in row:
        # A column outside the seven is only a problem if it holds something: an empty one (a trailing
        # comma on every line, say) loses nothing when ignored.
        if field not in REQUIRED_COLUMNS and _cell_text(row[field]).strip():
            errors.append(RowError(str(field), "unexpected column", row[field]))

    if errors:
        return None, {"row": row_number, "errors": [err.as_dict() for err in errors]}
    item["source_row"] = row_number
    return {field: item[field] for field in ITEM_FIELDS}, None


def transform_items(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[RowReject]]:
    """Convert a batch's {"index", "row"} entries into (items, rejects), both ordered by row.

    A second row with the same (date, time) as an earlier one is rejected naming that row: the
    table key would make one silently overwrite the other.
    """
    items: list[dict[str, Any]] = []
    rejects: list[RowReject] = []
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        item, reject = convert_row(int(entry["index"]), entry.get("row"))
        if reject is not None:
            rejects.append(reject)
            continue
        assert item is not None
        key = (item["date"], item["time"])
        first = seen.get(key)
        if first is not None:
            rejects.append(
                {
                    "row": item["source_row"],
                    "errors": [
                        {
                            "field": "timestamp",
                            "reason": f"same date and time as row {first} (key {key[0]} {key[1]})",
                            "value": item["timestamp"],
                        }
                    ],
                }
            )
            continue
        seen[key] = item["source_row"]
        items.append(item)
    return items, rejects
