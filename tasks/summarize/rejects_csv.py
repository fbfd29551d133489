"""The rejects file a user can fix: the original CSV rows that were not stored, with why, as CSV.

`s3://<data bucket>/rejects/<original key>` (a `.csv` suffix added when the key has none): the file's own
columns first, then `row` (the line of the original file, header = 1), `field` and `reason`. One line per
row; several problems of one row are joined with "; " in `field` and `reason`. Fix the values, delete the
three extra columns (or leave them: unknown columns that are empty are ignored) and drop the file again.
"""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

SPOOL_BYTES = 8 * 1024 * 1024
EXTRA_COLUMNS = ("row", "field", "reason")
MAX_FIELD_CHARS = 64 * 1024 * 1024


def rejects_key(prefix: str, key: str) -> str:
    return f"{prefix}{key}" if key.lower().endswith(".csv") else f"{prefix}{key}.csv"


def reason_of(reject: dict[str, Any]) -> tuple[str, str]:
    """(fields, reasons) of one reject, several problems joined with '; '."""
    errors = reject.get("errors") or [{"field": reject.get("field"), "reason": reject.get("reason")}]
    fields = "; ".join(str(e.get("field") or "") for e in errors)
    reasons = "; ".join(
        f"{e.get('field')}: {e.get('reason')}" if len(errors) > 1 else str(e.get("reason")) for e in errors
    )
    return fields, reasons


def write_rejects_csv(
    s3: Any, bucket: str, key: str, rejects: list[tuple[dict[str, Any], dict[str, Any] | None]]
) -> int:
    """Write the CSV (only when there are rejects); returns the number of rows written to it."""
    if not rejects:
        return 0
    columns: list[str] = []
    for _reject, original in rejects:
        if original:
            columns = [c for c in original if c not in EXTRA_COLUMNS]
            break
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([*columns, *EXTRA_COLUMNS])
        for reject, original in rejects:
            fields, reasons = reason_of(reject)
            values = [str((original or {}).get(c, "")) for c in columns]
            writer.writerow([*values, reject.get("row"), fields, reasons])
        text.flush()
        spool.seek(0)
        s3.put_object(Bucket=bucket, Key=key, ContentType="text/csv; charset=utf-8", Body=spool)
        text.detach()
    return len(rejects)


def count_data_rows(s3: Any, bucket: str, key: str) -> int | None:
    """Data records of the CSV (blank lines hold none, the header is not one); None if unreadable."""
    # A row may be far longer than the csv module's default field limit (128 KiB): count it like any other.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        stream = io.BufferedReader(_Readable(body))
        reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
        records = sum(1 for record in reader if record and record != [""])
    except Exception:  # a file the pipeline could not read either: the batches say what is known
        return None
    return max(0, records - 1)


class _Readable(io.RawIOBase):
    """A botocore StreamingBody as a raw stream, so TextIOWrapper can decode it incrementally."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
