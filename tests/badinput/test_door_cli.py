"""`etl drop` and `etl run` refuse at once a file or key the pipeline would never process, naming the rule,
instead of saying "dropped" and waiting for an execution that never starts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workflow.cli import app
from workflow.cli.execution_cmds import key_refusal

CSV = Path(__file__).resolve().parents[2] / "sample_data" / "data.csv"


@pytest.mark.parametrize(
    ("key", "rule"),
    [
        ("incoming/notes.json", "does not end with '.csv'"),
        ("incoming/DATA.CSV", "does not end with '.csv'"),
        ("other/x.csv", "does not start with 'incoming/'"),
        ("x.csv", "does not start with 'incoming/'"),
    ],
)
def test_keys_the_rule_ignores_are_named_with_the_rule(key: str, rule: str) -> None:
    refusal = key_refusal(key, "incoming/")
    assert refusal is not None and rule in refusal and repr(key) in refusal


def test_keys_the_rule_matches_are_accepted() -> None:
    assert key_refusal("incoming/data.csv", "incoming/") is None
    assert key_refusal("incoming/sub dir/x+y%.csv", "incoming/") is None


@pytest.mark.parametrize(
    "args",
    [
        ["drop", "{json}"],
        ["drop", "{csv}", "--key", "other/x.csv"],
        ["drop", "{csv}", "--key", "incoming/x.txt", "--wait"],
        ["run", "{json}"],
        ["run", "{csv}", "--key", "other/x.csv"],
    ],
)
def test_drop_and_run_refuse_at_once_with_a_one_line_error(args: list[str], tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text("{}")
    argv = [a.format(json=notes, csv=CSV) for a in args]
    started = time.monotonic()
    # No twin is running on this endpoint: the refusal comes before anything is contacted.
    result = CliRunner().invoke(app, [*argv], env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    message = result.output.strip()
    assert message.startswith("error: refused: the key ") and "only" in message
    assert "dropped" not in message and "\n" not in message
