"""The message resource on the wire: its fields, pydantic models and the item the API shows.

Shared by the five API handlers (each its own Lambda); api_request.py reads requests with these models,
api_response.py writes the answers. The rules are declared once here with pydantic and
mirror workflow/definition/openapi.json (a test keeps the two in step). Numbers are Decimals end to end so
an API round trip never rounds what the pipeline stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date as Date
from decimal import Context, Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

TEXT_FIELDS = ("location", "source", "local_dest", "remote_dest")
NUMBER_FIELDS = ("local_avg", "remote_avg")
KEY_FIELDS = ("date", "time")
# Set by the pipeline (or derived), never by a client; sent back in every item.
READ_ONLY_FIELDS = ("timestamp", "source_file", "source_row", "execution")
PUBLIC_FIELDS = (
    *KEY_FIELDS,
    "timestamp",
    *TEXT_FIELDS,
    *NUMBER_FIELDS,
    "source_file",
    "source_row",
    "execution",
)

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME_RE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,28})?")
# One line, no control characters, no white space at either end. Spelled out (not `.`/`\S` alone) so that
# Python's and ECMA-262's regex dialects (the OpenAPI document's) agree on every character.
TEXT_PATTERN = (
    r"^[^\s\u0000-\u001f\u007f-\u009f\ufeff]"
    r"(?:[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f\ufeff])?$"
)
TEXT_RE = re.compile(TEXT_PATTERN)
MAX_TEXT_CHARS = 256
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

# DynamoDB Numbers: up to 38 significant digits, magnitude 1E-130 .. 9.99..E+125.
_DDB_DIGITS = 38
_DDB_MIN_ADJUSTED = -130
_DDB_MAX_ADJUSTED = 125
_EXACT = Context(prec=80)  # wide enough that key arithmetic never rounds


# ---- field types -----------------------------------------------------------------------------------------


def _check_date(value: str) -> str:
    if not DATE_RE.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date YYYY-MM-DD")
    try:
        Date.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("date_value", "is not a calendar date") from exc
    return value


def canonical_time(value: str) -> str:
    """HH:MM:SS with the sub-second digits the pipeline keeps (trailing zeros stripped), as stored."""
    whole, _, fraction = value.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _check_time(value: str) -> str:
    if not TIME_RE.fullmatch(value):
        raise PydanticCustomError("time_format", "must be a time HH:MM:SS or HH:MM:SS.fraction (24-hour)")
    return canonical_time(value)


def _check_text(value: str) -> str:
    if not TEXT_RE.fullmatch(value):
        raise PydanticCustomError(
            "text_format", "must be one line without control characters or leading or trailing white space"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError("text_unicode", "is not valid Unicode (a lone surrogate)") from exc
    return value


def canonical_number(value: Decimal) -> Decimal:
    """The exact value without redundant zeros, within DynamoDB's Number limits."""
    if not value.is_finite():
        raise PydanticCustomError("number_finite", "must be a finite number")
    if value.is_zero():
        return Decimal(0)
    normal = value.normalize(_EXACT)
    if len(normal.as_tuple().digits) > _DDB_DIGITS:
        raise PydanticCustomError("number_digits", "has more than 38 significant digits (DynamoDB limit)")
    if not _DDB_MIN_ADJUSTED <= normal.adjusted() <= _DDB_MAX_ADJUSTED:
        raise PydanticCustomError("number_range", "is out of DynamoDB's Number range (1E-130 to 1E+126)")
    return normal  # normalized, so 1E+125 stays one significant digit (boto3 refuses more than 38)


DateStr = Annotated[str, AfterValidator(_check_date)]
TimeStr = Annotated[str, AfterValidator(_check_time)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_check_text)]
Number = Annotated[Decimal, AfterValidator(canonical_number)]


def timestamp_of(date: str, time: str) -> Decimal:
    """Epoch seconds (UTC) of a key, exactly: the pipeline derives date and time from this number."""
    days = Date.fromisoformat(date).toordinal() - Date(1970, 1, 1).toordinal()
    hours, minutes, seconds = time.split(":")
    total = _EXACT.add(Decimal(days * 86_400 + int(hours) * 3_600 + int(minutes) * 60), Decimal(seconds))
    return canonical_number(total)


