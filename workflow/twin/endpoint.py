"""One AWS endpoint on one port (default 127.0.0.1:4566), as boto3 and the AWS CLI expect it.

Step Functions JSON-protocol calls go to our engine's HTTP app, `/2015-03-31/functions/...` to the local
Lambda API, `GET /health` (unsigned) to a small JSON answer, everything else to moto's server app running
in-process (S3, SQS, DynamoDB), with moto told the twin's account id so ARNs and queue URLs carry it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from workflow.engine.http_api import is_stepfunctions_request
from workflow.twin.moto_seams import MotoRequestHandler, moto_app

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from workflow.twin.lambdas import InvocationRecord

LAMBDA_PREFIX = "/2015-03-31/functions"
TWIN_PREFIX = "/_twin/"  # not a bucket name (they cannot start with "_"), so never an S3 path
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def signing_service(environ: WSGIEnvironment) -> str | None:
    """The service named in a SigV4 Authorization header's credential scope, if the request is signed."""
    match = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return match.group(1) if match else None


class Endpoint:
    """The dispatching WSGI app."""

    def __init__(
        self,
        stepfunctions_app: WSGIApplication,
        lambda_app: WSGIApplication,
        account: str,
        health: Callable[[], dict[str, Any]] | None = None,
        invocations: Callable[..., list[InvocationRecord]] | None = None,
    ) -> None:
        self.stepfunctions_app = stepfunctions_app
        self.lambda_app = lambda_app
        self.account = account
        self.health = health or (lambda: {"status": "ok"})
        # The Lambda runtime's invocation records, for `etl logs` (GET /_twin/invocations).
        self.invocations = invocations or getattr(getattr(lambda_app, "runtime", None), "records", None)
        self.moto_app: WSGIApplication = moto_app(account)  # moto's server app, in the twin's account

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        service = signing_service(environ)
        if path == "/health" and service is None and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body = json.dumps(self.health()).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response("200 OK", headers)
            return [body]
        if path.startswith(TWIN_PREFIX) and service is None:
            return self._twin(environ, start_response)
        if is_stepfunctions_request(environ):
            return self.stepfunctions_app(environ, start_response)
        if path.startswith(LAMBDA_PREFIX) and service in (None, "lambda"):
            return self.lambda_app(environ, start_response)
        return self.moto_app(environ, start_response)

    def _twin(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The twin's own JSON (unsigned, so no AWS service answers it): `/_twin/invocations`, completed
        invocation records oldest first, filtered by `function`, `execution` and `request_id`."""
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        status = "404 Not Found"
        payload: dict[str, object] = {"error": f"no such twin path {environ.get('PATH_INFO')}"}
        if environ.get("PATH_INFO") == TWIN_PREFIX + "invocations" and self.invocations is not None:
            try:
                records = self.invocations(
                    request_id=query.get("request_id"), function=query.get("function") or None
                )
                execution = query.get("execution")
                payload = {
                    "invocations": [
                        r.to_dict()
                        for r in records
                        if r.end is not None and (not execution or r.execution == execution)
                    ]
                }
                status = "200 OK"
            except Exception as exc:  # an unknown function name
                status, payload = "400 Bad Request", {"error": str(getattr(exc, "message", exc))}
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


class QuietRequestHandler(MotoRequestHandler):
    """moto's handler (keeps underscores in S3 metadata headers) without a log line per request.

    TCP_NODELAY: werkzeug writes a response's headers and body separately; with Nagle's algorithm on, the
    body waits for the client's delayed ACK of the headers (tens of ms per call on loopback).
    """

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class ServerThread:
    """A werkzeug threaded server for a WSGI app on a background thread (port 0 picks a free port)."""

    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 4566,
        name: str = "endpoint",
        request_handler: type[WSGIRequestHandler] = QuietRequestHandler,
    ) -> None:
        self.app = app
        self.host = host
        self.name = name
        if port and (problem := bind_error(host, port)) is not None:
            raise PortInUse(host, port, name, problem)
        try:
            self.server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=request_handler
            )
        except (OSError, SystemExit) as exc:  # werkzeug reports a taken port with SystemExit
            raise PortInUse(host, port, name, exc if isinstance(exc, OSError) else None) from exc
        if isinstance(
            self.server, socketserver.ThreadingMixIn
        ):  # threaded=True: werkzeug's ThreadedWSGIServer
            self.server.daemon_threads = True
        self.port = self.server.server_port
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"{name}-server",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


class PortInUse(RuntimeError):
    """A port the twin needs cannot be bound: taken (another `etl up`, LocalStack, ...) or not ours."""

    def __init__(self, host: str, port: int, name: str, error: OSError | None = None) -> None:
        if error is None or error.errno == errno.EADDRINUSE:
            why = "the port is already in use (stop what is using it, or choose another port)"
        elif error.errno == errno.EADDRNOTAVAIL:
            why = f"{host} is not an address of this machine (use 127.0.0.1, or 0.0.0.0 for all)"
        elif error.errno == errno.EACCES:
            why = "permission denied (ports below 1024 need privileges; choose another port)"
        else:
            why = error.strerror or str(error)
        super().__init__(f"cannot start the {name} on {host}:{port}: {why}")
        self.host = host
        self.port = port
        self.service_name = name


def bind_error(host: str, port: int) -> OSError | None:
    """Why a server could not bind host:port now (None: it could)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc
    return None


def port_free(host: str, port: int) -> bool:
    """True when a server could bind host:port now."""
    return bind_error(host, port) is None
