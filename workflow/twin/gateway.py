"""The local API Gateway: a WSGI app that serves the REST API from workflow/definition/openapi.json.

Each HTTP request becomes the REST API Lambda proxy event (payload version 1.0) and the function's proxy
result becomes the HTTP response, as API Gateway does it: routes and function keys come from the OpenAPI
document (`x-function`), the API key is checked before any function runs, and the gateway's own errors use
the JSON shape the deployed API gets from its gateway responses (`GATEWAY_RESPONSE_TEMPLATE`). How a
function runs is not its business: it is given `invoke(function_key, event) -> result`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from workflow.config import LOCAL_ACCOUNT, PipelineConfig
from workflow.engine.quotas import API_GATEWAY_PAYLOAD_BYTES
from workflow.twin import activity
from workflow.twin.lambda_proxy import ProxyContext, proxy_event, proxy_response

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "definition" / "openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# The body template the OpenAPI document sets (x-amazon-apigateway-gateway-responses) on DEFAULT_4XX and
# DEFAULT_5XX, so the deployed API's own errors have the API's error shape; the local gateway renders it.
GATEWAY_RESPONSE_TEMPLATE = (
    '{"error": {"code": "$context.error.responseType", "message": $context.error.messageString}}'
)
# Gateway response types the local gateway produces: (status, API Gateway's default message,
# x-amzn-ErrorType header).
GATEWAY_ERRORS: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    "INVALID_API_KEY": (403, "Forbidden", "ForbiddenException"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long", "RequestTooLongException"),
    "THROTTLED": (429, "Too Many Requests", "TooManyRequestsException"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters", "BadRequestException"),
    "BAD_REQUEST_BODY": (400, "Invalid request body", "BadRequestException"),
    "DEFAULT_5XX": (502, "Internal server error", "InternalServerErrorException"),
}

log = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class Route:
    """One operation of the OpenAPI document: a resource path template, a method and its function."""

    resource: str
    method: str
    function: str
    operation_id: str
    pattern: re.Pattern[str]
    required_query: tuple[str, ...] = ()
    has_body: bool = False

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()


def load_routes(document: dict[str, Any]) -> list[Route]:
    """Routes from the OpenAPI paths; literal paths first, as API Gateway prefers them over variables."""
    routes: list[Route] = []
    for resource, item in document.get("paths", {}).items():
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}/]+\})", resource)
        )
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            function = operation.get("x-function")
            if not function:
                raise ValueError(f"{method.upper()} {resource}: no x-function in the OpenAPI document")
            parameters = [
                resolve_ref(document, p)
                for p in [*item.get("parameters", []), *operation.get("parameters", [])]
            ]
            required = tuple(p["name"] for p in parameters if p.get("in") == "query" and p.get("required"))
            routes.append(
                Route(
                    resource,
                    method.upper(),
                    function,
                    operation.get("operationId", ""),
                    re.compile(regex),
                    required,
                    "requestBody" in operation,
                )
            )
    return sorted(routes, key=lambda r: (r.resource.count("{"), r.resource))


def resolve_ref(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local `$ref`s (`#/components/...`)."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def generate_api_key() -> str:
    """A random key shaped like API Gateway's generated ones (40 letters and digits), for `etl up`."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(40))


