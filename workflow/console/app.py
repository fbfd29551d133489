"""The console's WSGI app: a JSON API under /api, server-sent events, and the static single-page front end.

Paths carry ARNs and S3 keys (which hold `/` and `:`), so the API is dispatched by hand on known suffixes
(`/graph`, `/history`, `/states/<node>`, ...) rather than by a router that would split them. Writes (upload,
redrive, replay, stop) need the `X-Console` header, which a page on another origin cannot send without a CORS
preflight this app never answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response

from workflow.console import encoding, live
from workflow.console.actions import ActionRefused, Actions
from workflow.console.execution_views import ExecutionViews
from workflow.console.executions import Executions
from workflow.console.files import BadUpload, Files
from workflow.console.mapruns import MapRuns
from workflow.console.reader import Reader
from workflow.console.rejects import Rejects
from workflow.console.sources import Sources

STATIC = Path(__file__).parent / "static"
EXECUTION_SUFFIXES = ("/graph", "/history.json", "/history", "/redrive", "/replay", "/stop")
NOT_FOUND_CODES = {"ExecutionDoesNotExist", "ResourceNotFound", "NoSuchKey", "StateMachineDoesNotExist"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json(body: Any, status: int = 200) -> Response:
    return Response(encoding.dumps(body), status=status, content_type="application/json")


class ConsoleApp:
    """`ConsoleApp(sources)` is a WSGI callable; `close()` ends the open event streams."""

    def __init__(self, sources: Sources) -> None:
        self.src = sources
        self.reader = Reader(sources)
        self.executions = Executions(self.reader)
        self.views = ExecutionViews(self.reader)
        self.mapruns = MapRuns(self.reader)
        self.files = Files(self.reader, self.executions)
        self.rejects = Rejects(self.files, self.executions)
        self.actions = Actions(self.reader)
        self.closing = threading.Event()

    def close(self) -> None:
        self.closing.set()
        self.reader.pool.shutdown(wait=False)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ApiError as exc:
            response = _json({"error": exc.code, "message": exc.message}, exc.status)
        except ActionRefused as exc:
            response = _json({"error": "ActionRefused", "message": str(exc)}, 409)
        except BadUpload as exc:
            response = _json({"error": "BadUpload", "message": str(exc)}, 400)
        except LookupError as exc:
            response = _json({"error": "NotFound", "message": str(exc)}, 404)
        except Exception as exc:  # botocore's ClientError: the service's code and message; else a 500
            error = getattr(exc, "response", {}).get("Error", {})
            code = error.get("Code") or type(exc).__name__
            status = 404 if code in NOT_FOUND_CODES else 400 if error else 500
            response = _json({"error": code, "message": error.get("Message") or str(exc)}, status)
        return response(environ, start_response)

    # ---- dispatch -----------------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/health":
            return _json({"status": "ok", "service": "console"})
        if path.startswith("/static/"):
            return self.static(request, path[len("/static/") :])
        if not path.startswith("/api/"):
            if request.method != "GET":
                raise ApiError(405, "MethodNotAllowed", "pages are read-only")
            return self.static(request, "index.html", cache=False)
        if request.method in ("POST", "PUT", "DELETE") and request.headers.get("X-Console") != "1":
            raise ApiError(
                403, "Forbidden", "writes need the X-Console: 1 header (sent by the console's pages)"
            )
        args = request.args
        if path == "/api/info":
            return _json(self.info())
        if path == "/api/events":
            return self.events(args.get("execution"), args.get("maprun"), args.get("lists") == "1")
        if path == "/api/files":
            return _json(self.files.page(int(args.get("page", 0) or 0), args.get("q")))
        if path.startswith("/api/files/"):
            return self.file_route(request, unquote(path[len("/api/files/") :]))
        if path == "/api/executions":
            return _json(self.executions.page(args.get("status"), args.get("q"), args.get("page") or None))
        if path.startswith("/api/executions/"):
            return self.execution_route(request, unquote(path[len("/api/executions/") :]))
        if path.startswith("/api/mapruns/"):
            rest = unquote(path[len("/api/mapruns/") :])
            if rest.endswith("/children"):
                arn = rest[: -len("/children")]
                return _json(self.mapruns.children(arn, args.get("status"), args.get("page") or None))
            return _json(self.mapruns.describe(rest))
        raise ApiError(404, "NotFound", f"no API at {path}")

    def info(self) -> dict[str, Any]:
        return {
            "target": self.src.description,
            "bucket": self.src.bucket,
            "incoming_prefix": self.src.incoming_prefix,
            "state_machine_arn": self.src.state_machine_arn,
            "ledger": self.src.ledger.available(),
            "poll_s": self.src.poll_s,
        }

    def file_route(self, request: Request, rest: str) -> Response:
        if request.method == "PUT":
            return _json(self.files.upload(rest, request.stream), 201)
        if rest.endswith("/rejects.csv"):
            key = rest[: -len("/rejects.csv")]
            name = key.rsplit("/", 1)[-1].removesuffix(".csv") + "-rejects.csv"
            return Response(
                self.rejects.csv_chunks(key),
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        if rest.endswith("/rejects"):
            args = request.args
            return _json(self.rejects.page(rest[: -len("/rejects")], args.get("q"), args.get("field")))
        if rest.endswith("/execution"):
            key = rest[: -len("/execution")]
            return _json({"key": key, "executionArn": self.files.latest_execution(key)})
        raise ApiError(404, "NotFound", f"no file API at {rest}")

    def execution_route(self, request: Request, rest: str) -> Response:
        args = request.args
        if "/states/" in rest:
            arn, _, node = rest.partition("/states/")
            visit = int(args.get("visit", -1))
            return _json(self.views.state(arn, node, args.get("child"), visit))
        for suffix in EXECUTION_SUFFIXES:
            if rest.endswith(suffix):
                arn = rest[: -len(suffix)]
                break
        else:
            return _json(self.executions.header(rest))
        if suffix in ("/redrive", "/replay", "/stop"):
            if request.method != "POST":
                raise ApiError(405, "MethodNotAllowed", f"{suffix[1:]} is a POST")
            return _json(self.actions.run(arn, suffix[1:]))
        if suffix == "/graph":
            return _json(self.views.graph(arn, args.get("child")))
        if suffix == "/history":
            return _json(
                self.views.history(arn, args.get("page") or None, args.get("type"), args.get("state"))
            )
        events, cut = self.reader.events(arn)
        name = arn.rsplit(":", 1)[-1]
        return Response(
            encoding.dumps({"executionArn": arn, "events": events, "truncated": cut}),
            content_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}-history.json"'},
        )

    def events(self, execution: str | None, map_run: str | None, lists: bool) -> Response:
        body = live.stream(self.src, execution, map_run, self.closing, lists=lists)
        return Response(
            body,
            content_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            direct_passthrough=True,
        )

    def static(self, request: Request, name: str, cache: bool = True) -> Response:
        try:
            response = send_from_directory(STATIC, name, request.environ, max_age=3600 if cache else 0)
        except NotFound as exc:
            raise ApiError(404, "NotFound", f"no file {name}") from exc
        return response
