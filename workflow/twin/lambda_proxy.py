"""API Gateway's Lambda proxy integration (REST API, payload version 1.0), both ways.

`proxy_event` turns an HTTP request into the event a proxy integration hands the function; `proxy_response`
turns the function's result into the HTTP response, or None where API Gateway would call it malformed (the
gateway then answers 502). The routing, API keys and gateway errors around them are gateway.py's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

_PROXY_RESULT_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


@dataclass(frozen=True)
class ProxyContext:
    """What the event's requestContext says about the API itself: account, stage, id and the caller's key."""

    account: str
    stage: str
    api_id: str
    api_key: str | None
    api_key_id: str


def proxy_event(
    request: Request,
    resource: str,
    operation_id: str,
    path_params: dict[str, str],
    raw_path: str,
    body: bytes,
    request_id: str,
    api: ProxyContext,
) -> dict[str, Any]:
    """The REST API proxy event (payload 1.0). `path` and `pathParameters` are as the client sent them
    (API Gateway does not URL-decode them); query string values are decoded. Locally the API sits at the
    root (like a custom domain with an empty base path), so `requestContext.path` equals `path`."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
        headers[name] = value
    client_ip = request.remote_addr or "127.0.0.1"
    extra = {
        "X-Forwarded-For": client_ip,
        "X-Forwarded-Proto": request.scheme,
        "X-Forwarded-Port": str(request.environ.get("SERVER_PORT", "")),
    }
    for name, value in extra.items():
        headers.setdefault(name, value)
        multi_headers.setdefault(name, [value])
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True):
        query[name] = value  # the last value wins, as in API Gateway
        multi_query.setdefault(name, []).append(value)
    now = datetime.now(UTC)
    if body:
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        text, encoded = None, False
    host = request.host
    return {
        "resource": resource,
        "path": raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha256(resource.encode()).hexdigest()[:6],
            "resourcePath": resource,
            "operationName": operation_id or None,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode()[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": raw_path,
            "accountId": api.account,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": api.stage,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": client_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": request.headers.get("User-Agent"),
                "user": None,
                "apiKey": api.api_key,
                "apiKeyId": api.api_key_id if api.api_key else None,
            },
            "domainName": host,
            "apiId": api.api_id,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def proxy_response(result: Any) -> Response | None:
    """The HTTP response for a Lambda proxy result, or None if API Gateway would call it malformed
    (not an object, unknown keys, no integer statusCode, a non-string body, bad base64)."""
    if not isinstance(result, dict) or not set(result) <= _PROXY_RESULT_KEYS:
        return None
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        return None
    data = (body or "").encode("utf-8")
    if result.get("isBase64Encoded") and body:
        try:
            data = base64.b64decode(body, validate=True)
        except binascii.Error:
            return None
    headers = Headers()
    single = result.get("headers")
    multi = result.get("multiValueHeaders")
    if not isinstance(single, dict | None) or not isinstance(multi, dict | None):
        return None
    single, multi = single or {}, multi or {}
    # Both given: merged; a name in multiValueHeaders takes its values from there.
    for name, value in single.items():
        if name not in multi:
            headers.add(name, str(value))
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.add(name, str(value))
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return Response(data, status=status, headers=headers)