# ---- models ----------------------------------------------------------------------------------------------


class StrictModel(BaseModel):
    """JSON types are not coerced (a string is not a number) and unknown fields are errors."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class MessageKey(StrictModel):
    """The table key: partition key `date`, sort key `time`."""

    date: DateStr
    time: TimeStr


class NewMessage(MessageKey):
    """A message to create (POST). `{"Item": {...}}`, the seed's envelope, is accepted too."""

    location: Text
    source: Text
    local_dest: Text
    remote_dest: Text
    local_avg: Number
    remote_avg: Number

    @field_validator("time")
    @classmethod
    def _fits_a_timestamp(cls, time: str, info: ValidationInfo) -> str:
        if "date" in info.data:
            try:
                timestamp_of(info.data["date"], time)
            except PydanticCustomError as exc:
                raise PydanticCustomError(
                    "time_digits", "has more sub-second digits than a timestamp holds (38 in all)"
                ) from exc
        return time

    @model_validator(mode="before")
    @classmethod
    def _unwrap_envelope(cls, data: Any) -> Any:
        if isinstance(data, dict) and list(data) == ["Item"] and isinstance(data["Item"], dict):
            return data["Item"]
        return data

    def item(self, request_id: str) -> dict[str, Any]:
        """The stored item: the pipeline's shape, with provenance saying it came through the API."""
        item: dict[str, Any] = self.model_dump()
        item["timestamp"] = timestamp_of(self.date, self.time)
        item["source_file"] = "api"
        if request_id:
            item["execution"] = request_id
        return item


_LEGACY_SET = re.compile(r"\s*set\s+(\w+\s*=\s*:\w+(?:\s*,\s*\w+\s*=\s*:\w+)*)\s*", re.IGNORECASE)
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class MessageUpdate(StrictModel):
    """Fields to change (PUT). The key and the read-only fields cannot change; at least one field is given.

    The seed's body `{"UpdateExpression": "set f = :v", "ExpressionAttributeValues": {":v": ...}}` is read
    as the plain fields it names (only `set` of whole fields; nothing reaches DynamoDB as an expression).
    """

    location: Text | None = None
    source: Text | None = None
    local_dest: Text | None = None
    remote_dest: Text | None = None
    local_avg: Number | None = None
    remote_avg: Number | None = None

    @model_validator(mode="before")
    @classmethod
    def _translate_seed_body(cls, data: Any) -> Any:
        if not (isinstance(data, dict) and set(data) == {"UpdateExpression", "ExpressionAttributeValues"}):
            return data
        expression, values = data["UpdateExpression"], data["ExpressionAttributeValues"]
        match = _LEGACY_SET.fullmatch(expression) if isinstance(expression, str) else None
        if match is None or not isinstance(values, dict):
            raise PydanticCustomError(
                "update_expression", "UpdateExpression must be 'set field = :value[, ...]' with its values"
            )
        fields: dict[str, Any] = {}
        for assignment in match.group(1).split(","):
            name, placeholder = (part.strip() for part in assignment.split("="))
            if placeholder not in values:
                raise PydanticCustomError(
                    "update_expression", "no value given for {placeholder}", {"placeholder": placeholder}
                )
            value = values[placeholder]
            if name in NUMBER_FIELDS and isinstance(value, str) and _NUMBER_TEXT.fullmatch(value):
                value = Decimal(value)  # the seed sends numbers as DynamoDB-style strings
            fields[name] = value
        return fields

    @model_validator(mode="after")
    def _not_empty(self) -> MessageUpdate:
        if not self.changes():
            raise PydanticCustomError("update_empty", "give at least one field to update")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PageParams(BaseModel):
    """The query string of a list: `limit` and the opaque `next` token (numbers arrive as text, so this
    model is not strict); unknown parameters are errors, as unknown body fields are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    next: Annotated[str, Field(min_length=1, max_length=1024)] | None = None


class DatePageParams(PageParams):
    """GET /message/{date}: a page of the date, or with `time` one message (limit and next then unused)."""

    time: str | None = None


class ItemParams(BaseModel):
    """The query string of PUT and DELETE: just `time` (validated with the key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time: str | None = None


def public_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item as the API shows it: the documented attributes, in a stable order."""
    return {name: item[name] for name in PUBLIC_FIELDS if name in item}
