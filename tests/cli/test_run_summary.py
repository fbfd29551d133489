"""The run summary `etl run`, `etl drop --wait` and `etl describe` print (workflow/cli/common.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from workflow.cli import common


def printed(result: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> str:
    console = Console(file=io.StringIO(), width=250)
    monkeypatch.setattr(common, "out", console)
    common.print_result(result, as_json=False)
    return console.file.getvalue()  # type: ignore[attr-defined]


def result_with(rejects: int, rows_rejected: int) -> dict[str, Any]:
    return {
        "status": "SUCCEEDED",
        "rows_rejected": rows_rejected,
        "rejects_location": "s3://csv-etl-data/rejects/e1.jsonl",
        "rejects": [{"row": i + 2, "field": "timestamp", "reason": "not a number"} for i in range(rejects)],
    }


def test_a_short_rejects_list_is_shown_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    text = printed(result_with(3, 1), monkeypatch)
    assert "rejected (3 shown)" in text
    assert text.count("not a number") == 3


def test_a_long_rejects_list_says_how_much_is_shown_and_where_the_rest_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 30-row file of bad rows: 100 problems in the summary's sample, 20 printed. The title used to say
    "rejected (100 shown)" over a 20-row table."""
    text = printed(result_with(100, 30), monkeypatch)
    assert text.count("not a number") == 20
    assert "100 shown" not in text
    assert "first 20 problems shown; all 30 rejected rows in s3://csv-etl-data/rejects/e1.jsonl" in text
