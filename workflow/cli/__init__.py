"""The `etl` command: run a file on an ephemeral twin, start the twin, drop files, follow executions.

Commands talk to the local twin by default (AWS_ENDPOINT_URL, else http://127.0.0.1:4566) and to a
deployed stack with `--stack NAME`. Exit codes: 0 the execution succeeded (rejected rows included), 1 it
failed, 2 the command could not do its job (bad arguments, nothing listening, timeout).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Annotated

import typer
from rich.markup import escape
from typer import _click as click  # typer vendors click: these are the classes its commands use

# typer 0.29 vendors click: its parser raises typer._click's exceptions, not the installed click's
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.core import TyperCommand, TyperGroup

from workflow.cli import (
    console_cmds,
    cost_cmds,
    dlq_cmds,
    execution_cmds,
    ledger_cmds,
    logs_cmds,
    twin_cmds,
)
from workflow.cli.common import err
from workflow.twin.invoke import invoke_command


def _flags_without_type(params: list[click.Parameter]) -> list[click.Parameter]:
    """typer 0.29's rich help prints a flag's type (`--json <bool>`) as if it took a value: its
    TyperOption.display_type_rich, unlike the plain help's get_help_record, does not skip flags. An empty
    metavar makes the type column blank for flags only."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


def one_line(exc: ClickException) -> typer.Exit:
    """A mistake the argument parser found (no such file, not an integer, unknown option), as the one
    `error:` line every other mistake gets, instead of typer's usage line, hint and boxed message."""
    ctx = getattr(exc, "ctx", None)
    hint = f" ({ctx.command_path} -h for help)" if ctx is not None else ""
    err.print(f"[red]error:[/] {escape(exc.format_message())}{escape(hint)}", highlight=False)
    return typer.Exit(exc.exit_code)


class EtlCommand(TyperCommand):
    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _flags_without_type(super().get_params(ctx))


class EtlGroup(TyperGroup):
    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _flags_without_type(super().get_params(ctx))

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: object
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except NoArgsIsHelpError:  # `etl` / `etl dlq` alone: the help, as before
            raise
        except ClickException as exc:
            raise one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> object:
        """Subcommands parse their arguments here (and nested groups inside), so their mistakes pass too."""
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise
        except ClickException as exc:
            raise one_line(exc) from exc


app = typer.Typer(
    cls=EtlGroup,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="CSV ETL on Step Functions, with a local twin that needs no AWS account.",
    epilog="Start with `etl run sample_data/data.csv`, or `etl up` and `etl drop FILE --wait` in another "
    "terminal. `etl COMMAND -h` shows a command's options and examples.",
)


