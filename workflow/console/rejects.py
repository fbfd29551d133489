"""A file's rejects: row, field, reason, value (one line per problem), filterable, as JSON or CSV.

Where they are: the ledger's `rejects_location` (else the `rejects_location` of the file's latest execution
summary). Summarize writes them as the CSV a user can fix (tasks/summarize/rejects_csv.py): the file's own
columns, then `row`, `field` and `reason`, one line per row; several problems of a row are joined with "; "
(`field` = "timestamp; local_avg", `reason` = "timestamp: not a number; local_avg: not a number"). The
console splits such a line into one problem per field, and takes each problem's value from the row's original
column of that field.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from workflow.console.executions import Executions, summary_of
from workflow.console.files import Files

MAX_SHOWN = 1_000
FIELDS = ("row", "field", "reason", "value")
EXTRA_COLUMNS = ("row", "field", "reason")
JOIN = "; "


class NotARejectsFile(ValueError):
    """The object at the rejects location has no `row`, `field` and `reason` columns."""


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def split_reasons(fields: Sequence[str], reasons: str) -> list[str] | None:
    """The reason of each field of a joined line (`a: r1; b: r2`); None when the text does not parse so."""
    if len(fields) == 1:
        return [reasons]
    starts: list[tuple[int, int]] = []  # (where the field's prefix starts, where its reason starts)
    position = 0
    for index, name in enumerate(fields):
        prefix = f"{name}: " if index == 0 else f"{JOIN}{name}: "
        found = reasons.find(prefix, position)
        if found < 0 or (index == 0 and found != 0):
            return None
        starts.append((found, found + len(prefix)))
        position = found + len(prefix)
    ends = [start for start, _ in starts[1:]] + [len(reasons)]
    return [reasons[begin:end] for (_, begin), end in zip(starts, ends, strict=True)]


def problems(row: str, fields: str, reasons: str, originals: dict[str, str]) -> Iterator[dict[str, Any]]:
    """One problem per field of a rejects line, with the original value of that field (None if no column)."""
    names = fields.split(JOIN) if fields else [""]
    split = split_reasons(names, reasons)
    if split is None:  # not joined as Summarize joins: the line as one problem
        names, split = [fields], [reasons]
    number: int | str | None = int(row) if row.strip().isdigit() else (row or None)
    for name, reason in zip(names, split, strict=True):
        yield {"row": number, "field": name, "reason": reason, "value": originals.get(name)}


def parse(lines: Iterator[str], location: str) -> Iterator[dict[str, Any]]:
    """The problems of a rejects CSV (its header: the original columns, then row, field, reason)."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    positions = {name: len(header) - 1 - header[::-1].index(name) for name in EXTRA_COLUMNS if name in header}
    if len(positions) < len(EXTRA_COLUMNS):
        raise NotARejectsFile(
            f"{location}: not a rejects file (its header has no row, field and reason columns)"
        )
    extra = set(positions.values())
    originals = [(index, name) for index, name in enumerate(header) if index not in extra]
    for record in reader:
        if not record or record == [""]:
            continue
        cells = record + [""] * (len(header) - len(record))
        values = {name: cells[index] for index, name in originals}
        row, fields, reasons = (cells[positions[name]] for name in EXTRA_COLUMNS)
        yield from problems(row, fields, reasons, values)


class Rejects:
    def __init__(self, files: Files, executions: Executions) -> None:
        self.files = files
        self.executions = executions
        self.src = files.src

    def location(self, key: str) -> tuple[str | None, str | None]:
        """(rejects location, execution ARN) for the file's latest run."""
        if self.src.ledger.available():
            for record in self.src.ledger.file(self.src.bucket, key):
                if record.get("rejects_location") or record.get("execution_arn"):
                    return record.get("rejects_location"), record.get("execution_arn")
        arn = self.files.latest_execution(key)
        if not arn:
            return None, None
        summary = summary_of(self.executions.reader.describe(arn)) or {}
        return summary.get("rejects_location"), arn

    def rows(self, location: str) -> Iterator[dict[str, Any]]:
        bucket, key = split_s3(location)
        body = self.src.s3.get_object(Bucket=bucket, Key=key)["Body"]
        yield from parse(codecs.getreader("utf-8-sig")(body), location)

    def page(self, key: str, q: str | None = None, field: str | None = None) -> dict[str, Any]:
        location, arn = self.location(key)
        out: dict[str, Any] = {"key": key, "location": location, "execution_arn": arn, "rejects": []}
        if not location:
            return out
        needle = (q or "").strip().lower()
        total = matched = 0
        fields: set[str] = set()
        for row in self.rows(location):
            total += 1
            fields.add(str(row.get("field")))
            if field and row.get("field") != field:
                continue
            if needle and needle not in " ".join(str(v) for v in row.values()).lower():
                continue
            matched += 1
            if len(out["rejects"]) < MAX_SHOWN:
                out["rejects"].append(row)
        out.update(total=total, matched=matched, fields=sorted(fields))
        return out

    def csv_chunks(self, key: str) -> Iterator[str]:
        """Every problem as CSV (streamed, the header first)."""
        location, _ = self.location(key)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FIELDS)
        writer.writeheader()
        yield buffer.getvalue()
        if not location:
            return
        for row in self.rows(location):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(row)
            yield buffer.getvalue()
