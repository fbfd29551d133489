"""The message resource on the wire: pydantic models, request parsing, JSON responses and errors.

Shared by the five API handlers (each its own Lambda). The rules are declared once here with pydantic and
mirror workflow/definition/openapi.json (a test keeps the two in step). Numbers are Decimals end to end so
an API round trip never rounds what the pipeline stored.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from datetime import date as Date
from decimal import Context, Decimal
from typing import Annotated, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
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

logger = Logger(service="csv-etl-api")


class ApiError(Exception):
    """An error the client caused (or a clean 5xx): becomes `{"error": {"code", "message", "field"?}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def response(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return json_response(self.status, {"error": error}, self.headers)


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


class _Strict(BaseModel):
    """JSON types are not coerced (a string is not a number) and unknown fields are errors."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class MessageKey(_Strict):
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


class MessageUpdate(_Strict):
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


# ---- parsing requests ------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


# API Gateway passes a body of any media type to a proxy integration; the API takes JSON only (a missing
# Content-Type is read as JSON, as the seed's sample events send none).
_JSON_MEDIA_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json")


def read_json_body(event: APIGatewayProxyEvent, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object with exact Decimal numbers; 400/413/415 ApiError otherwise.

    A body flagged isBase64Encoded is decoded; the seed's sample events flag plain JSON bodies that way, so
    a flagged body that is not base64 but is a JSON object is read as is.
    """
    content_type = str(event.headers.get("content-type") or "")  # Powertools' headers: case-insensitive
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type and not _JSON_MEDIA_TYPE.fullmatch(media_type):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body must be JSON sent as Content-Type: application/json, not {content_type[:100]!r}",
        )
    body = event.body
    if body is None or body == "":
        raise ApiError(400, "MalformedJson", "a JSON object body is required")
    if not isinstance(body, str):
        raise ApiError(400, "MalformedJson", "the body must be text")
    if len(body) > max_bytes * 2:  # cheap bound before any decoding
        raise _too_large(len(body), max_bytes)
    raw = body.encode("utf-8", errors="surrogatepass")
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            if not body.lstrip().startswith("{"):
                raise ApiError(400, "MalformedJson", "the body is flagged base64 but is not base64") from None
    if len(raw) > max_bytes:
        raise _too_large(len(raw), max_bytes)
    try:
        data = json.loads(
            raw,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "MalformedJson", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "MalformedJson", "the body must be a JSON object")
    return data


def _too_large(size: int, max_bytes: int) -> ApiError:
    return ApiError(413, "PayloadTooLarge", f"the body is {size} bytes; the limit is {max_bytes}")


def validate(model: type[M], data: Any, where: str = "field") -> M:
    """`model` validated from data; the first problem becomes a 400 naming the field (or parameter)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where) from None


def validation_error(exc: ValidationError, where: str = "field") -> ApiError:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    kind = first["type"]
    if kind == "extra_forbidden":
        name = str(first["loc"][-1])
        if name in READ_ONLY_FIELDS:
            message = f"{name} is read-only: it is set by the pipeline or derived from date and time"
        elif name in KEY_FIELDS:
            message = f"{name} is part of the key and cannot change; it is given in the URL"
        else:
            message = f"unknown {where} {name!r}"
    elif kind == "missing":
        message = "is required"
    elif kind in ("is_instance_of", "decimal_type"):
        message = "must be a number"
    elif kind in ("model_type", "dict_type"):
        message = "must be a JSON object"
    else:
        message = first["msg"]
    if field is not None and not message.startswith(("unknown ", f"{field} ")):
        message = f"{field}: {message}"
    return ApiError(400, "ValidationFailed", message, field)


def date_param(event: APIGatewayProxyEvent) -> str:
    """The `date` path parameter, validated."""
    date = event.path_parameters.get("date")
    if date is None:
        raise ApiError(400, "ValidationFailed", "date: the path parameter is required", "date")
    return validate(_DateOnly, {"date": date}).date


def item_key(event: APIGatewayProxyEvent, params: type[BaseModel] = ItemParams) -> tuple[str, str]:
    """(date, time) from the `date` path parameter and the `time` query string parameter, validated."""
    date = date_param(event)
    validate(params, event.query_string_parameters, "query parameter")
    time = event.query_string_parameters.get("time")
    if time is None:
        raise ApiError(400, "ValidationFailed", "time: the query string parameter is required", "time")
    key = validate(MessageKey, {"date": date, "time": time})
    return key.date, key.time


class _DateOnly(_Strict):
    date: DateStr


def page_params(event: APIGatewayProxyEvent, params: type[PageParams] = PageParams) -> PageParams:
    return validate(params, event.query_string_parameters, "query parameter")


# ---- pagination tokens -----------------------------------------------------------------------------------


def encode_token(last_key: Mapping[str, Any]) -> str:
    """An opaque `next` token: the last key read, as URL-safe base64 JSON."""
    text = json.dumps({"date": last_key["date"], "time": last_key["time"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(token: str, date: str | None = None) -> dict[str, str]:
    """The key a `next` token carries; 400 on anything this API did not hand out for this listing."""
    bad = ApiError(400, "ValidationFailed", "next: not a pagination token from this listing", "next")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key = MessageKey.model_validate(data)
    except (ValueError, TypeError, ValidationError):
        raise bad from None
    if date is not None and key.date != date:
        raise bad
    return {"date": key.date, "time": key.time}


# ---- responses -------------------------------------------------------------------------------------------


def public_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item as the API shows it: the documented attributes, in a stable order."""
    return {name: item[name] for name in PUBLIC_FIELDS if name in item}


def to_json(value: Any) -> str:
    """JSON with Decimals written exactly as numbers (json.dumps would need float and round them)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def json_response(status: int, body: Any = None, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway Lambda proxy result; `body=None` sends no body (204)."""
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    return {
        "statusCode": status,
        "headers": all_headers,
        "body": "" if body is None else to_json(body),
        "isBase64Encoded": False,
    }


def location_of(event: APIGatewayProxyEvent, date: str, time: str) -> str:
    """The message's URL path as the client sees it: with the stage prefix that API Gateway strips from
    `path` but keeps in `requestContext.path`."""
    context_path = (event.get("requestContext") or {}).get("path") or ""
    path = event.get("path") or ""
    prefix = context_path[: -len(path)] if path and context_path.endswith(path) else ""
    return f"{prefix}/message/{date}?time={time}"


def request_id_of(event: APIGatewayProxyEvent, context: Any) -> str:
    from_gateway = (event.get("requestContext") or {}).get("requestId")
    return from_gateway or getattr(context, "aws_request_id", "") or ""


Operation = Callable[[APIGatewayProxyEvent, str], dict[str, Any]]


def api_handler(operation: Operation) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A Lambda proxy handler around `operation(event, request_id)`: every failure becomes a JSON error
    response (a 500 says only the request id; the stack trace goes to the log, never to the client)."""

    def handler(raw_event: dict[str, Any], context: Any) -> dict[str, Any]:
        event = APIGatewayProxyEvent(raw_event if isinstance(raw_event, dict) else {})
        request_id = request_id_of(event, context)
        try:
            result = operation(event, request_id)
        except ApiError as err:
            result = err.response()
        except Exception:
            logger.exception("unhandled error", extra={"request_id": request_id})
            result = ApiError(500, "InternalError", f"internal error; request id {request_id}").response()
        logger.info(
            "handled",
            extra={
                "request_id": request_id,
                "method": event.get("httpMethod"),
                "path": event.get("path"),
                "status": result["statusCode"],
            },
        )
        return result

    handler.__doc__ = operation.__doc__
    return handler
