"""The formats of an ItemReader object: CSV (and other text-delimited files), JSON, JSON Lines.

Follows "How Step Functions parses input CSV files" and "ItemReader (Map)" in the AWS Step Functions
developer guide. Each parser takes the object's text lines (or its byte stream, for JSON) and yields items
one at a time, so a large file is never held whole; `item_reader` opens the objects. Every failure is a
StatesError("States.ItemReaderFailed").
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from workflow.engine.asl.vocabulary import CSV_DELIMITERS
from workflow.engine.errors import ITEM_READER_FAILED, StatesError
from workflow.engine.quotas import ITEM_BYTES

CHUNK_BYTES = 64 * 1024  # how much of an object is read at a time


def reader_failed(cause: str) -> StatesError:
    return StatesError(ITEM_READER_FAILED, cause)


# --------------------------------------------------------------------------------------------- CSV


def split_records(
    lines: Iterable[str], delimiter: str, source: str = "the object"
) -> Iterator[tuple[int, list[str]]]:
    """Records of a text-delimited file as AWS parses them, with the 1-based line each record starts on.

    Rules ("How Step Functions parses input CSV files"): double quotes enclose fields that may hold the
    delimiter and newlines; a doubled quote is a literal quote; a backslash escapes a backslash, a quote or
    the delimiter, and a backslash before any other character is dropped. Empty lines hold no record.
    Lines without quotes or backslashes take a fast path (str.split); the others jump from one special
    character to the next with a regular expression rather than looking at every character.
    """
    unquoted_special = re.compile("[" + re.escape(delimiter + '"\\\r\n') + "]")
    quoted_special = re.compile(r'["\\]')
    escapable = ("\\", '"', delimiter)
    fields: list[str] = []
    current: list[str] = []
    in_quotes = False
    pending = False  # a record is being continued across lines
    field_start = True
    start_line = 0
    line_no = 0
    record_size = 0
    for line in lines:
        line_no += 1
        record_size = len(line) + (record_size if pending else 0)
        if record_size > ITEM_BYTES:
            raise reader_failed(
                f"The record on line {start_line if pending else line_no} of {source} is larger "
                "than the 8 MB item limit"
            )
        if not pending:
            if '"' not in line and "\\" not in line:
                body = line.rstrip("\r\n")
                if body:
                    yield line_no, body.split(delimiter)
                continue
            start_line = line_no
            pending = True
        i, n = 0, len(line)
        while i < n:
            match = (quoted_special if in_quotes else unquoted_special).search(line, i)
            j = match.start() if match else n
            if j > i:
                current.append(line[i:j])
                field_start = False
            if match is None:
                break
            c = line[j]
            if c == "\\" and j + 1 < n and line[j + 1] not in "\r\n":
                if line[j + 1] in escapable:
                    current.append(line[j + 1])
                    field_start = False
                    i = j + 2
                else:
                    i = j + 1  # a backslash followed by any other character is silently removed
                continue
            if in_quotes:
                if c == '"':
                    if j + 1 < n and line[j + 1] == '"':
                        current.append('"')
                        i = j + 2
                    else:
                        in_quotes = False
                        i = j + 1
                else:  # a backslash before a line break or at the end of the data stays
                    current.append(c)
                    i = j + 1
                continue
            if c == delimiter:
                fields.append("".join(current))
                current, field_start = [], True
                i = j + 1
            elif c in "\r\n":
                record = [*fields, "".join(current)]
                fields, current, field_start, pending = [], [], True, False
                if record != [""]:
                    yield start_line, record
                break  # the rest of the line is its line ending
            elif c == '"':
                if not field_start and j + 1 < n and line[j + 1] == '"':
                    current.append('"')
                    i = j + 2
                else:
                    in_quotes, field_start = True, False
                    i = j + 1
            else:  # a backslash before a line break or at the end of the data stays
                current.append(c)
                field_start = False
                i = j + 1
    if in_quotes:
        raise reader_failed(
            f"Unterminated quoted field in the record starting on line {start_line} of {source}"
        )
    if pending:
        record = [*fields, "".join(current)]
        if record != [""]:
            yield start_line, record


def csv_items(lines: Iterable[str], config: Mapping[str, Any], source: str) -> Iterator[dict[str, str]]:
    """CSV rows as objects keyed by the header; fewer fields get empty strings, extra fields are skipped."""
    delimiter_name = str(config.get("CSVDelimiter", "COMMA"))
    if delimiter_name not in CSV_DELIMITERS:
        raise reader_failed(
            f"Unsupported CSVDelimiter {delimiter_name!r}; expected one of {sorted(CSV_DELIMITERS)}"
        )
    records = split_records(lines, CSV_DELIMITERS[delimiter_name], source)
    location = str(config.get("CSVHeaderLocation", "FIRST_ROW"))
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not headers or not all(isinstance(h, str) for h in headers):
            raise reader_failed(
                "CSVHeaders must be a non-empty array of strings when CSVHeaderLocation is GIVEN"
            )
    elif location == "FIRST_ROW":
        first = next(records, None)
        if first is None:
            return
        headers = first[1]
    else:
        raise reader_failed(f"Unsupported CSVHeaderLocation {location!r}; expected FIRST_ROW or GIVEN")
    if len(set(headers)) != len(headers):
        raise reader_failed(f"CSV headers cannot contain duplicates ({source}).")
    width = len(headers)
    for _line, fields in records:
        if len(fields) < width:
            fields = fields + [""] * (width - len(fields))
        yield dict(zip(headers, fields, strict=False))


# --------------------------------------------------------------------------------------------- JSON


def _json_array_items(stream: io.BufferedIOBase, source: str) -> Iterator[Any]:
    """Elements of a top-level JSON array, decoded one at a time from a growing text buffer."""
    reader = io.TextIOWrapper(cast(io.BufferedReader, stream), encoding="utf-8-sig")
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    eof = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        # Read at least as much as is pending, so a large element is re-decoded O(log n) times, not O(n).
        chunk = reader.read(max(CHUNK_BYTES, len(buf) - pos))
        if not chunk:
            eof = True
            return False
        buf = buf[pos:] + chunk
        pos = 0
        return True

    def skip_ws() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf) or not fill():
                return buf[pos] if pos < len(buf) else ""

    try:
        first = skip_ws()
        if first != "[":
            if first == "":
                raise reader_failed(f"The JSON object {source} is empty")
            raise reader_failed(
                f"The JSON object {source} must contain an array of items "
                "(Attempting to map over non-iterable node.)"
            )
        pos += 1
        expect_value = True
        first_item = True
        while True:
            c = skip_ws()
            if c == "]" and (first_item or not expect_value):
                return
            if c == "":
                raise reader_failed(f"Unexpected end of the JSON array in {source}")
            if not expect_value:
                if c != ",":
                    raise reader_failed(
                        f"Malformed JSON array in {source}: expected ',' or ']' but found {c!r}"
                    )
                pos += 1
                expect_value = True
                continue
            while True:
                try:
                    value, end = decoder.raw_decode(buf, pos)
                    if end < len(buf) or eof:
                        break  # a number at the very end of the buffer may continue in the next chunk
                except json.JSONDecodeError as exc:
                    if eof:
                        raise reader_failed(f"Malformed JSON in {source}: {exc.msg}") from exc
                if len(buf) - pos > ITEM_BYTES:
                    raise reader_failed(
                        f"An item of the JSON array in {source} is larger than the 8 MB item limit"
                    )
                if not fill():
                    continue
            if end - pos > ITEM_BYTES:
                raise reader_failed(
                    f"An item of the JSON array in {source} is larger than the 8 MB item limit"
                )
            pos = end
            first_item = False
            expect_value = False
            yield value
    finally:
        reader.close()


def _json_pointer(document: Any, pointer: str, source: str) -> Any:
    node = document
    if pointer in ("", "/"):
        return node
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise reader_failed(f"ItemsPointer {pointer!r} does not select a node in {source}")
    return node


def json_items(stream: io.BufferedIOBase, config: Mapping[str, Any], source: str) -> Iterator[Any]:
    pointer = config.get("ItemsPointer")
    if pointer is None:
        return _json_array_items(stream, source)
    # With ItemsPointer the array may be anywhere in the document: parse it whole (documented limitation).
    try:
        document = json.load(io.TextIOWrapper(cast(io.BufferedReader, stream), encoding="utf-8-sig"))
    except ValueError as exc:
        raise reader_failed(f"Malformed JSON in {source}: {exc}") from exc
    node = _json_pointer(document, str(pointer), source)
    if not isinstance(node, list):
        raise reader_failed(
            f"ItemsPointer {pointer!r} in {source} must select an array "
            "(Attempting to map over non-iterable node.)"
        )
    return iter(node)


def jsonl_items(lines: Iterable[str], source: str) -> Iterator[Any]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > ITEM_BYTES:
            raise reader_failed(f"Line {number} of {source} is larger than the 8 MB item limit")
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise reader_failed(f"Malformed JSON on line {number} of {source}: {exc}") from exc
