"""The `etl` command: run a file on an ephemeral twin, start the twin, drop files, follow executions.

Commands talk to the local twin by default (AWS_ENDPOINT_URL, else http://127.0.0.1:4566) and to a
deployed stack with `--stack NAME`. Exit codes: 0 the execution succeeded (rejected rows included), 1 it
failed, 2 the command could not do its job (bad arguments, nothing listening, timeout).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from workflow.config import PipelineConfig

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="CSV ETL on Step Functions, with a local twin that needs no AWS account.")
# Piped output is not cut to 80 columns (ARNs and keys must stay whole for copy and paste).
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 250)

StackOpt = Annotated[str | None, typer.Option("--stack", help="a deployed stack (CloudFormation outputs)")]
EndpointOpt = Annotated[str | None, typer.Option("--endpoint-url", envvar="AWS_ENDPOINT_URL",
                                                 help="the twin's endpoint (default http://127.0.0.1:4566)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object instead of tables")]
WaitOpt = Annotated[bool, typer.Option("--wait", help="wait for the execution and print its summary")]
KeyOpt = Annotated[str | None, typer.Option("--key", help="object key (default incoming/<file name>)")]
FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a CSV file")]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="seconds to wait for the execution")]


# ---- output -------------------------------------------------------------------------------------------
def print_result(result: dict[str, Any], as_json: bool) -> None:
    """The run summary: one JSON object, or a small table plus the first rejects."""
    if as_json:
        print(json.dumps(result, default=str))
        return
    colour = "green" if result["status"] == "SUCCEEDED" else "red"
    table = _pairs()
    table.add_row("status", f"[{colour}]{result['status']}[/]")
    for field in ("file", "rows_total", "rows_written", "rows_rejected", "rows_failed", "rejects_location",
                  "duration_s", "execution_arn"):
        if result.get(field) is not None:
            table.add_row(field.replace("_", " "), str(result[field]))
    if result.get("error"):
        table.add_row("error", str(result["error"]))
    if result.get("cause"):
        table.add_row("cause", str(result["cause"])[:500])
    out.print(table)
    rejects = result.get("rejects") or []
    if rejects:
        shown = Table("row", "field", "reason", title=f"rejected ({len(rejects)} shown)")
        for reject in rejects[:20]:
            shown.add_row(str(reject.get("row")), str(reject.get("field")), str(reject.get("reason")))
        out.print(shown)


def _pairs() -> Table:
    """A two-column name/value table whose values wrap instead of being cut (ARNs stay whole)."""
    table = Table(show_header=False, box=None)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    return table


def exit_for(result: dict[str, Any]) -> None:
    raise typer.Exit(0 if result["status"] == "SUCCEEDED" else 1)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code)


class _ProgressBar:
    """Rows done from the Map run's item counts, as a rich bar on stderr (silent when not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.progress = Progress(TextColumn("rows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=err, disable=not enabled, transient=True)
        self.task = self.progress.add_task("rows", total=None)

    def __enter__(self) -> _ProgressBar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, done: int, total: int | None) -> None:
        self.progress.update(self.task, completed=done, total=total)


def _target(stack: str | None, endpoint_url: str | None, bucket: str | None = None) -> Any:
    from workflow.twin import remote

    try:
        if stack:
            return remote.stack_target(stack)
        if bucket:
            return remote.bucket_target(bucket)
        return remote.twin_target(endpoint_url=endpoint_url)
    except (ConnectionError, LookupError) as exc:
        raise fail(str(exc)) from exc
    except Exception as exc:  # botocore errors: no credentials, stack not found, ...
        raise fail(f"{type(exc).__name__}: {exc}") from exc


def _wait_and_report(target: Any, arn: str, started: float, timeout: float, as_json: bool) -> None:
    from workflow.twin import tracking

    with _ProgressBar(enabled=not as_json and err.is_terminal) as bar:
        try:
            described = tracking.wait_for_execution(target.client("stepfunctions"), arn, timeout_s=timeout,
                                                    on_progress=bar)
        except TimeoutError as exc:
            raise fail(str(exc)) from exc
    result = tracking.run_result(described, time.monotonic() - started, target.summarize_failure)
    print_result(result, as_json)
    exit_for(result)


