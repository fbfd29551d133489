"""`etl trace` (an execution as a tree in the terminal) and `etl console` (the browser console on its own)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from workflow.cli.common import EndpointOpt, JsonOpt, StackOpt, err, fail, out, target_for
from workflow.console.trace import TERMINAL

if TYPE_CHECKING:
    from workflow.console.execution_views import ExecutionViews
    from workflow.console.executions import Executions
    from workflow.console.reader import Reader
    from workflow.twin.remote import Target

FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="keep updating until the execution ends")]


def _readers(
    stack: str | None, endpoint_url: str | None
) -> tuple[Target, Reader, Executions, ExecutionViews]:
    from workflow.console.execution_views import ExecutionViews
    from workflow.console.executions import Executions
    from workflow.console.reader import Reader
    from workflow.console.sources import from_target

    target = target_for(stack, endpoint_url)
    reader = Reader(from_target(target))
    return target, reader, Executions(reader), ExecutionViews(reader)


def trace(
    execution: Annotated[str, typer.Argument(help="execution ARN or name")],
    follow: FollowOpt = False,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds to follow at most")] = 900.0,
) -> None:
    """Trace an execution: states with status, duration and retries; the Map's counts and failed batches."""
    from rich.live import Live

    from workflow.console import encoding
    from workflow.console.terminal import trace_tree

    target, _, executions, views = _readers(stack, endpoint_url)
    arn = target.execution_arn(execution)

    def read() -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            return executions.header(arn), views.graph(arn)
        except Exception as exc:
            raise fail(f"{type(exc).__name__}: {exc}") from exc

    header, graph = read()
    if follow and header["status"] not in TERMINAL:
        deadline = time.monotonic() + timeout
        with Live(
            trace_tree(header, graph), console=out, refresh_per_second=4, transient=not as_json
        ) as live:
            while header["status"] not in TERMINAL and time.monotonic() < deadline:
                time.sleep(0.5)
                header, graph = read()
                live.update(trace_tree(header, graph))
    if as_json:
        print(encoding.dumps({"header": header, "steps": graph["steps"], "child": graph["child"]}))
    else:
        out.print(trace_tree(header, graph))
    raise typer.Exit(0 if header["status"] in ("SUCCEEDED", "RUNNING") else 1)


def console(
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    port: Annotated[int, typer.Option("--port", help="port to serve on")] = 8080,
    host: Annotated[str, typer.Option("--host", help="address to bind")] = "127.0.0.1",
) -> None:
    """Serve the console alone: for the twin (default) or a deployed stack (--stack NAME, usual profile)."""
    from workflow.console.app import ConsoleApp
    from workflow.console.sources import from_target
    from workflow.twin.endpoint import PortInUse, ServerThread

    target = target_for(stack, endpoint_url)
    app = ConsoleApp(from_target(target))
    try:
        server = ServerThread(app, host, port, name="console").start()
    except PortInUse as exc:
        raise fail(str(exc)) from exc
    err.print(f"console for {target.description}: [bold]{server.url}[/] (Ctrl-C stops it)")
    if not stack:
        err.print(
            "Lambda log lines are shown by the console `etl up` serves (the twin's invocation records)."
        )
    stop = threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        server.stop()
