"""`etl run` and `etl up`: the commands that start a local twin, and the activity lines `etl up` prints."""

from __future__ import annotations

import functools
import inspect
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from typer.models import OptionInfo

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
from workflow.cli.printer import ActivityPrinter
from workflow.config import PipelineConfig
from workflow.twin import settings

if TYPE_CHECKING:
    from workflow.twin.server import Ports, UpServer

# Set by a command that served until a signal: `main()` then ends the process at once (see main).
served = False

HostOpt = Annotated[str, typer.Option("--host", help="bind address of every service (0.0.0.0: all)")]
PortOpt = Annotated[
    int | None, typer.Option("--port", help="AWS endpoint port (0: a free one)  \\[default: 4566]")
]
ApiPortOpt = Annotated[int | None, typer.Option("--api-port", help="REST API port  \\[default: 3000]")]
ConsolePortOpt = Annotated[int | None, typer.Option("--console-port", help="console port  \\[default: 8080]")]
RunPortOpt = Annotated[
    int | None,
    typer.Option("--port", help="AWS endpoint port  \\[default: a free one; 4566 with --up]"),
]
RunApiPortOpt = Annotated[int | None, typer.Option("--api-port", help="with --up: REST API port (3000)")]
RunConsolePortOpt = Annotated[
    int | None, typer.Option("--console-port", help="with --up: console port (8080)")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="print nothing after the banner")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="also print each Lambda's log lines")]


def _setting(field: str) -> OptionInfo:
    """The typer option of a pipeline setting (its name, variable and help come from `settings`)."""
    setting = settings.BY_FIELD[field]
    option: OptionInfo = typer.Option(
        setting.option,
        envvar=setting.envvar,
        help=f"{setting.help} (CDK {setting.parameter})  \\[default: {setting.default}]",
        rich_help_panel="Pipeline settings (as the CDK parameters)",
    )
    return option


def _config(values: dict[str, int | None]) -> PipelineConfig:
    try:
        return settings.pipeline_config(values)
    except ValueError as exc:
        raise fail(str(exc)) from exc


def with_pipeline_settings(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with one option per pipeline setting (`settings.SETTINGS`, named as the CDK parameters),
    which it receives checked, as its `config` argument: `etl run` and `etl up` take the same settings
    without each spelling them out. typer reads the options from the returned function's signature."""
    signature = inspect.signature(command, eval_str=True)
    own = [param for name, param in signature.parameters.items() if name != "config"]
    options = [
        inspect.Parameter(
            setting.field,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[int | None, _setting(setting.field)],
        )
        for setting in settings.SETTINGS
    ]

    @functools.wraps(command)
    def with_settings(**kwargs: Any) -> None:
        values = {setting.field: kwargs.pop(setting.field) for setting in settings.SETTINGS}
        command(**kwargs, config=_config(values))

    full = signature.replace(parameters=[*own, *options])
    vars(with_settings)["__signature__"] = full
    with_settings.__annotations__ = {name: param.annotation for name, param in full.parameters.items()}
    return with_settings


def check_address(host: str, ports: dict[str, int | None]) -> None:
    """One-line errors for a port out of range or a host that is not an address of this machine."""
    for option, port in ports.items():
        if port is not None and not 0 <= port <= 65535:
            raise fail(f"{option} {port} is not a port: use 1-65535, or 0 for a free one")
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise fail(f"--host {host}: not a known address ({exc})") from exc
    address = infos[0][4][0]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError as exc:
            raise fail(f"--host {host}: not an address of this machine ({exc.strerror})") from exc


def _check_loudness(quiet: bool, verbose: bool) -> None:
    if quiet and verbose:
        raise fail("--quiet and --verbose contradict each other: choose one")


@with_pipeline_settings
def run(
    path: FileArg,
    as_json: JsonOpt = False,
    key: KeyOpt = None,
    timeout: TimeoutOpt = 900.0,
    keep_up: Annotated[
        bool, typer.Option("--up", help="then keep the twin up (as `etl up`) until Ctrl-C or SIGTERM")
    ] = False,
    host: HostOpt = "127.0.0.1",
    port: RunPortOpt = None,
    api_port: RunApiPortOpt = None,
    console_port: RunConsolePortOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    *,
    config: PipelineConfig,
) -> None:
    """Process one CSV end to end on a local twin and print its summary (exit 0 when it succeeded).

    Without --up the twin lasts for this file, on a free port unless --port is given.

    With --up it stays up on 4566/3000/8080 (or the ports given) and prints its activity, like `etl up`.
    """
    from workflow.twin.endpoint import PortInUse
    from workflow.twin.twin import Twin

    refuse_unprocessed(path, key, config.incoming_prefix)
    check_address(host, {"--port": port, "--api-port": api_port, "--console-port": console_port})
    _check_loudness(quiet, verbose)
    if keep_up:
        _run_then_serve(
            path, key, timeout, as_json, config, host, (port, api_port, console_port), quiet, verbose
        )
        return
    try:
        with (
            Twin(config, host, port or 0) as twin,
            ProgressBar(enabled=not as_json and err.is_terminal) as bar,
        ):
            result = twin.run_file(path, key, timeout_s=timeout, on_progress=bar)
    except (TimeoutError, PortInUse) as exc:
        raise fail(str(exc)) from exc
    print_result(result, as_json)
    exit_for(result)


def _ports(given: tuple[int | None, int | None, int | None]) -> Ports:
    from workflow.twin.server import Ports

    defaults = Ports()
    return Ports(
        defaults.aws if given[0] is None else given[0],
        defaults.api if given[1] is None else given[1],
        defaults.console if given[2] is None else given[2],
    )


def _run_then_serve(
    path: Path,
    key: str | None,
    timeout: float,
    as_json: bool,
    config: PipelineConfig,
    host: str,
    ports: tuple[int | None, int | None, int | None],
    quiet: bool,
    verbose: bool,
) -> None:
    """`etl run --up` (what `make run` does): the file on the full twin, then the twin stays up."""
    from workflow.twin.server import UpServer

    results: list[dict[str, Any]] = []
    printer = ActivityPrinter(out, verbose=verbose)

    def on_ready(server: UpServer) -> None:
        with ProgressBar(enabled=not as_json and err.is_terminal) as bar:
            results.append(server.twin.run_file(path, key, timeout_s=timeout, on_progress=bar))
        print_result(results[0], as_json)
        if not as_json:
            _banner(server)
        if not quiet and not as_json:
            printer.start(server)

    _serve(UpServer(config, host, _ports(ports)), on_ready, printer)
    if results:
        exit_for(results[0])


@with_pipeline_settings
def up(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = None,
    api_port: ApiPortOpt = None,
    console_port: ConsolePortOpt = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="ETL_API_KEY", help="REST API key (default: a random one)"),
    ] = None,
    watch: Annotated[
        Path | None, typer.Option("--watch", file_okay=False, help="drop CSV files copied into this folder")
    ] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    *,
    config: PipelineConfig,
) -> None:
    """Start the local twin (AWS endpoint, REST API, console) and print what it does, until Ctrl-C/SIGTERM.

    After the banner: one line per upload, execution end, Lambda invocation, REST request, DLQ arrival.
    """
    from workflow.twin.server import UpServer

    check_address(host, {"--port": port, "--api-port": api_port, "--console-port": console_port})
    _check_loudness(quiet, verbose)
    server = UpServer(config, host, _ports((port, api_port, console_port)), api_key=api_key, watch=watch)
    printer = ActivityPrinter(out, verbose=verbose)

    def on_ready(server: UpServer) -> None:
        _banner(server)
        if not quiet:
            printer.start(server)

    _serve(server, on_ready, printer)


