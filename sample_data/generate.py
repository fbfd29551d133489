"""Write a large CSV shaped like data.csv, with a chosen share of bad rows of varied kinds.

    python sample_data/generate.py OUT.csv --rows 1000000 --bad-share 0.01 --seed 1

Rows are streamed to disk one at a time and the bad ones are picked by selection sampling (exact
count, no index set), so memory stays flat for any number of rows. Good rows have strictly
increasing timestamps with sub-second digits, some of them in the same second as the row before,
so every good row has its own (date, time) key. Each bad row has exactly one problem, so the
printed counts say exactly how many rejects a run must report.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEADER = ["timestamp", "location", "source", "local_dest", "local_avg", "remote_dest", "remote_avg"]
START_TICKS = 1_559_040_909_385_333_5  # data.csv's first timestamp, in 1e-7 s ticks
TICKS_PER_SECOND = 10_000_000
SAME_SECOND_SHARE = 0.1

# No "extra column" kind: Step Functions' CSV reader skips fields beyond the header, so such a row is
# indistinguishable from a good one. An unquoted comma inside a value shifts the later fields instead.
BAD_KINDS = (
    "bad_timestamp",
    "bad_number",
    "non_finite",
    "missing_column",
    "unquoted_comma",
    "empty_text",
    "duplicate_key",
)


@dataclass
class Plan:
    rows: int
    bad: int
    counts: Counter[str]


def format_ticks(ticks: int) -> str:
    """Epoch seconds with up to 7 sub-second digits, trailing zeros dropped (as data.csv writes them)."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    digits = f"{fraction:07d}".rstrip("0")
    return f"{seconds}.{digits}" if digits else str(seconds)


def good_values(rng: random.Random, ticks: int) -> list[str]:
    return [
        format_ticks(ticks),
        f"location-{rng.randint(1, 12):02d}",
        rng.choice(["wireless", "wired"]),
        f"router-{rng.randint(1, 4)}",
        f"{rng.uniform(0.05, 5):.2f}",
        f"device-{rng.randint(1, 9)}",
        f"{rng.uniform(5, 20):.2f}",
    ]


def spoil(rng: random.Random, values: list[str], kind: str, last_good_timestamp: str) -> list[str]:
    """The row with exactly one problem of the given kind."""
    values = list(values)
    if kind == "bad_timestamp":
        values[0] = rng.choice(["not_a_timestamp!", "2019-05-28T10:55:09Z", "", "1559040909,5"])
    elif kind == "bad_number":
        values[rng.choice([4, 6])] = rng.choice(["n/a", "abc", "1.2.3", "0x1F"])
    elif kind == "non_finite":
        values[rng.choice([4, 6])] = rng.choice(["NaN", "inf", "-Infinity"])
    elif kind == "missing_column":
        values = values[:-1]
    elif kind == "unquoted_comma":
        whole, _, fraction = values[4].partition(".")
        values[4:5] = [whole, fraction]  # "4,39" written without quotes: remote_avg becomes "device-N"
    elif kind == "empty_text":
        values[rng.choice([1, 2, 3, 5])] = rng.choice(["", "   "])
    elif kind == "duplicate_key":
        values[0] = last_good_timestamp
    else:  # pragma: no cover - BAD_KINDS is closed
        raise ValueError(kind)
    return values


def generate_rows(rows: int, bad_share: float, seed: int, counts: Counter[str]) -> Iterator[list[str]]:
    """Data rows in file order; `counts` is filled with the kind of every bad row as they are produced."""
    rng = random.Random(seed)
    bad_total = round(rows * bad_share)
    ticks = START_TICKS
    last_good: str | None = None
    bad_left = bad_total
    for position in range(rows):
        # Selection sampling (Knuth's algorithm S): exactly bad_total rows, each equally likely.
        is_bad = bad_left > 0 and rng.random() * (rows - position) < bad_left
        if is_bad:
            bad_left -= 1
            kinds = BAD_KINDS if last_good is not None else BAD_KINDS[:-1]
            kind = rng.choice(kinds)
            counts[kind] += 1
            yield spoil(rng, good_values(rng, ticks + 1), kind, last_good or "")
            continue
        if last_good is not None:
            if rng.random() < SAME_SECOND_SHARE and ticks % TICKS_PER_SECOND < TICKS_PER_SECOND - 2:
                room = TICKS_PER_SECOND - 1 - ticks % TICKS_PER_SECOND
                ticks += rng.randint(1, room)  # a second reading in the same second
            else:
                ticks += rng.randint(TICKS_PER_SECOND // 5, 20 * TICKS_PER_SECOND)
        values = good_values(rng, ticks)
        last_good = values[0]
        yield values


def write_csv(out: Path, rows: int, bad_share: float, seed: int) -> Plan:
    counts: Counter[str] = Counter()
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(generate_rows(rows, bad_share, seed, counts))
    return Plan(rows=rows, bad=sum(counts.values()), counts=counts)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="CSV file to write")
    parser.add_argument("--rows", type=int, default=1000, help="data rows (header not counted)")
    parser.add_argument("--bad-share", type=float, default=0.01, help="share of bad rows, 0..1")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    if not 0 <= args.bad_share <= 1:
        parser.error("--bad-share must be between 0 and 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = write_csv(args.out, args.rows, args.bad_share, args.seed)
    kinds = ", ".join(f"{kind}={plan.counts[kind]}" for kind in BAD_KINDS if plan.counts[kind])
    print(
        f"wrote {args.out}: {plan.rows} rows, {plan.bad} bad ({kinds or 'none'}), {plan.rows - plan.bad} good"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