# ---- commands -----------------------------------------------------------------------------------------
@app.command()
def run(path: FileArg, as_json: JsonOpt = False, key: KeyOpt = None, timeout: TimeoutOpt = 900.0,
        keep_up: Annotated[bool, typer.Option("--up", help="then keep the twin up (as `etl up`, default "
                                                            "ports) until Ctrl-C")] = False) -> None:
    """Process one CSV end to end on an ephemeral local twin and print its summary."""
    from workflow.twin.endpoint import PortInUse
    from workflow.twin.twin import Twin

    config = PipelineConfig()
    if key is not None and not (key.startswith(config.incoming_prefix) and key.endswith(".csv")):
        raise fail(f"--key must start with {config.incoming_prefix!r} and end with '.csv' "
                   f"(only those keys start the pipeline)")
    if keep_up:
        _run_then_serve(path, key, timeout, as_json)
        return
    try:
        with Twin.ephemeral(config) as twin, _ProgressBar(enabled=not as_json and err.is_terminal) as bar:
            result = twin.run_file(path, key, timeout_s=timeout, on_progress=bar)
    except (TimeoutError, PortInUse) as exc:
        raise fail(str(exc)) from exc
    print_result(result, as_json)
    exit_for(result)


def _run_then_serve(path: Path, key: str | None, timeout: float, as_json: bool) -> None:
    """`etl run --up` (what `make run` does): the file on the full twin, then the twin stays up."""
    from workflow.twin.endpoint import PortInUse
    from workflow.twin.server import UpServer

    results: list[dict[str, Any]] = []

    def on_ready(server: Any) -> None:
        with _ProgressBar(enabled=not as_json and err.is_terminal) as bar:
            results.append(server.twin.run_file(path, key, timeout_s=timeout, on_progress=bar))
        print_result(results[0], as_json)
        if not as_json:
            _banner(server)

    try:
        UpServer(PipelineConfig()).serve_forever(on_ready=on_ready)
    except (TimeoutError, PortInUse) as exc:
        raise fail(str(exc)) from exc
    if results:
        exit_for(results[0])


@app.command()
def up(host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
       port: Annotated[int, typer.Option("--port", help="AWS endpoint port")] = 4566,
       api_port: Annotated[int, typer.Option("--api-port", help="REST API port")] = 3000,
       console_port: Annotated[int, typer.Option("--console-port", help="console port")] = 8080,
       api_key: Annotated[str | None, typer.Option("--api-key", envvar="ETL_API_KEY",
                                                   help="REST API key (default: a random one)")] = None,
       watch: Annotated[Path | None, typer.Option("--watch", file_okay=False,
                                                  help="drop CSV files copied into this folder")] = None,
       ) -> None:
    """Start the local twin: AWS endpoint, REST API and console, until Ctrl-C or SIGTERM."""
    from workflow.twin.endpoint import PortInUse
    from workflow.twin.server import Ports, UpServer

    ports = Ports(port, api_port, console_port)
    server = UpServer(PipelineConfig(), host, ports, api_key=api_key, watch=watch)
    try:
        server.serve_forever(on_ready=_banner)
    except PortInUse as exc:
        raise fail(str(exc)) from exc
    err.print("stopped")


def _banner(server: Any) -> None:
    urls = server.urls()
    resources = server.twin.resources
    table = Table(show_header=False, box=None, title="[bold]csv-etl local twin[/]", title_justify="left")
    table.add_row("AWS endpoint", urls["aws"], "S3, SQS, DynamoDB, Step Functions, Lambda")
    table.add_row("REST API", urls["api"], f"x-api-key: {server.api_key}")
    table.add_row("console", urls["console"], "")
    table.add_row("bucket", f"s3://{resources.bucket}/{resources.incoming_prefix}", "drop *.csv here")
    table.add_row("state machine", resources.state_machine_arn, "")
    table.add_row("table", resources.table, "")
    table.add_row("queue / DLQ", resources.queue_url, resources.dlq_url)
    if server.watch_dir is not None:
        table.add_row("watching", str(server.watch_dir), "CSV files copied here are dropped")
    out.print(table)
    out.print("\n".join(server.env_lines()), highlight=False)
    out.print(f"(AWS CLI v1 ignores AWS_ENDPOINT_URL for sqs: `aws --endpoint-url {urls['aws']} sqs ...`)",
              highlight=False)
    bucket_url = f"s3://{resources.bucket}/{resources.incoming_prefix}"
    out.print("\n[bold]Next[/], in another terminal after the exports above:", highlight=False)
    out.print("\n".join([
        f"  etl drop sample_data/data_bad_msg.csv --wait        # or: aws s3 cp FILE.csv {bucket_url}",
        "  etl executions                                      # or: aws stepfunctions list-executions "
        f"--state-machine-arn {resources.state_machine_arn}",
        f"  aws dynamodb scan --table-name {resources.table}",
        f"  curl -H \"x-api-key: $ETL_API_KEY\" {urls['api']}/message",
        f"  open {urls['console']} to follow executions",
    ]), highlight=False, markup=False)
    out.print("Ctrl-C stops the twin.")
    sys.stdout.flush()


