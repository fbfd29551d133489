"""The CSV header, checked once per batch: a bad header fails the file with one error, not a reject per row.

Step Functions' CSV reader (ReaderConfig CSVHeaderLocation FIRST_ROW) hands each data row over as an object
keyed by the file's first line, so the header is the keys of any row of the batch. AWS's reader itself fails
the Map with States.ItemReaderFailed "CSV headers cannot contain duplicates." when two names are identical
(localstack's AWS-validated test `test_map_item_reader_csv_headers_decl_duplicate_headers`); what it lets
through, and this module catches: names equal only once trimmed, a missing or unknown column, a file written
with another delimiter, and a file without a header line (its first data row used as names).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from row_rules import REQUIRED_COLUMNS

# A header name that is a number (an epoch timestamp, a reading) means the first line was a data row.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
# Trimmed from names: white space and a UTF-8 byte-order mark (if the reader keeps it on the first name).
_TRIM = " \t\r\n\ufeff"
MAX_HEADER_ECHO = 200  # the summary cuts a failed batch's cause to 500 characters


class CsvHeaderError(Exception):
    """The file's header line is not the pipeline's: its Lambda error name is this class's name.

    Not retried (it is the same on every attempt); it fails the batch, hence the Map, with a cause that
    names the file and the header, so the user fixes the header and drops the file again.
    """


def header_names(rows: Iterable[object]) -> list[str] | None:
    """The header as the reader saw it: the keys of the first row that is an object (None without one)."""
    for row in rows:
        if isinstance(row, Mapping):
            return [str(name) for name in row]
    return None


def trimmed(name: str) -> str:
    return name.strip(_TRIM)


def header_problems(names: list[str]) -> list[str]:
    """What is wrong with a header (empty when it is fine); names are compared trimmed, in any order."""
    clean = [trimmed(name) for name in names]
    for name in clean:
        for char, label in _OTHER_DELIMITERS.items():
            if char in name:
                return [f"the header holds a {label}: the file seems {label}-separated, not comma-separated"]
    numbers = [name for name in clean if _NUMBER.fullmatch(name)]
    if numbers:
        return [f"{numbers[0]!r} is a value, not a column name: the file seems to have no header line"]
    problems: list[str] = []
    counts = Counter(name for name in clean if name)
    duplicated = sorted(name for name, count in counts.items() if count > 1)
    if duplicated:
        problems.append("duplicated columns " + ", ".join(duplicated))
    missing = [name for name in REQUIRED_COLUMNS if name not in counts]
    if missing:
        problems.append("missing columns " + ", ".join(missing))
    unknown = [name for name in clean if name and name not in REQUIRED_COLUMNS]
    if unknown:
        problems.append("unknown columns " + ", ".join(repr(name[:60]) for name in unknown[:10]))
    return problems


def check_header(names: list[str], source: str) -> dict[str, str]:
    """The rename map (name as read -> trimmed) of a good header; CsvHeaderError for a bad one."""
    problems = header_problems(names)
    if problems:
        echo = ",".join(names)
        if len(echo) > MAX_HEADER_ECHO:
            echo = echo[:MAX_HEADER_ECHO] + "…"
        raise CsvHeaderError(
            f"bad CSV header in {source}: {'; '.join(problems)}. Header: {echo!r}; "
            f"expected: {','.join(REQUIRED_COLUMNS)} (any order)"
        )
    return {name: trimmed(name) for name in names}


def renamed(row: object, names: Mapping[str, str]) -> object:
    """The row keyed by trimmed names (rows that are not objects are left for the row rules to reject)."""
    if not isinstance(row, Mapping):
        return row
    return {names.get(str(key), trimmed(str(key))): value for key, value in row.items()}