def version() -> str:
    try:
        return metadata.version("csv-etl")
    except metadata.PackageNotFoundError:  # run from a checkout without installing
        return "0.1.0+checkout"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"etl (csv-etl) {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """CSV ETL on Step Functions, with a local twin that needs no AWS account."""


# Every command, in the order `etl --help` lists them; each lives in the module named here.
# A command is a typer callback (any signature: typer reads it) or a group of commands.
COMMANDS: dict[str, Callable[..., None] | typer.Typer] = {
    "run": twin_cmds.run,
    "up": twin_cmds.up,
    "drop": execution_cmds.drop,
    "executions": execution_cmds.executions,
    "describe": execution_cmds.describe,
    "redrive": execution_cmds.redrive,
    "replay": execution_cmds.replay,
    "files": ledger_cmds.files,
    "file": ledger_cmds.file,
    "rejects": ledger_cmds.rejects,
    "logs": logs_cmds.logs,
    "cost": cost_cmds.cost,
    "trace": console_cmds.trace,
    "console": console_cmds.console,
    "invoke": invoke_command,
    # groups last: typer lists them after the plain commands
    "dlq": dlq_cmds.app,  # `etl dlq list`, `etl dlq redrive`, `etl dlq delete`
}

# Examples shown under each command's help (one paragraph each).
EXAMPLES = {
    "run": [
        "etl run sample_data/data.csv  (a throwaway twin; exit 0 when it succeeded)",
        "etl run sample_data/data_bad_msg.csv --json",
        "etl run sample_data/data.csv --max-items-per-batch 5 --max-concurrency 2  (4 batches)",
        "etl run sample_data/data.csv --up --port 4567  (then the twin stays up: make run)",
    ],
    "up": [
        "etl up  (ports 4566, 3000, 8080; one line per event)",
        "etl up --port 4567 --api-port 3001 --console-port 8081 --verbose",
        "etl up --quiet --watch ./inbox  (CSV files copied into ./inbox are dropped)",
        "ETL_MAX_ITEMS_PER_BATCH=100 etl up  (any pipeline setting from the environment)",
    ],
    "drop": [
        "etl drop sample_data/data_bad_msg.csv --wait",
        "etl drop sample_data/data.csv --key incoming/2024/data.csv",
        "etl drop sample_data/data.csv --stack csv-etl --wait  (a deployed stack)",
    ],
    "executions": [
        "etl executions",
        "etl executions --status FAILED --file data_bad",
        "etl executions --json --limit 5",
        "etl executions --stack csv-etl",
    ],
    "describe": ["etl describe NAME", "etl describe NAME --json"],
    "redrive": ["etl redrive NAME --wait  (reruns only the failed batches)"],
    "trace": [
        "etl trace NAME  (states with status, duration and retries; the Map's counts and failed batches)",
        "etl trace NAME --follow  (live until the execution ends)",
        "etl trace NAME --stack csv-etl --json",
    ],
    "console": [
        "etl console --stack csv-etl  (the console for a deployed stack, on http://127.0.0.1:8080)",
        "etl console --port 8081",
    ],
    "replay": ["etl replay NAME --wait  (a new execution for the same upload)"],
    "files": ["etl files  (the ledger: every file seen, newest first)", "etl files --json"],
    "file": [
        "etl file incoming/data.csv  (versions, executions, counts, failed batches, next step)",
        "etl file incoming/data.csv --verify  (check the counts against the table)",
    ],
    "rejects": [
        "etl rejects incoming/data_bad_msg.csv",
        "etl rejects incoming/data_bad_msg.csv --out fix-me.csv  (fix it, then etl drop it again)",
    ],
    "logs": [
        "etl logs",
        "etl logs writer --follow",
        "etl logs --execution NAME",
        "etl logs transform --stack csv-etl --since 30  (CloudWatch Logs, last 30 minutes)",
    ],
    "dlq": [
        "etl dlq list  (each dead letter's file, rows, execution, and what it means)",
        "etl dlq redrive --wait  (back to the writer's queue)",
        "etl dlq delete --stale  (the ones no running execution waits for)",
    ],
    "cost": [
        "etl cost NAME  (billed units and dollars, projected to a million rows)",
        "etl cost NAME --rows 5000000 --check  (exit 1 when a target is missed)",
        "etl cost NAME --stack csv-etl --sample 50",
    ],
    "invoke": [
        "etl invoke api_list --event tests/api/seed_events/event_getMessages.json",
        "etl invoke api_post --event tests/api/seed_events/event_postMessage.json --env LOG_LEVEL=DEBUG",
    ],
}


def epilog(name: str) -> str | None:
    examples = EXAMPLES.get(name)
    if not examples:
        return None
    return "[bold]Examples[/]\n\n" + "\n\n".join(f"  $ {line}" for line in examples)


for _name, _command in COMMANDS.items():
    if isinstance(_command, typer.Typer):
        app.add_typer(_command, name=_name, cls=EtlGroup, epilog=epilog(_name))
    else:
        app.command(_name, cls=EtlCommand, epilog=epilog(_name))(_command)


def main() -> None:
    """The console script. After `etl up` was stopped by a signal, end at once: everything is in memory,
    and the interpreter's teardown (joining the engine's worker pools, unloading moto) only adds seconds."""
    try:
        app(prog_name="etl")
    except SystemExit as exc:
        if twin_cmds.served:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.code if isinstance(exc.code, int) else 0)
        raise
