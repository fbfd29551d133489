"""In-process hand-off: the twin's Lambdas' boto3 requests reach the twin's endpoint app without a socket.

Locally every handler's AWS call was an HTTP request to the twin's own endpoint in the same process: a new
TCP connection, a server thread, HTTP parsing both ways, for each DynamoDB PutItem (issue 14). The twin's
functions get an endpoint URL of their own (`alias()`: a loopback address no server listens on, port
kept); a botocore `before-send` hook hands every request for that URL to the endpoint's WSGI app in the
calling thread, as moto's `mock_aws` hands requests to its backends, and turns the WSGI answer into the
response botocore would have read from the socket. The handlers' boto3 code is unchanged; the request still
goes through the same app (the same routing, moto's request parsing, the same backends and tables that
users read over HTTP), only the transport differs. The engine's and the event source mapping's SQS clients
use the alias too (backend.IN_PROCESS_SERVICES); clients for any other URL (users, the engine's other
services, tests) are untouched.

A few hot requests have a direct answer instead of the app (`serve(..., direct=...)`, keyed by the request's
X-Amz-Target): the writer's BatchExecuteStatement of INSERTs goes straight to moto's DynamoDB backend
(`moto_seams.batch_inserts_answer`), same backend and table, without the app's routing and moto's generic
request parsing, which cost more than the 25 writes (issue 14). Those are taken at botocore's `before-call`
event, the extension point botocore's own Stubber answers at: after the client has validated and
serialised the call as for AWS, before it builds, signs and sends an HTTP request. The answer's JSON is
parsed by botocore's own parser for the protocol, so the handler gets what it would from the wire; only
the transport's work (request preparation, SigV4 signing of a request nobody checks, the retry
bookkeeping of a call that cannot fail in transit) is skipped: 0.205 to 0.15 CPU ms per written item
(bench/moto_costs.py, `handoff_direct`, issue 14). A direct answer may decline (None): the request then
takes the `before-send` hand-off to the app as any other.

The WSGI environ is built as werkzeug's server builds it (PATH_INFO decoded, RAW_URI/REQUEST_URI as sent,
HTTP_* headers), so moto sees the request it would see over HTTP. While the app runs the thread leaves its
function environment (threadenv), so moto reads the process's settings, as on its server thread.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from botocore import handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.parsers import create_parser

from workflow.twin import threadenv

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from botocore.model import OperationModel

ALIAS_HOST = "127.0.0.254"  # an IP (so S3 stays path-style) on loopback that the twin never listens on

# ETL_TWIN_HANDOFF=0 keeps the HTTP hop (to compare, or to rule the hand-off out when chasing a bug).
ENABLED = os.environ.get("ETL_TWIN_HANDOFF", "1") != "0"
_targets: dict[str, WSGIApplication] = {}  # "host:port" of an alias -> the app that answers it
DirectAnswer = Callable[[bytes], "bytes | None"]  # a JSON request body -> the JSON response body, or None
_direct: dict[str, Mapping[str, DirectAnswer]] = {}  # "host:port" -> X-Amz-Target -> its direct answer
_lock = threading.Lock()
_installed = False
served = 0  # requests handed off since the process started (tests and benchmarks read it)


def alias(url: str) -> str:
    """The in-process URL for an endpoint URL: same scheme and port, ALIAS_HOST."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{ALIAS_HOST}:{parts.port}"


def serve(url: str, app: WSGIApplication, direct: Mapping[str, DirectAnswer] | None = None) -> str:
    """Answer requests for alias(url) with `app` (or a `direct` answer by X-Amz-Target), in process;
    returns the alias."""
    global _installed
    target = alias(url)
    with _lock:
        _targets[urlsplit(target).netloc] = app
        _direct[urlsplit(target).netloc] = dict(direct or {})
        if not _installed:
            _install()
            _installed = True
    return target


def forget(url: str) -> None:
    with _lock:
        _targets.pop(urlsplit(alias(url)).netloc, None)
        _direct.pop(urlsplit(alias(url)).netloc, None)


