"""sample_data/generate.py: the generated file is what it claims (rows, bad rows by kind, unique keys)."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import row_rules

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


def load_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLE_DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


generate = load_generate()


def aws_csv_entries(path: Path) -> list[dict[str, Any]]:
    """Rows as Step Functions' CSV reader gives them: short rows padded with "", extra fields skipped."""
    with path.open(newline="", encoding="utf-8") as handle:
        header, *records = list(csv.reader(handle))
    width = len(header)
    return [
        {"index": i, "row": dict(zip(header, (record + [""] * width)[:width], strict=True))}
        for i, record in enumerate(records)
    ]


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[Path, str]:
    out = tmp_path / "gen.csv"
    assert generate.main([str(out), *args]) == 0
    return out, capsys.readouterr().out


def test_file_has_the_rows_and_exactly_the_reported_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, printed = run(tmp_path, capsys, "--rows", "3000", "--bad-share", "0.05", "--seed", "3")
    match = re.search(r"3000 rows, (\d+) bad \((.*)\), (\d+) good", printed)
    assert match, printed
    bad = int(match.group(1))
    kinds = {k: int(v) for k, v in (part.split("=") for part in match.group(2).split(", "))}
    assert bad == 150 == sum(kinds.values()) and int(match.group(3)) == 2850
    assert set(kinds) == set(generate.BAD_KINDS)  # 150 bad rows: every kind shows up

    entries = aws_csv_entries(out)
    assert len(entries) == 3000
    seed_header = (SAMPLE_DATA / "data.csv").read_text(encoding="utf-8").splitlines()[0]
    assert out.read_text(encoding="utf-8").splitlines()[0] == seed_header
    items, rejects = row_rules.transform_items(entries)  # one batch: duplicates are caught in-batch
    assert (len(items), len(rejects)) == (2850, 150)
    duplicate_rejects = [r for r in rejects if "same date and time as row" in r["errors"][0]["reason"]]
    assert len(duplicate_rejects) == kinds["duplicate_key"]
    assert all(len(r["errors"]) == 1 for r in rejects)  # one problem per bad row


def test_good_rows_increase_with_sub_second_parts_and_same_second_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = run(tmp_path, capsys, "--rows", "2000", "--bad-share", "0", "--seed", "1")
    items, rejects = row_rules.transform_items(aws_csv_entries(out))
    assert rejects == [] and len(items) == 2000
    stamps = [row_rules.parse_decimal("timestamp", item["timestamp"]) for item in items]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert sum(1 for s in stamps if s != s.to_integral_value()) > 1900
    seconds = Counter(int(s) for s in stamps)
    assert sum(1 for n in seconds.values() if n > 1) > 50
    assert items[0]["timestamp"] == "1559040909.3853335"  # continues data.csv's first reading


def test_same_seed_same_file_other_seed_other_file(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.csv" for name in ("a", "b", "c")]
    for path, seed in zip(paths, (5, 5, 6), strict=True):
        generate.write_csv(path, 500, 0.1, seed)
    assert paths[0].read_bytes() == paths[1].read_bytes() != paths[2].read_bytes()


def test_rows_are_streamed_not_built_in_memory() -> None:
    """A billion-row request yields its first rows at once: nothing is precomputed per row."""
    counts: Counter[str] = Counter()
    first = list(itertools.islice(generate.generate_rows(10**9, 0.5, 1, counts), 5))
    assert len(first) == 5 and all(len(row) in (6, 7, 8) for row in first)


@pytest.mark.parametrize("args", [["--rows", "-1"], ["--bad-share", "1.5"]])
def test_bad_arguments_are_refused(tmp_path: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit):
        generate.main([str(tmp_path / "x.csv"), *args])


def test_all_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, printed = run(tmp_path, capsys, "--rows", "50", "--bad-share", "1")
    assert "50 rows, 50 bad" in printed and "duplicate_key" not in printed  # no good row to duplicate
    items, rejects = row_rules.transform_items(aws_csv_entries(out))
    assert (len(items), len(rejects)) == (0, 50)
