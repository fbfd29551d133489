"""A small console until the full one lands: the executions with their status, and one execution's details.

Served by `etl up` on its own port (8080). JSON twins of the pages (`/api/...`) let scripts and tests read the
same data; `/health` answers like the other services.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

from workflow.engine.errors import ServiceError

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
    ".SUCCEEDED{color:#137333}.FAILED,.TIMED_OUT,.ABORTED{color:#b3261e}.RUNNING{color:#1a73e8}"
    "pre{background:#f6f8fa;padding:1rem;overflow:auto}"
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class ConsolePage:
    """WSGI app over the engine service (`list_executions`, `describe_execution`, `get_execution_history`)."""

    def __init__(
        self,
        service: Any,
        state_machine_arn: Callable[[], str | None],
        records: Callable[..., list[Any]] | None = None,
    ) -> None:
        self.service = service
        self.state_machine_arn = state_machine_arn
        self.records = records

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except ServiceError as exc:
            response = Response(
                json.dumps({"error": exc.code, "message": exc.message}),
                status=exc.status,
                content_type="application/json",
            )
        return response(environ, start_response)

    def executions(self) -> list[dict[str, Any]]:
        arn = self.state_machine_arn()
        if not arn:
            return []
        return [_jsonable(e) for e in self.service.list_executions(stateMachineArn=arn)["executions"]]

    def execution(self, arn: str) -> dict[str, Any]:
        described = _jsonable(self.service.describe_execution(executionArn=arn))
        history = _jsonable(self.service.get_execution_history(executionArn=arn, maxResults=1000)["events"])
        return {"execution": described, "events": history}

    def invocations(self, request_id: str | None, function: str | None) -> list[dict[str, Any]]:
        """Lambda invocation records (logs per request id), for showing beside the state that made them."""
        if self.records is None:
            return []
        return [r.to_dict() for r in self.records(request_id=request_id, function=function)]

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/health":
            return _json({"status": "ok", "service": "console"})
        if path == "/api/invocations":
            return _json(
                {
                    "invocations": self.invocations(
                        request.args.get("request_id"), request.args.get("function")
                    )
                }
            )
        if path == "/api/executions":
            return _json({"executions": self.executions()})
        if path.startswith("/api/executions/"):
            return _json(self.execution(unquote(path[len("/api/executions/") :])))
        if path.startswith("/executions/"):
            return self.execution_page(unquote(path[len("/executions/") :]))
        if path in ("/", "/executions"):
            return self.list_page()
        return Response("not found", status=404)

    def list_page(self) -> Response:
        rows = []
        for e in self.executions():
            link = "/executions/" + quote(e["executionArn"], safe="")
            rows.append(
                f"<tr><td><a href='{link}'>{html.escape(e['name'])}</a></td>"
                f"<td class='{e['status']}'>{e['status']}</td><td>{e.get('startDate', '')}</td>"
                f"<td>{e.get('stopDate') or ''}</td><td>{e.get('redriveCount', 0)}</td></tr>"
            )
        body = (
            "<h1>csv-etl executions</h1><table><tr><th>name</th><th>status</th><th>started</th>"
            "<th>stopped</th><th>redrives</th></tr>"
            + "".join(rows)
            + "</table>"
            + ("" if rows else "<p>No executions yet: drop a CSV with <code>etl drop FILE</code>.</p>")
        )
        return _html("csv-etl console", body)

    def execution_page(self, arn: str) -> Response:
        data = self.execution(arn)
        described = data["execution"]
        result = _pretty(described.get("output") or described.get("cause"))
        events = "".join(
            f"<tr><td>{ev['id']}</td><td>{ev['timestamp']}</td><td>{html.escape(ev['type'])}</td>"
            f"<td>{html.escape(_state_of(ev))}</td></tr>"
            for ev in data["events"]
        )
        body = (
            f"<p><a href='/'>&larr; executions</a></p><h1>{html.escape(described['name'])}</h1>"
            f"<p class='{described['status']}'>{described['status']}</p>"
            f"<h2>Input</h2><pre>{html.escape(_pretty(described.get('input')))}</pre>"
            f"<h2>Output</h2><pre>{html.escape(result)}"
            f"</pre><h2>History</h2><table><tr><th>#</th><th>time</th><th>type</th><th>state</th></tr>"
            f"{events}</table>"
        )
        return _html(described["name"], body)


def _state_of(event: dict[str, Any]) -> str:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict) and "name" in value:
            return str(value["name"])
    return ""


def _pretty(text: str | None) -> str:
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2)
    except (json.JSONDecodeError, TypeError):
        return text


def _json(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def _html(title: str, body: str) -> Response:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )
    return Response(page, content_type="text/html; charset=utf-8")
