"""What every `etl` command shares: the consoles, the common options, printing a run, reaching a target."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workflow.twin.tracking import ROW_COUNTS

if TYPE_CHECKING:
    import boto3

    from workflow.twin.remote import Target

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 250)

StackOpt = Annotated[str | None, typer.Option("--stack", help="a deployed stack (CloudFormation outputs)")]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="AWS_ENDPOINT_URL",
        help="the twin's endpoint (default http://127.0.0.1:4566)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object instead of tables")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="wait for the execution and print its summary")]
KeyOpt = Annotated[str | None, typer.Option("--key", help="object key (default incoming/<file name>)")]
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a CSV file")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="seconds to wait for the execution")]


REJECTS_SHOWN = 20  # rows of the rejects table; `--json` has the summary's first 100, the rejects file all


# ---- output -------------------------------------------------------------------------------------------
def print_result(result: dict[str, Any], as_json: bool) -> None:
    """The run summary: one JSON object, or a table, the failed batches with their real causes, the next
    step, and the first rejected rows (every count is a count of rows)."""
    if as_json:
        print(json.dumps(result, default=str))
        return
    colour = "green" if result["status"] == "SUCCEEDED" else "red"
    table = pairs()
    status = result["status"] + (f" ({result['outcome']})" if result.get("outcome") else "")
    table.add_row("status", f"[{colour}]{status}[/]")
    for field in ("file", *ROW_COUNTS, "rejects_location", "duration_s", "execution_arn"):
        if result.get(field) is not None:
            table.add_row(field.replace("_", " "), str(result[field]))
    for origin, count in (result.get("duplicates_of") or {}).items():
        table.add_row("already stored", f"{count} rows from {origin}")
    if result.get("message"):
        table.add_row("note", str(result["message"]))
    for warning in result.get("warnings") or []:
        table.add_row("[yellow]warning[/]", str(warning))
    if result.get("error"):
        table.add_row("error", str(result["error"]))
    if result.get("cause") and not result.get("failed_batches"):
        table.add_row("cause", str(result["cause"])[:500])
    out.print(table)
    failed = result.get("failed_batches") or []
    if failed:
        batches = Table("rows", "error", "cause", title=f"failed batches ({len(failed)})")
        for batch in failed:
            span = f"{batch.get('first_row')}-{batch.get('last_row')}"
            batches.add_row(span, str(batch.get("error")), str(batch.get("cause") or "")[:300])
        out.print(batches)
    if result.get("next_step"):
        out.print(f"[bold]next:[/] {result['next_step']}")
    print_rejects(
        result.get("rejects") or [],
        (result.get("rows_rejected") or 0) + (result.get("rows_conflict") or 0),
        location=result.get("rejects_location"),
    )


def print_rejects(
    rejects: list[dict[str, Any]], rows: int, limit: int = REJECTS_SHOWN, location: str | None = None
) -> None:
    """Rejected rows, one line per row (several problems of a row joined), at most `limit` shown."""
    by_row: dict[Any, list[dict[str, Any]]] = {}
    for reject in rejects:
        by_row.setdefault(reject.get("row"), []).append(reject)
    if not by_row:
        return
    shown = list(by_row.items())[:limit]
    rows = max(rows, len(by_row))
    title = (
        f"rejected rows ({rows}; first {len(shown)} shown)"
        if rows > len(shown)
        else f"rejected rows ({rows})"
    )
    table = Table("row", "field", "reason", title=title)
    for row, problems in shown:
        table.add_row(
            str(row),
            "; ".join(str(p.get("field")) for p in problems),
            "; ".join(str(p.get("reason")) for p in problems),
        )
    out.print(table)
    if rows > len(shown) and location:
        out.print(
            f"all {rows} rejected rows in {location} (`etl rejects` prints or saves them)", highlight=False
        )


def pairs() -> Table:
    """A two-column name/value table whose values wrap instead of being cut (ARNs stay whole)."""
    table = Table(show_header=False, box=None)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    return table


def exit_for(result: dict[str, Any]) -> None:
    raise typer.Exit(0 if result["status"] == "SUCCEEDED" else 1)


def api_error(exc: Exception, execution: str | None = None) -> str:
    """An AWS (or twin) error as its code and message, without botocore's "An error occurred (X) when
    calling the Y operation" wrapper; an execution that does not exist says how to find the right one."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        return f"{type(exc).__name__}: {exc}"
    code = str(response["Error"].get("Code") or type(exc).__name__)
    if code == "ExecutionDoesNotExist" and execution is not None:
        return f"no execution {execution!r} (ExecutionDoesNotExist): `etl executions` lists them"
    return f"{code}: {response['Error'].get('Message') or exc}"


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code)


class ProgressBar:
    """Rows done from the Map run's item counts, as a rich bar on stderr (silent when not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("rows"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not enabled,
            transient=True,
        )
        self.task = self.progress.add_task("rows", total=None)

    def __enter__(self) -> ProgressBar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, done: int, total: int | None) -> None:
        self.progress.update(self.task, completed=done, total=total)


def aws_session() -> boto3.session.Session:
    """A boto3 session for real AWS, ignoring AWS_ENDPOINT_URL (the twin banner exports it), with a note."""
    import os

    import boto3
    import botocore.session

    if os.environ.get("AWS_ENDPOINT_URL"):
        err.print(
            f"note: --stack targets AWS; AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} is ignored",
            highlight=False,
        )
    core = botocore.session.get_session()
    core.set_config_variable("ignore_configured_endpoint_urls", True)
    return boto3.session.Session(botocore_session=core)


def target_for(stack: str | None, endpoint_url: str | None, bucket: str | None = None) -> Target:
    from workflow.twin import remote

    try:
        if stack:
            return remote.stack_target(stack, session=aws_session())
        if bucket:
            return remote.bucket_target(bucket)
        return remote.twin_target(endpoint_url=endpoint_url)
    except (ConnectionError, LookupError) as exc:
        raise fail(str(exc)) from exc
    except Exception as exc:  # botocore errors: no credentials, stack not found, ...
        raise fail(f"{type(exc).__name__}: {exc}") from exc


def wait_and_report(target: Target, arn: str, started: float, timeout: float, as_json: bool) -> None:
    from workflow.twin import tracking

    with ProgressBar(enabled=not as_json and err.is_terminal) as bar:
        try:
            described = tracking.wait_for_execution(
                target.client("stepfunctions"), arn, timeout_s=timeout, on_progress=bar
            )
        except TimeoutError as exc:
            raise fail(str(exc)) from exc
    result = tracking.run_result(described, time.monotonic() - started, target.summarize_failure)
    print_result(result, as_json)
    exit_for(result)