class _TokenBucket:
    """A usage plan's throttle: `rate` requests per second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


@dataclass
class GatewayRecord:
    """One request as the console can show it."""

    request_id: str
    method: str
    path: str
    status: int
    function: str | None
    duration_ms: float
    time: str


class RestGateway:
    """WSGI app: API Gateway (REST API, Lambda proxy integration) in front of `invoke`.

    `api_key=None` leaves the API open; otherwise every API route needs `x-api-key: <api_key>` (403
    INVALID_API_KEY without it). `throttle=(rate, burst)` applies a usage plan's limits (429 THROTTLED).
    `validate_requests` mirrors the deployed API's request validator (infra/api.py): required query
    string parameters present (else 400 BAD_REQUEST_PARAMETERS), a JSON body that is an object where the
    operation takes one (else 400 BAD_REQUEST_BODY); field rules stay with the handlers.
    `/openapi.json` and `/health` are served without a key.
    """

    def __init__(
        self,
        invoke: Invoke,
        api_key: str | None = None,
        *,
        openapi_path: Path = OPENAPI_PATH,
        config: PipelineConfig | None = None,
        max_payload_bytes: int = API_GATEWAY_PAYLOAD_BYTES,
        throttle: tuple[float, int] | None = None,
        validate_requests: bool = True,
        account: str = LOCAL_ACCOUNT,
        api_id: str = "local",
    ) -> None:
        self.invoke = invoke
        self.api_key = api_key
        self.config = config or PipelineConfig()
        self.document: dict[str, Any] = json.loads(Path(openapi_path).read_text(encoding="utf-8"))
        self.routes = load_routes(self.document)
        self.max_payload_bytes = max_payload_bytes
        self.bucket = _TokenBucket(*throttle) if throttle else None
        self.validate_requests = validate_requests
        self.account = account
        self.api_id = api_id
        self.api_key_id = hashlib.sha256((api_key or "").encode()).hexdigest()[:10]
        self.records: deque[GatewayRecord] = deque(maxlen=1_000)

    # ---- WSGI -------------------------------------------------------------------------------------------
    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        function: str | None = None
        try:
            if request.path == "/openapi.json" and request.method in ("GET", "HEAD"):
                response = self._openapi(request)
            elif request.path == "/health" and request.method in ("GET", "HEAD"):
                response = _json(200, {"status": "ok"})
            else:
                function, response = self._api(request, request_id)
        except Exception:  # the gateway itself must never answer with a stack trace
            log.exception("gateway error for %s %s", request.method, request.path)
            response = self._gateway_error("DEFAULT_5XX", request_id=request_id)
        duration = (time.monotonic() - started) * 1000
        self.records.append(
            GatewayRecord(
                request_id,
                request.method,
                request.full_path.rstrip("?"),
                response.status_code,
                function,
                round(duration, 3),
                datetime.now(UTC).isoformat(),
            )
        )
        activity.publish(
            activity.ApiRequest(request.method, request.path, response.status_code, duration, function)
        )
        log.info(
            "%s %s -> %s (%s, %.1f ms)",
            request.method,
            request.path,
            response.status_code,
            function or "gateway",
            duration,
        )
        return response(environ, start_response)

    def _openapi(self, request: Request) -> Response:
        document = dict(self.document)
        document["servers"] = [{"url": request.host_url.rstrip("/"), "description": "this local gateway"}]
        return _json(200, document)

    def _api(self, request: Request, request_id: str) -> tuple[str | None, Response]:
        raw_path = _raw_path(request.environ)
        route, params = self._route(request.method, raw_path)
        if route is None:
            return None, self._gateway_error("MISSING_AUTHENTICATION_TOKEN", request_id=request_id)
        if self.api_key is not None:
            given = request.headers.get("x-api-key", "")
            if not hmac.compare_digest(given.encode(), self.api_key.encode()):
                return route.function, self._gateway_error("INVALID_API_KEY", request_id=request_id)
        if self.bucket is not None and not self.bucket.take():
            return route.function, self._gateway_error("THROTTLED", request_id=request_id)
        body = _read_body(request, self.max_payload_bytes)
        if body is None:
            return route.function, self._gateway_error("REQUEST_TOO_LARGE", request_id=request_id)
        if self.validate_requests:
            problem = _invalid_request(route, request, body)
            if problem is not None:
                return route.function, self._gateway_error(*problem, request_id=request_id)
        event = proxy_event(
            request,
            route.resource,
            route.operation_id,
            params,
            raw_path,
            body,
            request_id,
            ProxyContext(self.account, self.config.api_stage, self.api_id, self.api_key, self.api_key_id),
        )
        try:
            result = self.invoke(route.function, event)
        except Exception:
            log.exception("invoking %s failed", route.function)
            return route.function, self._gateway_error("DEFAULT_5XX", request_id=request_id)
        response = proxy_response(result)
        if response is None:
            log.error("%s returned a malformed Lambda proxy response: %.500r", route.function, result)
            return route.function, self._gateway_error("DEFAULT_5XX", request_id=request_id)
        response.headers["x-amzn-RequestId"] = request_id
        return route.function, response

    def _route(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if route.method == method:
                params = route.match(path)
                if params is not None:
                    return route, params
        return None, {}

    def _gateway_error(self, response_type: str, message: str | None = None, *, request_id: str) -> Response:
        """API Gateway's own error: the document's gateway response for the type (or DEFAULT_4XX/5XX), or
        API Gateway's default `{"message": ...}` body when the document configures none."""
        status, default_message, error_type = GATEWAY_ERRORS[response_type]
        message = message or default_message
        configured = self.document.get("x-amazon-apigateway-gateway-responses", {})
        fallback = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
        setting = configured.get(response_type) or configured.get(fallback) or {}
        template = setting.get("responseTemplates", {}).get("application/json")
        if template:
            body = render_gateway_template(template, response_type, message)
        else:
            body = json.dumps({"message": message})
        response = Response(body, status=int(setting.get("statusCode", status)), mimetype="application/json")
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["x-amzn-ErrorType"] = error_type
        return response


def render_gateway_template(template: str, response_type: str, message: str) -> str:
    """The $context.error variables a gateway response template may use (messageString is quoted JSON)."""
    return (
        template.replace("$context.error.messageString", json.dumps(message))
        .replace("$context.error.message", message)
        .replace("$context.error.responseType", response_type)
    )


def _invalid_request(route: Route, request: Request, body: bytes) -> tuple[str, str] | None:
    """What API Gateway's request validator (parameters and body, body model "a JSON object") refuses."""
    names = {name for name, _ in parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)}
    missing = [name for name in route.required_query if name not in names]
    if missing:
        return "BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]"
    content_type = (request.mimetype or "application/json").lower()
    if route.has_body and content_type == "application/json":  # the model is keyed by this media type
        try:
            parsed = json.loads(body or b"null")
        except (ValueError, RecursionError):  # too deeply nested for the parser is still the client's body
            parsed = None
        if not isinstance(parsed, dict):
            return "BAD_REQUEST_BODY", "Invalid request body"
    return None


def _raw_path(environ: WSGIEnvironment) -> str:
    """The request path as sent (percent-escapes kept), without the query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        return path or "/"
    from urllib.parse import quote

    return quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def _read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is over the payload limit."""
    length = request.content_length
    if length is not None and length > limit:
        return None
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
