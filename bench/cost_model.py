"""The cost comparison of README.md's "What it costs", from the cost meter's model (workflow/cost).

    .venv/bin/python bench/cost_model.py            # a table: $ per million rows, DynamoDB writes vs the rest
    .venv/bin/python bench/cost_model.py --json
    .venv/bin/python bench/cost_model.py --tune --rows 20000  # each tuning setting: local rows/s + AWS cost

`--tune` runs the same generated file through an ephemeral twin once per setting (as bench/throughput.py
does) and prints the local rows/s next to that run's AWS cost per million rows: the run metered as `etl cost
--durations modelled` does (its own counts, AWS Lambda durations), at the default log level ERROR and at ALL.
Local rows/s measure moto on a shared CPU: compare settings within one run, not with AWS.

Prices: workflow/cost/prices.py (us-east-1). Assumptions: workflow/cost/designs.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sample_data"))

from workflow.config import PipelineConfig  # noqa: E402
from workflow.cost import designs  # noqa: E402
from workflow.cost.report import price_lines  # noqa: E402

# (name, config overrides): one knob at a time from the defaults.
TUNING = (
    ("defaults (800 rows, 160 KiB, concurrency 10, writer batch 5)", {}),
    ("rows per batch 250", {"max_items_per_batch": 250}),
    ("rows per batch 500", {"max_items_per_batch": 500}),
    ("rows per batch 1000, 256 KiB", {"max_items_per_batch": 1000, "max_input_bytes_per_batch": 262_144}),
    ("bytes per batch 32 KiB (about 170 rows)", {"max_input_bytes_per_batch": 32_768}),
    ("Map concurrency 2", {"max_concurrency": 2}),
    ("Map concurrency 40", {"max_concurrency": 40}),
    ("writer batch size 1", {"writer_batch_size": 1}),
    ("writer batch size 10", {"writer_batch_size": 10}),
)


def metered(twin: object, arn: str, config: PipelineConfig, level: str) -> tuple[float, float]:
    """The run's own counts (etl cost's meter), AWS Lambda durations, projected to 1,000,000 rows."""
    from workflow.cost import billing, collect, meter, projection

    settings = meter.MeterSettings(config=config, log_level=level)
    counts = meter.count(collect.record(twin.client("stepfunctions"), arn), settings)  # type: ignore[attr-defined]
    projected = projection.with_modelled_durations(projection.project(counts, designs.MILLION, settings))
    report = price_lines(billing.lines(projected, settings), projected.rows)
    return report.per_million(report.total), report.per_million(report.not_writes)


def tune(rows: int) -> list[dict]:
    """Each setting: the twin's rows/s on a generated file and the metered run's AWS cost per million rows."""
    import generate  # sample_data/generate.py

    from workflow.twin.twin import Twin

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"tune-{rows}.csv"
        generate.write_csv(path, rows, 0.01, seed=1)
        for name, overrides in TUNING:
            config = PipelineConfig(**overrides)
            with Twin.ephemeral(config) as twin:
                result = twin.run_file(path, timeout_s=1800)
                costs = {
                    level: metered(twin, result["execution_arn"], config, level) for level in ("ERROR", "ALL")
                }
            accounted = sum(result.get(k) or 0 for k in ("rows_written", "rows_rejected", "rows_failed"))
            out.append(
                {
                    "setting": name,
                    "status": result["status"],
                    "rows_accounted": accounted == rows,
                    "batches": result.get("batches_total"),
                    "local_rows_per_s": round(rows / result["duration_s"]),
                    "aws_usd_per_million_rows": round(costs["ERROR"][0], 4),
                    "aws_not_writes": round(costs["ERROR"][1], 4),
                    "aws_usd_per_million_rows_logs_all": round(costs["ALL"][0], 4),
                }
            )
            print(json.dumps(out[-1]), flush=True)
    return out


def rows() -> list[tuple[str, list]]:
    a = designs.Assumptions()
    out = [
        ("seed: one SQS message and one Lambda per row", designs.seed_lines(a)),
        (designs.PER_ROW_STANDARD.name, designs.batched_lines(designs.PER_ROW_STANDARD, a)),
        ("Distributed Map: an EXPRESS child per row (no task token)", designs.express_per_row_lines(a)),
        (designs.INLINE_PER_ROW.name, designs.batched_lines(designs.INLINE_PER_ROW, a)),
    ]
    out += [(d.name, designs.batched_lines(d, a)) for d in designs.ALTERNATIVES]
    out.append(
        ("  ... EXPRESS 500-row children, one Lambda transforms and writes", designs.express_batched_lines(a))
    )
    out.append(("DynamoDB import from S3 (new tables only)", designs.import_lines(a)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--lines", action="store_true", help="also print every line of each design")
    parser.add_argument("--tune", action="store_true", help="measure each tuning setting on the twin")
    parser.add_argument("--rows", type=int, default=5_000, help="rows of the generated file for --tune")
    args = parser.parse_args(argv)
    if args.tune:
        results = tune(args.rows)
        return 0 if all(r["status"] == "SUCCEEDED" and r["rows_accounted"] for r in results) else 1
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
    print(f"{'design ($ per million rows)':66s} {'total':>9s} {'writes':>8s} {'rest':>9s}  targets")
    for row in table:
        verdict = "met" if row["meets_targets"] else f"missed ({row['dominant_other']})"
        if row["design"].startswith("DynamoDB import"):
            verdict += " on cost alone: it cannot write into the existing table"
        figures = f"{row['total']:9.4f} {row['dynamodb_writes']:8.4f} {row['everything_else']:9.4f}"
        print(f"{row['design']:66s} {figures}  {verdict}")
        if args.lines:
            for label, quantity, usd in row["lines"]:
                print(f"    {label:70s} {quantity:>14,.3f}  ${usd:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
