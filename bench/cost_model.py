"""The cost comparison of README.md's "What it costs", from the cost meter's model (workflow/cost).

    .venv/bin/python bench/cost_model.py            # a table: $ per million rows, DynamoDB writes vs the rest
    .venv/bin/python bench/cost_model.py --json

Prices: workflow/cost/prices.py (us-east-1). Assumptions: workflow/cost/designs.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workflow.cost import designs
from workflow.cost.report import price_lines


def rows() -> list[tuple[str, list]]:
    a = designs.Assumptions()
    out = [
        ("seed: one SQS message and one Lambda per row", designs.seed_lines(a)),
        (designs.PER_ROW_STANDARD.name, designs.batched_lines(designs.PER_ROW_STANDARD, a)),
        ("Distributed Map: an EXPRESS child per row (no task token)", designs.express_per_row_lines(a)),
        (designs.INLINE_PER_ROW.name, designs.batched_lines(designs.INLINE_PER_ROW, a)),
    ]
    out += [(d.name, designs.batched_lines(d, a)) for d in designs.ALTERNATIVES]
    out.append(("DynamoDB import from S3 (new tables only)", designs.import_lines(a)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--lines", action="store_true", help="also print every line of each design")
    args = parser.parse_args(argv)
    table = []
    for name, lines in rows():
        report = price_lines(lines, designs.MILLION)
        table.append(
            {
                "design": name,
                "total": report.per_million(report.total),
                "dynamodb_writes": report.per_million(report.writes),
                "everything_else": report.per_million(report.not_writes),
                "meets_targets": report.meets_all_in and report.meets_not_writes,
                "dominant_other": report.dominant(writes=False).line.label
                if report.dominant(writes=False)
                else "",
                "lines": [(p.line.label, p.line.quantity, p.usd) for p in report.lines],
            }
        )
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    print(f"{'design ($ per million rows)':60s} {'total':>9s} {'writes':>8s} {'rest':>9s}  targets")
    for row in table:
        verdict = "met" if row["meets_targets"] else f"missed ({row['dominant_other']})"
        if row["design"].startswith("DynamoDB import"):
            verdict += " on cost alone: it cannot write into the existing table"
        figures = f"{row['total']:9.4f} {row['dynamodb_writes']:8.4f} {row['everything_else']:9.4f}"
        print(f"{row['design']:60s} {figures}  {verdict}")
        if args.lines:
            for label, quantity, usd in row["lines"]:
                print(f"    {label:70s} {quantity:>14,.3f}  ${usd:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
