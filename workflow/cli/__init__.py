"""The `etl` command: run a file on an ephemeral twin, start the twin, drop files, follow executions.

Commands talk to the local twin by default (AWS_ENDPOINT_URL, else http://127.0.0.1:4566) and to a
deployed stack with `--stack NAME`. Exit codes: 0 the execution succeeded (rejected rows included), 1 it
failed, 2 the command could not do its job (bad arguments, nothing listening, timeout).
"""

from __future__ import annotations

import typer

from workflow.cli import execution_cmds, ledger_cmds, twin_cmds
from workflow.twin.invoke import invoke_command

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="CSV ETL on Step Functions, with a local twin that needs no AWS account.",
)

# Every command, in the order `etl --help` lists them; each lives in the module named here.
COMMANDS = {
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
    "invoke": invoke_command,
}
for _name, _command in COMMANDS.items():
    app.command(_name)(_command)


def main() -> None:
    app()