def _install() -> None:
    """Register the hook for sessions made from now on (botocore copies BUILTIN_HANDLERS into each new
    session) and on boto3's default session, if one exists already."""
    for event, hook in (("before-call", _before_call), ("before-send", _before_send)):
        handlers.BUILTIN_HANDLERS.append((event, hook))
    boto3 = sys.modules.get("boto3")
    default = getattr(boto3, "DEFAULT_SESSION", None) if boto3 is not None else None
    if default is not None:
        default._session.register("before-call", _before_call)
        default._session.register("before-send", _before_send)


def _before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    parts = urlsplit(request.url)
    app = _targets.get(parts.netloc)
    if app is None or parts.hostname != ALIAS_HOST:
        return None
    return _call(app, request, parts.scheme, parts.netloc)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


_JSON_CONTENT = "application/x-amz-json-"  # the awsJson protocols' Content-Type prefix


def _before_call(
    model: OperationModel, params: dict[str, Any], **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    """The (HTTP response, parsed response) of a serialised call with a direct answer; None otherwise."""
    parts = urlsplit(str(params.get("url", "")))
    answers = _direct.get(parts.netloc) if parts.hostname == ALIAS_HOST else None
    if not answers:
        return None
    headers_sent = params.get("headers") or {}
    target = headers_sent.get("X-Amz-Target")
    direct = answers.get(_text(target)) if target else None
    content_type = _text(headers_sent.get("Content-Type", ""))
    if direct is None or not content_type.startswith(_JSON_CONTENT):
        return None
    body = params.get("body") or b""
    with threadenv.host_environment():
        content = direct(body.encode("utf-8") if isinstance(body, str) else bytes(body))
    if content is None:
        return None
    global served
    with _lock:
        served += 1
    headers = HTTPHeaders()
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(content))
    headers["x-amzn-RequestId"] = uuid.uuid4().hex
    response = {
        "headers": headers,
        "status_code": 200,
        "body": content,
        "context": {"operation_name": model.name},
    }
    parsed: dict[str, Any] = _json_parser().parse(response, model.output_shape)
    parsed["ResponseMetadata"]["RetryAttempts"] = 0  # what botocore's endpoint adds to a first-try answer
    return AWSResponse(str(params["url"]), 200, headers, _Body(content)), parsed


@functools.cache
def _json_parser() -> Any:
    return create_parser("json")


class _Body(io.BytesIO):
    """The raw response botocore reads: `stream()` for a whole body, `read(n)` for a StreamingBody."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


def _body(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    data = body.read()  # a file-like body (S3 uploads)
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _environ(request: AWSPreparedRequest, scheme: str, netloc: str, body: bytes) -> dict[str, Any]:
    parts = urlsplit(request.url)
    raw = parts.path + ("?" + parts.query if parts.query else "")
    host, _, port = netloc.partition(":")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path).encode("utf-8").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "REQUEST_URI": raw,
        "RAW_URI": raw,
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": host,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": netloc,
        "CONTENT_LENGTH": str(len(body)),
    }
    for key, value in request.headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        name = key.upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = text
        elif name != "HOST":
            environ[f"HTTP_{name}"] = text
    return environ


def _call(app: WSGIApplication, request: AWSPreparedRequest, scheme: str, netloc: str) -> AWSResponse:
    global served
    body = _body(request)
    environ = _environ(request, scheme, netloc, body)
    answer: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[..., Any]:
        answer["status"], answer["headers"] = status, headers
        return lambda _data: None

    with threadenv.host_environment():
        try:
            chunks: Iterable[bytes] = app(environ, start_response)
            try:
                content = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except Exception:  # what werkzeug's server answers for an app that raised
            answer["status"], answer["headers"] = "500 INTERNAL SERVER ERROR", []
            content = b"Internal Server Error"
    with _lock:
        served += 1
    status = int(str(answer.get("status", "500")).split(" ", 1)[0])
    headers = HTTPHeaders()
    for name, value in answer.get("headers") or []:
        headers[name] = value
    if "Content-Length" not in headers:
        headers["Content-Length"] = str(len(content))
    return AWSResponse(request.url, status, headers, _Body(content))
