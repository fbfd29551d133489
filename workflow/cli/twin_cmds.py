"""`etl run` and `etl up`: the commands that start a local twin."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from workflow.cli.common import (
    FileArg,
    JsonOpt,
    KeyOpt,
    ProgressBar,
    TimeoutOpt,
    err,
    exit_for,
    fail,
    out,
    print_result,
)
from workflow.cli.execution_cmds import refuse_unprocessed
from workflow.config import PipelineConfig


def run(
    path: FileArg,
    as_json: JsonOpt = False,
    key: KeyOpt = None,
    timeout: TimeoutOpt = 900.0,
    keep_up: Annotated[
        bool, typer.Option("--up", help="then keep the twin up (as `etl up`, default ports) until Ctrl-C")
    ] = False,
) -> None:
    """Process one CSV end to end on an ephemeral local twin and print its summary."""
    from workflow.twin.endpoint import PortInUse
    from workflow.twin.twin import Twin

    config = PipelineConfig()
    refuse_unprocessed(path, key, config.incoming_prefix)
    if keep_up:
        _run_then_serve(path, key, timeout, as_json)
        return
    try:
        with Twin.ephemeral(config) as twin, ProgressBar(enabled=not as_json and err.is_terminal) as bar:
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
        with ProgressBar(enabled=not as_json and err.is_terminal) as bar:
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


def up(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="AWS endpoint port")] = 4566,
    api_port: Annotated[int, typer.Option("--api-port", help="REST API port")] = 3000,
    console_port: Annotated[int, typer.Option("--console-port", help="console port")] = 8080,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="ETL_API_KEY", help="REST API key (default: a random one)"),
    ] = None,
    watch: Annotated[
        Path | None, typer.Option("--watch", file_okay=False, help="drop CSV files copied into this folder")
    ] = None,
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
    out.print(
        f"(AWS CLI v1 ignores AWS_ENDPOINT_URL for sqs: `aws --endpoint-url {urls['aws']} sqs ...`)",
        highlight=False,
    )
    bucket_url = f"s3://{resources.bucket}/{resources.incoming_prefix}"
    out.print("\n[bold]Next[/], in another terminal after the exports above:", highlight=False)
    out.print(
        "\n".join(
            [
                f"  etl drop sample_data/data_bad_msg.csv --wait    # or: aws s3 cp FILE.csv {bucket_url}",
                "  etl executions                                  # or: aws stepfunctions list-executions "
                f"--state-machine-arn {resources.state_machine_arn}",
                f"  aws dynamodb scan --table-name {resources.table}",
                f'  curl -H "x-api-key: $ETL_API_KEY" {urls["api"]}/message',
                f"  open {urls['console']} to follow executions",
            ]
        ),
        highlight=False,
        markup=False,
    )
    out.print("Ctrl-C stops the twin.")
    sys.stdout.flush()
