"""The bad-input corpus: each case is a file (built here, not checked in) and the outcome a user must see.

Every case uses its own range of timestamps, so all files can run at once in one twin without their rows
meeting in the table. A case's expectation is per file (SUCCEEDED with so many rows written and rejected,
or FAILED with an error naming the problem) and per row (the reason given for each rejected row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEADER = "timestamp,location,source,local_dest,local_avg,remote_dest,remote_avg"
COLUMNS = HEADER.split(",")
BASE = 1_600_000_000  # 2020-09-13


@dataclass(frozen=True)
class Case:
    """One file of the corpus and what must come of it."""

    name: str
    body: bytes
    status: str = "SUCCEEDED"
    written: int = 0
    rejected: int = 0
    # (row, field, part of the reason) for each rejected row the user must be told about
    reasons: tuple[tuple[int, str, str], ...] = ()
    # part of the file-level error (execution error/cause or a failed batch's error/cause)
    error: str | None = None
    key: str | None = None  # default incoming/badinput/<name>.csv

    @property
    def object_key(self) -> str:
        return self.key or f"incoming/badinput/{self.name}.csv"


@dataclass
class Rows:
    """Good rows with timestamps unique to one case (case number n uses BASE + n * 1000 onwards)."""

    number: int
    used: int = field(default=0)

    def ts(self) -> str:
        self.used += 1
        return f"{BASE + self.number * 1000 + self.used}.5"

    def values(self, **overrides: str) -> list[str]:
        row = {
            "timestamp": self.ts(),
            "location": "location-01",
            "source": "wireless",
            "local_dest": "router-1",
            "local_avg": "4.39",
            "remote_dest": "device-1",
            "remote_avg": "9.09",
        }
        row.update(overrides)
        return [row[name] for name in COLUMNS]

    def line(self, sep: str = ",", **overrides: str) -> str:
        return sep.join(self.values(**overrides))

    def good(self, count: int, sep: str = ",", newline: str = "\n") -> str:
        return "".join(self.line(sep) + newline for _ in range(count))


def text(value: str) -> bytes:
    return value.encode("utf-8")


def build() -> list[Case]:
    """The corpus, in a stable order (the case number fixes each file's timestamps)."""
    cases: list[Case] = []
    counter = iter(range(1, 1000))

    def rows() -> Rows:
        return Rows(next(counter))

    r = rows()
    cases.append(Case("bom", text("\ufeff" + HEADER + "\n" + r.good(3)), written=3))
    r = rows()
    cases.append(Case("crlf", text(HEADER + "\r\n" + r.good(3, newline="\r\n")), written=3))
    r = rows()
    quote = '"'
    quoted = r.line(location=f"{quote}north, hall A{quote}") + "\n"
    quoted += r.line(source=f"{quote}wire\nless{quote}") + "\n"
    cases.append(
        Case(
            "quoted_commas_and_newlines",
            text(HEADER + "\n" + r.good(1) + quoted),
            written=2,
            rejected=1,
            reasons=((4, "source", "must be one line without control characters (U+000A"),),
        )
    )
    r = rows()
    short = ",".join(r.values()[:5])
    cases.append(
        Case(
            "missing_columns_in_a_row",
            text(HEADER + "\n" + r.good(2) + short + "\n"),
            written=2,
            rejected=1,
            reasons=((4, "remote_dest", "empty or missing"), (4, "remote_avg", "empty or missing")),
        )
    )
    r = rows()
    # Step Functions' CSV reader skips fields beyond the header's ("How Step Functions parses input CSV
    # files")
    cases.append(
        Case(
            "extra_columns_in_a_row", text(HEADER + "\n" + r.good(1) + r.line() + ",extra,more\n"), written=2
        )
    )
    r = rows()
    cases.append(
        Case(
            "wrong_header",
            text("a,b,c\n1,2,3\n"),
            status="FAILED",
            error="CsvHeaderError: bad CSV header in s3://csv-etl-data/incoming/badinput/wrong_header.csv",
        )
    )
    r = rows()
    cases.append(
        Case(
            "missing_header_column",
            text(
                ",".join(COLUMNS[:-1]) + "\n" + "\n".join(",".join(r.values()[:-1]) for _ in range(2)) + "\n"
            ),
            status="FAILED",
            error="missing columns remote_avg",
        )
    )
    r = rows()
    order = [5, 0, 3, 1, 6, 2, 4]
    reordered = ",".join(COLUMNS[i] for i in order) + "\n"
    for _ in range(3):
        values = r.values()
        reordered += ",".join(values[i] for i in order) + "\n"
    cases.append(Case("reordered_header", text(reordered), written=3))
    r = rows()
    cases.append(
        Case(
            "duplicated_header",
            text(HEADER + ",location\n" + r.good(2)),
            status="FAILED",
            error="CSV headers cannot contain duplicates",
        )
    )
    r = rows()
    cases.append(
        Case(
            "duplicated_header_once_trimmed",
            text(HEADER + ", location\n" + r.good(2)),
            status="FAILED",
            error="duplicated columns location",
        )
    )
    r = rows()
    padded = ", ".join(f" {name} " for name in COLUMNS)
    cases.append(Case("space_padded_header", text(padded + "\n" + r.good(3)), written=3))
    for name, sep in (("semicolon", ";"), ("tab", "\t"), ("pipe", "|")):
        r = rows()
        cases.append(
            Case(
                f"{name}_delimited",
                text(sep.join(COLUMNS) + "\n" + r.good(2, sep=sep)),
                status="FAILED",
                error=f"holds a {name}: the file seems {name}-separated, not comma-separated",
            )
        )
    r = rows()
    cases.append(
        Case("no_header", text(r.good(3)), status="FAILED", error="the file seems to have no header line")
    )
    cases.append(Case("empty_file", b""))
    cases.append(Case("header_only", text(HEADER + "\n")))
    r = rows()
    cases.append(
        Case(
            "not_utf8",
            text(HEADER + "\n" + r.good(2)) + text(r.line(location="caf")) + b"\xe9\n" + text(r.good(1)),
            status="FAILED",
            error="is not valid UTF-8 text: line 4 holds the byte(s) 0xe9",
        )
    )
    r = rows()
    cases.append(
        Case(
            "nul_bytes",
            text(HEADER + "\n" + r.good(2) + r.line(location="loc\x00ation") + "\n"),
            written=2,
            rejected=1,
            reasons=((4, "location", "must be one line without control characters (U+0000 at character 4)"),),
        )
    )
    r = rows()
    cases.append(
        Case(
            "line_of_10_mb",
            text(HEADER + "\n" + r.good(1) + r.line(location="x" * (10 * 1024 * 1024)) + "\n"),
            status="FAILED",
            error="is larger than the 8 MB item limit",
        )
    )
    r = rows()
    cases.append(
        Case(
            "nan_infinity_1e309",
            text(
                HEADER
                + "\n"
                + r.good(1)
                + r.line(local_avg="NaN")
                + "\n"
                + r.line(remote_avg="Infinity")
                + "\n"
                + r.line(local_avg="1e309")
                + "\n"
                + r.line(timestamp="-inf")
                + "\n"
            ),
            written=1,
            rejected=4,
            reasons=(
                (3, "local_avg", "not a finite number"),
                (4, "remote_avg", "not a finite number"),
                (5, "local_avg", "out of DynamoDB Number range"),
                (6, "timestamp", "not a finite number"),
            ),
        )
    )
    r = rows()
    cases.append(
        Case(
            "negative_and_far_future_timestamps",
            text(
                HEADER
                + "\n"
                + r.line(timestamp=f"-{r.number}86400.25")
                + "\n"
                + r.line(timestamp="253402300800")
                + "\n"
                + r.line(timestamp="-62135596801")
                + "\n"
            ),
            written=1,
            rejected=2,
            reasons=((3, "timestamp", "out of range (years 1 to 9999)"), (4, "timestamp", "out of range")),
        )
    )
    r = rows()
    cases.append(
        Case(
            "non_ascii_digits",
            text(
                HEADER
                + "\n"
                + r.good(1)
                + r.line(local_avg="\uff14.\uff13\uff19")
                + "\n"
                + r.line(timestamp="\u0661\u0665\u0669\u0669")
                + "\n"
            ),
            written=1,
            rejected=2,
            reasons=((3, "local_avg", "non-ASCII digits"), (4, "timestamp", "non-ASCII digits")),
        )
    )
    r = rows()
    cases.append(
        Case(
            "text_too_long_for_an_item",
            text(HEADER + "\n" + r.good(1) + r.line(location="y" * 100_000) + "\n" + r.good(1)),
            written=2,
            rejected=1,
            reasons=((3, "location", "longer than 256 characters (100000)"),),
        )
    )
    r = rows()
    cases.append(
        Case(
            "row_over_the_400_kb_item_limit",
            text(HEADER + "\n" + r.good(1) + r.line(location="z" * 450_000) + "\n"),
            status="FAILED",
            error="States.DataLimitExceeded",
        )
    )
    r = rows()
    first = r.values()
    cases.append(
        Case(
            "duplicate_keys_within_a_file",
            text(
                HEADER
                + "\n"
                + ",".join(first)
                + "\n"
                + r.good(1)
                + ",".join([first[0], *first[1:4], "5.5", *first[5:]])
                + "\n"
            ),
            written=2,
            rejected=1,
            reasons=((4, "timestamp", "same date and time as row 2"),),
        )
    )
    cases.append(
        Case(
            "binary_named_csv",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            status="FAILED",
            error="is not valid UTF-8 text: line 1 holds the byte(s) 0x89",
        )
    )
    for name, key in (
        ("key_with_spaces", "incoming/badinput/with some spaces.csv"),
        ("key_with_unicode", "incoming/badinput/d\u00e9j\u00e0 vu \u6771\u4eac.csv"),
        ("key_with_percent", "incoming/badinput/100%25 done%.csv"),
        ("key_with_plus", "incoming/badinput/a+b=c.csv"),
        ("key_with_dot_dot", "incoming/badinput/../up.csv"),
    ):
        r = rows()
        cases.append(Case(name, text(HEADER + "\n" + r.good(2)), written=2, key=key))
    return cases
