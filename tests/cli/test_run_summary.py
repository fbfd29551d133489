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


def result_with(rows: int, rows_rejected: int, problems_per_row: int = 1) -> dict[str, Any]:
    fields = ["timestamp", "local_avg", "remote_avg"][:problems_per_row]
    return {
        "status": "SUCCEEDED",
        "rows_rejected": rows_rejected,
        "rejects_location": "s3://csv-etl-data/rejects/incoming/x.csv",
        "rejects": [
            {"row": i + 2, "field": field, "reason": "not a number"} for i in range(rows) for field in fields
        ],
    }


def test_a_short_rejects_list_is_shown_whole_one_line_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three problems of one row are one line: the counts shown are counts of rows (issue 10, item 5)."""
    text = printed(result_with(1, 1, problems_per_row=3), monkeypatch)
    assert "rejected rows (1)" in text
    assert "timestamp; local_avg; remote_avg" in text
    assert "rejected rows in" not in text


def test_a_long_rejects_list_says_how_much_is_shown_and_where_the_rest_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 30-row file of bad rows: 20 rows printed, the title and the last line say how many there are and
    where all of them are. The title used to say "rejected (100 shown)" over a 20-row table."""
    text = printed(result_with(30, 30), monkeypatch)
    assert text.count("not a number") == 20
    assert "rejected rows (30; first 20 shown)" in text
    assert "all 30 rejected rows in s3://csv-etl-data/rejects/incoming/x.csv" in text
