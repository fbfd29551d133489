"""The activity lines `etl up` prints after its banner: one concise line per thing that happened.

10:21:03 upload     incoming/data.csv -> execution 3f2a9c1e-...
10:21:03 lambda     csv-etl-transform 12 ms
10:21:05 execution  SUCCEEDED incoming/data.csv  20 written, 0 rejected, 0 failed  2.1 s  3f2a9c1e-...
10:21:07 api        GET /message -> 200  4.1 ms
10:21:09 dlq        1 message arrived in csv-etl-batches-dlq (2 there)  `etl dlq` shows them
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from workflow.twin import activity

if TYPE_CHECKING:
    from workflow.twin.server import UpServer

STATUS_STYLE = {"SUCCEEDED": "green", "RUNNING": "blue"}
QUIET_PATHS = frozenset({"/health"})  # readiness polls (scripts, tests, `make run`) are not activity


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'red')}]{status}[/]"


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def format_line(record: activity.Activity) -> str:
    """The rich-markup line for one activity record (without the time)."""
    if isinstance(record, activity.ExecutionStarted):
        if record.upload:
            return f"[bold]upload[/]     {escape(record.key or '')} -> execution {record.name}"
        what = "redriven" if record.redrive else "started"
        return f"[bold]execution[/]  {what} {record.name}" + (f"  {escape(record.key)}" if record.key else "")
    if isinstance(record, activity.ExecutionEnded):
        parts = [_status(record.status), escape(record.key or "")]
        counts = (record.rows_written, record.rows_rejected, record.rows_failed)
        if any(count is not None for count in counts):
            written, rejected, failed = (0 if c is None else c for c in counts)
            parts.append(f" {written} written, {rejected} rejected, {failed} failed")
        if record.error:
            parts.append(f" [red]{escape(record.error)}[/]")
        if record.duration_s is not None:
            parts.append(f" {record.duration_s:.1f} s")
        parts.append(f" {record.name}")
        return "[bold]execution[/]  " + " ".join(p for p in parts if p)
    if isinstance(record, activity.LambdaInvoked):
        line = f"[bold]lambda[/]     {record.function} {_ms(record.duration_ms)}"
        if record.error_type:
            message = (record.error_message or "").splitlines()[0][:200] if record.error_message else ""
            line += f"  [red]{escape(record.error_type)}[/]: {escape(message)}"
        return line
    if isinstance(record, activity.ApiRequest):
        colour = "green" if record.status < 400 else "yellow" if record.status < 500 else "red"
        return (
            f"[bold]api[/]        {record.method} {escape(record.path)} -> [{colour}]{record.status}[/]"
            f"  {_ms(record.latency_ms)}"
        )
    if isinstance(record, activity.DlqArrival):
        noun = "message" if record.arrived == 1 else "messages"
        return (
            f"[bold red]dlq[/]        {record.arrived} {noun} arrived in {record.queue} "
            f"({record.depth} there)  `etl dlq` shows them"
        )
    return escape(str(record))


class ActivityPrinter:
    """Subscribes to the twin's activity and prints it; `verbose` adds each Lambda's log lines."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.watcher: activity.TwinWatcher | None = None
        self.stop_requested: float | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, server: UpServer) -> ActivityPrinter:
        twin, resources = server.twin, server.twin.resources
        if resources is None or twin.service is None:
            raise RuntimeError(
                "the twin's resources are not provisioned yet: start the printer once it is ready"
            )
        self._unsubscribe = activity.subscribe(self.show)
        self.watcher = activity.TwinWatcher(
            twin.service,
            resources.state_machine_arn,
            sqs=twin.client("sqs"),
            dlq_url=resources.dlq_url,
        ).start()
        return self

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def show(self, record: activity.Activity) -> None:
        if isinstance(record, activity.ApiRequest) and record.path in QUIET_PATHS:
            return
        stamp = record.at.astimezone().strftime("%H:%M:%S")
        lines = [f"[dim]{stamp}[/] {format_line(record)}"]
        if self.verbose and isinstance(record, activity.LambdaInvoked):
            lines.extend(f"[dim]           | {escape(line)}[/]" for line in record.logs)
        self.console.print("\n".join(lines), highlight=False, soft_wrap=True)
        self.console.file.flush()

    def stopping(self) -> None:
        """Called when the twin starts stopping: no more lines, and the clock for 'stopped in N s'."""
        self.stop_requested = time.monotonic()
        self.stop()
