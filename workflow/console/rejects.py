"""A file's rejects: row, field, reason, value (one line per problem), filterable, as JSON or CSV.

Where they are: the ledger's `rejects_location` when the table exists, else the `rejects_location` of the
file's latest execution summary (Summarize writes JSON Lines: `{"file", "row", "errors": [...], "stage"}`).
A `.csv` location is read as CSV with `row, field, reason, value` columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from workflow.console.executions import Executions, summary_of
from workflow.console.files import Files

MAX_SHOWN = 1_000
FIELDS = ("row", "field", "reason", "value", "stage")


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def flatten(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per problem of a JSON Lines reject record."""
    errors = record.get("errors") or [record]
    for error in errors:
        yield {
            "row": record.get("row"),
            "field": error.get("field"),
            "reason": error.get("reason"),
            "value": error.get("value"),
            "stage": record.get("stage"),
        }


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
        lines = codecs.getreader("utf-8")(body)
        if key.endswith(".csv"):
            for record in csv.DictReader(lines):
                row = {name: record.get(name) for name in FIELDS}
                if str(row["row"] or "").isdigit():
                    row["row"] = int(str(row["row"]))
                yield row
            return
        for line in lines:
            if line.strip():
                yield from flatten(json.loads(line))

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
        """Every reject as CSV (streamed, the header first)."""
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
