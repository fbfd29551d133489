"""`etl logs` on the twin (workflow/cli/logs_cmds.py): what it says when nothing matches."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from workflow.cli import app, logs_cmds

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "no invocations yet at http://twin:4566"),
        (
            ["writer", "-x", "nope"],
            "no invocations of function csv-etl-writer and execution nope at http://twin:4566",
        ),
    ],
)
def test_no_matching_invocation_is_said(args: list[str], said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A mistyped execution name used to print nothing with exit 0, like a function that logged nothing."""
    asked: list[Any] = []
    monkeypatch.setattr(logs_cmds, "twin_invocations", lambda *a: asked.append(a) or [])
    result = runner.invoke(app, ["logs", *args, "--endpoint-url", "http://twin:4566"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip() == said
    assert asked == [("http://twin:4566", "csv-etl-writer" if args else None, "nope" if args else None)]
