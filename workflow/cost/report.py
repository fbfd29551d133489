"""Price billed lines, scale them to a million rows, and check them against the issue's targets.

Targets (issue 14): at most $0.80 per million rows all-in, at most $0.15 of it outside DynamoDB writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workflow.cost.meter import Line
from workflow.cost.prices import CHECKED, REGION, price

MILLION = 1_000_000
TARGET_ALL_IN = 0.80
TARGET_NOT_WRITES = 0.15
WRITES_KEY = "ddb.wru"


@dataclass(frozen=True)
class PricedLine:
    line: Line
    unit_usd: float
    usd: float
    usd_per_million_rows: float

    @property
    def is_write(self) -> bool:
        return self.line.price_key == WRITES_KEY


@dataclass(frozen=True)
class CostReport:
    """A priced run: each line, the totals, the split and the verdict on the targets."""

    rows: int
    lines: Sequence[PricedLine]

    @property
    def total(self) -> float:
        return sum(p.usd for p in self.lines)

    @property
    def writes(self) -> float:
        return sum(p.usd for p in self.lines if p.is_write)

    @property
    def not_writes(self) -> float:
        return self.total - self.writes

    def per_million(self, usd: float) -> float:
        return usd * MILLION / self.rows if self.rows else 0.0

    @property
    def meets_all_in(self) -> bool:
        return self.per_million(self.total) <= TARGET_ALL_IN + 1e-12

    @property
    def meets_not_writes(self) -> bool:
        return self.per_million(self.not_writes) <= TARGET_NOT_WRITES + 1e-12

    def dominant(self, writes: bool | None = None) -> PricedLine | None:
        """The costliest line (of the writes, of the rest, or of all when `writes` is None)."""
        pool = [p for p in self.lines if writes is None or p.is_write == writes]
        return max(pool, key=lambda p: p.usd, default=None)

    def verdicts(self) -> list[str]:
        """One sentence per target: met, or missed and which line dominates."""
        checks = (
            ("all-in", self.per_million(self.total), TARGET_ALL_IN, None),
            ("not-DynamoDB-writes", self.per_million(self.not_writes), TARGET_NOT_WRITES, False),
        )
        out = []
        for name, value, limit, pool in checks:
            if value <= limit + 1e-12:
                out.append(f"meets the {name} target: ${value:.4f} <= ${limit:.2f} per million rows")
                continue
            top = self.dominant(writes=pool)
            label = top.line.label if top else "-"
            share = self.per_million(top.usd) if top else 0.0
            out.append(
                f"misses the {name} target: ${value:.4f} > ${limit:.2f} per million rows;"
                f" dominant line: {label} (${share:.4f})"
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": REGION,
            "prices_checked": CHECKED,
            "rows": self.rows,
            "lines": [
                {
                    "label": p.line.label,
                    "price_key": p.line.price_key,
                    "quantity": p.line.quantity,
                    "unit_usd": p.unit_usd,
                    "usd": p.usd,
                    "usd_per_million_rows": p.usd_per_million_rows,
                    "estimate": p.line.estimate,
                    "note": p.line.note,
                }
                for p in self.lines
            ],
            "total_usd": self.total,
            "dynamodb_writes_usd": self.writes,
            "everything_else_usd": self.not_writes,
            "per_million_rows": {
                "total": self.per_million(self.total),
                "dynamodb_writes": self.per_million(self.writes),
                "everything_else": self.per_million(self.not_writes),
            },
            "targets": {
                "all_in": {"limit": TARGET_ALL_IN, "met": self.meets_all_in},
                "not_dynamodb_writes": {"limit": TARGET_NOT_WRITES, "met": self.meets_not_writes},
            },
            "verdicts": self.verdicts(),
        }


def price_lines(lines: Sequence[Line], rows: int) -> CostReport:
    """Each line at its unit price; per million rows is the line's cost x 1,000,000 / rows."""
    priced = []
    for line in lines:
        unit = price(line.price_key).unit_usd
        usd = line.quantity * unit
        priced.append(PricedLine(line, unit, usd, usd * MILLION / rows if rows else 0.0))
    return CostReport(rows, priced)