def _serve(server: UpServer, on_ready: Callable[[UpServer], None], printer: ActivityPrinter) -> None:
    """Serve until a signal; then say what was running and how long stopping took."""
    from workflow.twin.endpoint import PortInUse

    global served
    running: list[str] = []

    def on_stopping(server: UpServer) -> None:
        printer.stopping()
        running.extend(_running_executions(server))

    try:
        server.serve_forever(on_ready=on_ready, on_stopping=on_stopping)
    except (TimeoutError, PortInUse) as exc:
        printer.stop()
        raise fail(str(exc)) from exc
    finally:
        printer.stop()
    served = True
    if running:
        err.print(
            f"aborted {len(running)} running execution(s) (in-memory, as StopExecution): "
            + "; ".join(running),
            highlight=False,
        )
    elapsed = f" in {time.monotonic() - printer.stop_requested:.1f} s" if printer.stop_requested else ""
    err.print(f"stopped{elapsed}")


def _running_executions(server: UpServer) -> list[str]:
    """'name (file, rows done/total)' for each execution still running, read before the twin stops them."""
    from workflow.twin import tracking
    from workflow.twin.activity import key_of

    resources, service = server.twin.resources, server.twin.service
    if resources is None or service is None:  # stopped while starting: nothing provisioned, nothing running
        return []
    found: list[str] = []
    try:
        listed = service.list_executions(stateMachineArn=resources.state_machine_arn, statusFilter="RUNNING")
        for item in listed["executions"]:
            described = service.describe_execution(executionArn=item["executionArn"])
            done, total = tracking.map_progress(server.twin.client("stepfunctions"), item["executionArn"])
            rows = f", {done}/{total if total is not None else '?'} rows" if done or total else ""
            found.append(f"{item['name']} ({key_of(described) or '?'}{rows})")
    except Exception as exc:  # the summary is a courtesy: stopping goes on
        found.append(f"({type(exc).__name__} while listing them)")
    return found


def _banner(server: UpServer) -> None:
    urls = server.urls()
    resources = server.twin.resources
    assert resources is not None, "the banner is printed once the twin is ready"
    table = Table(show_header=False, box=None, title="[bold]csv-etl local twin[/]", title_justify="left")
    table.add_row("AWS endpoint", urls["aws"], "S3, SQS, DynamoDB, Step Functions, Lambda")
    table.add_row("REST API", urls["api"], f"x-api-key: {server.api_key}")
    table.add_row("console", urls["console"], "")
    table.add_row("bucket", f"s3://{resources.bucket}/{resources.incoming_prefix}", "drop *.csv here")
    table.add_row("state machine", resources.state_machine_arn, "")
    table.add_row("table", resources.table, "")
    table.add_row("queue / DLQ", resources.queue_url, resources.dlq_url)
    tuned = settings.changed(server.config)
    if tuned:
        table.add_row("settings", ", ".join(f"{k}={v}" for k, v in tuned.items()), "")
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
                "  etl logs --follow                               # the Lambdas' log lines",
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
