"""`etl --help` teaches: flags shown as flags, -h, --version, examples per command, shell completion, and the
README's command table is the command list `etl --help` prints."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from workflow.cli import COMMANDS, EXAMPLES, app, version
from workflow.config import REPO_ROOT

runner = CliRunner()
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_flags_are_shown_without_a_value_type(command: str) -> None:
    """typer 0.29's rich help printed `--json <bool>`; a flag takes no value, so no type is shown."""
    result = runner.invoke(app, [*command.split(), "--help"], prog_name="etl")
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "-h" in result.output and "--help" in result.output


def test_the_json_flag_row_has_no_type() -> None:
    result = runner.invoke(app, ["executions", "--help"], prog_name="etl")
    rows = [line for line in result.output.splitlines() if line.startswith("│")]
    (row,) = [line for line in rows if "--json" in line]
    assert "<" not in row and "print one JSON object" in row
    (limit,) = [line for line in rows if "--limit" in line]
    assert "<int>" in limit and "newest first" in limit, "--limit has help"


def test_dash_h_is_help() -> None:
    assert runner.invoke(app, ["up", "-h"]).output == runner.invoke(app, ["up", "--help"]).output
    assert "Usage: etl" in runner.invoke(app, ["-h"], prog_name="etl").output


def test_version() -> None:
    result = runner.invoke(app, ["--version"], prog_name="etl")
    assert result.exit_code == 0
    assert result.output.strip() == f"etl (csv-etl) {version()}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version())


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_shows_examples_that_use_it(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], prog_name="etl")
    assert "Examples" in result.output
    assert EXAMPLES[command], command
    for example in EXAMPLES[command]:
        assert re.search(rf"\betl {command}\b", example), example


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """typer's completion: `etl --show-completion SHELL` prints the script `--install-completion` installs."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = runner.invoke(app, ["--show-completion", shell], prog_name="etl")
    assert result.exit_code == 0, result.output
    assert "_ETL_COMPLETE" in result.output
    assert {"bash": "complete -o default", "zsh": "compdef", "fish": "complete --command etl"}[shell] in (
        result.output
    )


def test_the_readme_command_table_lists_the_commands_of_etl_help() -> None:
    help_text = runner.invoke(app, ["--help"], prog_name="etl").output
    listed = re.findall(r"^│ (\w+)\s{2,}", help_text, flags=re.MULTILINE)
    assert listed == list(COMMANDS)
    table = README.split("| command | what |", 1)[1].split("\n\n", 1)[0]
    in_readme = re.findall(r"^\| `etl (\w+)", table, flags=re.MULTILINE)
    assert in_readme == list(COMMANDS)


def test_the_readme_points_at_the_seed_events_for_etl_invoke() -> None:
    table = README.split("| command | what |", 1)[1].split("\n\n", 1)[0]
    assert "tests/api/seed_events" in table
    assert (REPO_ROOT / "tests/api/seed_events/event_getMessages.json").exists()
    assert "## What you see in the terminal" in README


def _invoke_examples() -> list[str]:
    """Every `etl invoke ...` example: the help's, and the README's (whose event files exist)."""
    from_help = [example.split("  (")[0] for example in EXAMPLES["invoke"]]
    from_readme = re.findall(r"`(etl invoke [^`]+)`", README)
    return [
        example
        for example in dict.fromkeys([*from_help, *from_readme])
        if (REPO_ROOT / example.split("--event ")[1].split()[0]).exists()
    ]


@pytest.mark.parametrize("example", _invoke_examples())
def test_the_etl_invoke_examples_work(example: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's sample event through the function the example names (a throwaway moto: no twin needed)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.chdir(REPO_ROOT)
    result = runner.invoke(app, example.split()[1:], prog_name="etl")
    assert result.exit_code == 0, result.output
    assert '"statusCode": 20' in result.stdout  # 200, or 201 for the POST


@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_files_the_examples_name_exist(command: str) -> None:
    """An example copied from `etl X -h` in the checkout works: it names files that are there (an object
    key, `incoming/...` or after --key, and a file written by --out are not local inputs)."""
    for example in EXAMPLES[command]:
        words = example.split("  (")[0].split()
        files = [
            w
            for i, w in enumerate(words)
            if w.endswith((".csv", ".json"))
            and words[i - 1] not in ("--key", "--out")
            and not w.startswith("incoming/")
        ]
        for name in files:
            assert (REPO_ROOT / name).is_file(), f"{example}: no {name}"
