"""Run issue 10's fault scenarios on 5,000-row files and print the ledger of each (no pytest needed).

    .venv/bin/python bench/fault_ledgers.py [--rows 5000] [--speed 10] [--only overlapping_files,...]

Each scenario injects its fault through workflow/twin/faults.py, lets the pipeline recover, and prints
per file: status, outcome, the counts (dead-lettered included), the executions (first / redrive /
replay), what the table holds, the failed batches with their real errors, and the origins of duplicates.
The same checks as tests/faults run after each scenario; a failed check is printed, not raised. The
tests run the same scenarios on smaller files (500-2,000 rows) to keep the suite fast.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import scenarios  # noqa: E402


def run(twin: Any, chosen: list[Callable[..., scenarios.Report]], rows: int, tmp: Path) -> int:
    failures = 0
    for scenario in chosen:
        started = time.monotonic()
        try:
            # one round of two overlapping 5,000-row files (the tests run several smaller rounds)
            extra = {"rounds": 1} if scenario.__name__ == "overlapping_files" else {}
            report = scenario(twin, tmp, rows=rows, **extra)
        except Exception as exc:  # a scenario that could not finish is a result too
            print(f"[{scenario.__name__}] DID NOT FINISH: {type(exc).__name__}: {exc}", flush=True)
            failures += 1
            scenarios.faults.registry.clear()
            continue
        print("\n".join(report.lines()))
        for file in report.files:
            try:
                scenarios.check(file)
            except AssertionError as exc:
                failures += 1
                print(f"  CHECK FAILED: {exc}")
        print(f"  ({time.monotonic() - started:.1f} s, {rows} rows per file)", flush=True)
        scenarios.faults.registry.clear()
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows per file (default 5000)")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--speed", type=float, default=10.0, help="the twin's virtual time factor")
    args = parser.parse_args()
    wanted = {name for name in args.only.split(",") if name}

    def chosen(group: list[Callable[..., scenarios.Report]]) -> list[Callable[..., scenarios.Report]]:
        return [s for s in group if not wanted or s.__name__ in wanted]

    # 5,000-row files on a shared 2-core machine: virtual time runs slower than in the tests (10x: Enqueue's
    # 300 s heartbeat is 30 s), so a busy machine does not turn into heartbeat timeouts; longer waits.
    scenarios.FINISH_TIMEOUT_S = 900.0
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        if chosen(scenarios.SCENARIOS):
            # overlapping files last: the heaviest (10,000 conditional puts, half of them conflicts)
            order = sorted(chosen(scenarios.SCENARIOS), key=lambda s: s.__name__ == "overlapping_files")
            with scenarios.fault_twin(speed=args.speed, lambda_time_scale=1.0) as twin:
                failures += run(twin, order, args.rows, Path(tmp))
        if chosen(scenarios.DEAD_LETTER_SCENARIOS):
            with scenarios.fault_twin(
                speed=2 * args.speed, lambda_time_scale=1.0, max_receive_count=1, queue_visibility_timeout_s=5
            ) as twin:  # as tests/faults/test_dead_letters.py
                failures += run(twin, chosen(scenarios.DEAD_LETTER_SCENARIOS), args.rows, Path(tmp))
    print(f"checks failed: {failures}")


if __name__ == "__main__":
    main()
