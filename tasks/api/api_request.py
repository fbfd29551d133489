"""Reading an API request: the JSON body, path and query parameters, and pagination tokens.

Every problem becomes a 4xx `ApiError` naming the field (or parameter) at fault, with the rules of the
models in message_model.py. Shared by the five API handlers, each its own Lambda.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from api_response import ApiError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from message_model import (
    KEY_FIELDS,
    READ_ONLY_FIELDS,
    DateStr,
    ItemParams,
    MessageKey,
    PageParams,
    StrictModel,
)
from pydantic import BaseModel, ValidationError

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


class _DateOnly(StrictModel):
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