@app.command()
def drop(path: FileArg, key: KeyOpt = None, wait: WaitOpt = False, stack: StackOpt = None,
         bucket: Annotated[str | None, typer.Option("--bucket", help="a real bucket (no --wait)")] = None,
         endpoint_url: EndpointOpt = None, as_json: JsonOpt = False, timeout: TimeoutOpt = 900.0) -> None:
    """Upload a CSV to the pipeline's bucket (the twin by default); --wait follows its execution."""
    target = _target(stack, endpoint_url, bucket)
    started = time.monotonic()
    try:
        object_key, since = target.drop(path, key)
    except Exception as exc:
        raise fail(f"upload failed: {exc}") from exc
    if not wait:
        if as_json:
            print(json.dumps({"bucket": target.bucket, "key": object_key}))
        else:
            out.print(f"dropped s3://{target.bucket}/{object_key}")
        return
    try:
        arn = target.execution_for_key(object_key, since)
    except (TimeoutError, LookupError) as exc:
        raise fail(str(exc)) from exc
    if not as_json:
        err.print(f"execution {arn}")
    _wait_and_report(target, arn, started, timeout, as_json)


@app.command()
def executions(status: Annotated[str | None, typer.Option("--status", help="RUNNING, SUCCEEDED, FAILED, ...")]
               = None, stack: StackOpt = None, endpoint_url: EndpointOpt = None, as_json: JsonOpt = False,
               limit: Annotated[int, typer.Option("--limit")] = 50) -> None:
    """List the pipeline's executions, newest first."""
    target = _target(stack, endpoint_url)
    kwargs: dict[str, Any] = {"stateMachineArn": target.require_state_machine(), "maxResults": limit}
    if status:
        kwargs["statusFilter"] = status.upper()
    try:
        items = target.client("stepfunctions").list_executions(**kwargs)["executions"]
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        print(json.dumps(items, default=str))
        return
    table = Table("name", "status", "started", "stopped", "redrives")
    for item in items:
        table.add_row(item["name"], item["status"], str(item.get("startDate", "")),
                      str(item.get("stopDate") or ""), str(item.get("redriveCount", 0)))
    out.print(table)


@app.command()
def describe(execution: Annotated[str, typer.Argument(help="execution ARN or name")], stack: StackOpt = None,
             endpoint_url: EndpointOpt = None, as_json: JsonOpt = False) -> None:
    """Show one execution: status, input, the file summary, and where it failed."""
    from workflow.twin import tracking

    target = _target(stack, endpoint_url)
    sfn = target.client("stepfunctions")
    try:
        described = sfn.describe_execution(executionArn=target.execution_arn(execution))
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    described.pop("ResponseMetadata", None)
    if as_json:
        print(json.dumps(described, default=str))
        return
    table = _pairs()
    for field in ("name", "status", "startDate", "stopDate", "redriveCount", "redriveStatus", "error",
                  "executionArn"):
        if described.get(field) is not None:
            table.add_row(field, str(described[field]))
    out.print(table)
    start = described.get("startDate")
    stop = described.get("stopDate")
    duration = (stop - start).total_seconds() if start and stop else 0.0
    if described["status"] != "RUNNING":
        print_result(tracking.run_result(described, duration, target.summarize_failure), False)


@app.command()
def redrive(execution: Annotated[str, typer.Argument(help="execution ARN or name")], wait: WaitOpt = False,
            stack: StackOpt = None, endpoint_url: EndpointOpt = None, as_json: JsonOpt = False,
            timeout: TimeoutOpt = 900.0) -> None:
    """Redrive a failed execution from where it failed (its unsuccessful Map items run again)."""
    target = _target(stack, endpoint_url)
    arn = target.execution_arn(execution)
    started = time.monotonic()
    try:
        response = target.client("stepfunctions").redrive_execution(executionArn=arn)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if not wait:
        print(json.dumps({"executionArn": arn, "redriveDate": str(response.get("redriveDate"))}) if as_json
              else f"redriven {arn}")
        return
    _wait_and_report(target, arn, started, timeout, as_json)


@app.command()
def replay(execution: Annotated[str, typer.Argument(help="execution ARN or name")], wait: WaitOpt = False,
           stack: StackOpt = None, endpoint_url: EndpointOpt = None, as_json: JsonOpt = False,
           timeout: TimeoutOpt = 900.0) -> None:
    """Start a new execution with the same input (the same file event)."""
    target = _target(stack, endpoint_url)
    started = time.monotonic()
    try:
        arn = target.replay(execution)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if not wait:
        print(json.dumps({"executionArn": arn}) if as_json else f"started {arn}")
        return
    _wait_and_report(target, arn, started, timeout, as_json)


# ---- commands contributed by other modules -------------------------------------------------------------
# `etl invoke`: run one Lambda handler with an event file (workflow/twin/invoke.py, the REST API's owner).
try:
    from workflow.twin.invoke import invoke_command
except ImportError:  # pragma: no cover - only while that module is not there
    pass
else:
    app.command("invoke")(invoke_command)


def main() -> None:
    app()
