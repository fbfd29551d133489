"""Run issue 10's fault scenarios on one twin and print the ledger of each (no pytest needed).

    .venv/bin/python bench/fault_ledgers.py [--only overlapping_files,stopped_then_redrive]

Each scenario injects its fault through workflow/twin/faults.py, lets the pipeline recover, and prints
per file: status, outcome, the six counts, the executions (first / redrive / replay), what the table
holds, the failed batches with their real errors, and the origins of duplicates. The same checks as
tests/faults run after each scenario; a failed check is printed, not raised.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import scenarios  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    wanted = {name for name in args.only.split(",") if name}
    with scenarios.fault_twin() as twin, tempfile.TemporaryDirectory() as tmp:
        for scenario in scenarios.SCENARIOS:
            if wanted and scenario.__name__ not in wanted:
                continue
            started = time.monotonic()
            report = scenario(twin, Path(tmp))
            print("\n".join(report.lines()))
            for file in report.files:
                try:
                    scenarios.check(file)
                except AssertionError as exc:
                    print(f"  CHECK FAILED: {exc}")
            print(f"  ({time.monotonic() - started:.1f} s)", flush=True)
            scenarios.faults.registry.clear()


if __name__ == "__main__":
    main()
