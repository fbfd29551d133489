"""The Distributed Map's ItemReader: items streamed from S3 (CSV, JSON, JSONL, manifests, object listings).

Objects are read as a stream (GetObject's body, line by line), so a multi-gigabyte CSV never sits in
memory. Parsing follows "ItemReader (Map)" and "How Step Functions parses input CSV files" in the AWS
Step Functions developer guide; every failure is a StatesError("States.ItemReaderFailed").
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, cast
from urllib.parse import urlparse

from workflow.engine.asl.vocabulary import CSV_DELIMITERS
from workflow.engine.backend import Backend
from workflow.engine.errors import ITEM_READER_FAILED, StatesError
from workflow.engine.quotas import ITEM_BYTES, MAX_ITEMS
from workflow.engine.time_format import epoch_whole_seconds

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS_V2 = "arn:aws:states:::s3:listObjectsV2"

_JSON_CHUNK = 64 * 1024


def _failed(cause: str) -> StatesError:
    return StatesError(ITEM_READER_FAILED, cause)


# --------------------------------------------------------------------------------------------- S3 streams


class _BodyReader(io.RawIOBase):
    """A botocore StreamingBody as a raw binary stream, so io/gzip can wrap it without reading it all."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close:
            close()
        super().close()


def _s3_error(operation: str, where: str, exc: Exception) -> StatesError:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        err = response["Error"]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        return _failed(
            f"S3 {operation} failed for {where}: {err.get('Message', '')} "
            f"(Service: S3, Status Code: {status}, Error Code: {err.get('Code', '')})"
        )
    return _failed(f"S3 {operation} failed for {where}: {exc}")


def _open_object(
    backend: Backend, bucket: str, key: str, extra: Mapping[str, Any] | None = None
) -> io.BufferedIOBase:
    """GetObject as a buffered binary stream; `.gz` objects are decompressed on the fly (AWS reads GZIP)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    for name in ("VersionId", "ExpectedBucketOwner"):
        if extra and extra.get(name):
            kwargs[name] = extra[name]
    try:
        body = backend.client("s3").get_object(**kwargs)["Body"]
    except Exception as exc:
        raise _s3_error("GetObject", f"s3://{bucket}/{key}", exc) from exc
    stream: io.BufferedIOBase = io.BufferedReader(_BodyReader(body), buffer_size=_JSON_CHUNK)
    if key.endswith(".gz") or key.endswith(".gzip"):
        stream = gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


class _Utf8Checked(io.RawIOBase):
    """Passes bytes through, checking they are UTF-8 and counting lines, so a bad byte is named by its
    line (TextIOWrapper only knows its offset inside an 8 KiB chunk)."""

    def __init__(self, stream: io.BufferedIOBase, source: str) -> None:
        self._stream = stream
        self._source = source
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._lines = 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        try:
            self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            pending = len(exc.object) - len(data)  # bytes of a character begun in the previous read
            before = data[: max(0, exc.start - pending)]
            bad = exc.object[exc.start : exc.end].hex(" ")
            line = self._lines + before.count(b"\n")
            raise _failed(
                f"{self._source} is not valid UTF-8 text: line {line} "
                f"holds the byte(s) 0x{bad} ({exc.reason})"
            ) from exc
        self._lines += data.count(b"\n")
        buffer[: len(data)] = data
        return len(data)


def _text_lines(stream: io.BufferedIOBase, source: str = "the object") -> Iterator[str]:
    """Lines with their line endings (newline=''), a UTF-8 byte-order mark dropped."""
    checked = io.BufferedReader(_Utf8Checked(stream, source), buffer_size=_JSON_CHUNK)
    text = io.TextIOWrapper(checked, encoding="utf-8-sig", newline="")
    try:
        yield from text
    except UnicodeDecodeError as exc:
        raise _failed(f"The object is not valid UTF-8 text: {exc}") from exc
    finally:
        text.close()


# --------------------------------------------------------------------------------------------- CSV


def _split_records(
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
            raise _failed(
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
        raise _failed(f"Unterminated quoted field in the record starting on line {start_line} of {source}")
    if pending:
        record = [*fields, "".join(current)]
        if record != [""]:
            yield start_line, record


def _csv_items(lines: Iterable[str], config: Mapping[str, Any], source: str) -> Iterator[dict[str, str]]:
    """CSV rows as objects keyed by the header; fewer fields get empty strings, extra fields are skipped."""
    delimiter_name = str(config.get("CSVDelimiter", "COMMA"))
    if delimiter_name not in CSV_DELIMITERS:
        raise _failed(
            f"Unsupported CSVDelimiter {delimiter_name!r}; expected one of {sorted(CSV_DELIMITERS)}"
        )
    records = _split_records(lines, CSV_DELIMITERS[delimiter_name], source)
    location = str(config.get("CSVHeaderLocation", "FIRST_ROW"))
    if location == "GIVEN":
        headers = config.get("CSVHeaders")
        if not isinstance(headers, list) or not headers or not all(isinstance(h, str) for h in headers):
            raise _failed("CSVHeaders must be a non-empty array of strings when CSVHeaderLocation is GIVEN")
    elif location == "FIRST_ROW":
        first = next(records, None)
        if first is None:
            return
        headers = first[1]
    else:
        raise _failed(f"Unsupported CSVHeaderLocation {location!r}; expected FIRST_ROW or GIVEN")
    if len(set(headers)) != len(headers):
        raise _failed(f"CSV headers cannot contain duplicates ({source}).")
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
        chunk = reader.read(max(_JSON_CHUNK, len(buf) - pos))
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
                raise _failed(f"The JSON object {source} is empty")
            raise _failed(
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
                raise _failed(f"Unexpected end of the JSON array in {source}")
            if not expect_value:
                if c != ",":
                    raise _failed(f"Malformed JSON array in {source}: expected ',' or ']' but found {c!r}")
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
                        raise _failed(f"Malformed JSON in {source}: {exc.msg}") from exc
                if len(buf) - pos > ITEM_BYTES:
                    raise _failed(f"An item of the JSON array in {source} is larger than the 8 MB item limit")
                if not fill():
                    continue
            if end - pos > ITEM_BYTES:
                raise _failed(f"An item of the JSON array in {source} is larger than the 8 MB item limit")
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
            raise _failed(f"ItemsPointer {pointer!r} does not select a node in {source}")
    return node


def _json_items(stream: io.BufferedIOBase, config: Mapping[str, Any], source: str) -> Iterator[Any]:
    pointer = config.get("ItemsPointer")
    if pointer is None:
        return _json_array_items(stream, source)
    # With ItemsPointer the array may be anywhere in the document: parse it whole (documented limitation).
    try:
        document = json.load(io.TextIOWrapper(cast(io.BufferedReader, stream), encoding="utf-8-sig"))
    except ValueError as exc:
        raise _failed(f"Malformed JSON in {source}: {exc}") from exc
    node = _json_pointer(document, str(pointer), source)
    if not isinstance(node, list):
        raise _failed(
            f"ItemsPointer {pointer!r} in {source} must select an array "
            "(Attempting to map over non-iterable node.)"
        )
    return iter(node)


def _jsonl_items(lines: Iterable[str], source: str) -> Iterator[Any]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > ITEM_BYTES:
            raise _failed(f"Line {number} of {source} is larger than the 8 MB item limit")
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise _failed(f"Malformed JSON on line {number} of {source}: {exc}") from exc


# --------------------------------------------------------------------------------------------- sources


def _object_items(
    backend: Backend, bucket: str, key: str, config: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> Iterator[Any]:
    """Items of one S3 object per InputType (CSV, JSON, JSONL)."""
    input_type = str(config.get("InputType", ""))
    source = f"s3://{bucket}/{key}"
    if input_type not in ("CSV", "JSON", "JSONL"):
        raise _failed(
            f"Unsupported InputType {input_type!r} for {source}; expected CSV, JSON, JSONL or MANIFEST"
        )
    stream = _open_object(backend, bucket, key, extra)
    if input_type == "CSV":
        return _csv_items(_text_lines(stream, source), config, source)
    if input_type == "JSONL":
        return _jsonl_items(_text_lines(stream, source), source)
    return _json_items(stream, config, source)


def _inventory_items(backend: Backend, bucket: str, key: str, config: Mapping[str, Any]) -> Iterator[Any]:
    """An S3 Inventory manifest.json: its CSV(.gz) data files, with the columns named by fileSchema."""
    try:
        manifest = json.load(_open_object(backend, bucket, key))
    except ValueError as exc:
        raise _failed(f"The S3 inventory manifest s3://{bucket}/{key} is not valid JSON: {exc}") from exc
    if str(manifest.get("fileFormat", "CSV")).upper() != "CSV":
        raise _failed(f"The S3 inventory report format must be CSV, not {manifest.get('fileFormat')!r}")
    headers = [h.strip() for h in str(manifest.get("fileSchema", "")).split(",") if h.strip()]
    if not headers:
        raise _failed(f"The S3 inventory manifest s3://{bucket}/{key} has no fileSchema")
    destination = str(manifest.get("destinationBucket", bucket)).removeprefix("arn:aws:s3:::")
    file_config = {
        "CSVHeaderLocation": "GIVEN",
        "CSVHeaders": headers,
        "CSVDelimiter": config.get("CSVDelimiter", "COMMA"),
    }

    def items() -> Iterator[Any]:
        for entry in manifest.get("files", []):
            data_key = str(entry["key"])
            yield from _csv_items(
                _text_lines(_open_object(backend, destination, data_key)),
                file_config,
                f"s3://{destination}/{data_key}",
            )

    return items()


def _athena_items(backend: Backend, bucket: str, key: str, config: Mapping[str, Any]) -> Iterator[Any]:
    """An Athena UNLOAD manifest: one s3:// URI per line, each read with the configured InputType."""
    uris = [line.strip() for line in _text_lines(_open_object(backend, bucket, key)) if line.strip()]

    def items() -> Iterator[Any]:
        for uri in uris:
            parsed = urlparse(uri)
            if parsed.scheme != "s3":
                raise _failed(f"The Athena manifest s3://{bucket}/{key} lists a non-S3 location {uri!r}")
            yield from _object_items(backend, parsed.netloc, parsed.path.lstrip("/"), config)

    return items()


def _list_objects(backend: Backend, params: Mapping[str, Any], config: Mapping[str, Any]) -> Iterator[Any]:
    """s3:listObjectsV2: one item per object, {Etag, Key, LastModified (epoch s), Size, StorageClass}."""
    kwargs = {
        k: v
        for k, v in params.items()
        if k
        in ("Bucket", "Prefix", "Delimiter", "StartAfter", "ExpectedBucketOwner", "RequestPayer", "MaxKeys")
    }
    bucket = str(params.get("Bucket", ""))
    client = backend.client("s3")
    flatten = config.get("Transformation") == "LOAD_AND_FLATTEN"
    try:
        first_page = client.list_objects_v2(**kwargs)
    except Exception as exc:
        raise _s3_error("ListObjectsV2", f"s3://{bucket}/{params.get('Prefix', '')}", exc) from exc

    def pages() -> Iterator[Mapping[str, Any]]:
        page = first_page
        while True:
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            try:
                page = client.list_objects_v2(**kwargs, ContinuationToken=token)
            except Exception as exc:
                raise _s3_error("ListObjectsV2", f"s3://{bucket}", exc) from exc

    def items() -> Iterator[Any]:
        for page in pages():
            for obj in page.get("Contents", []):
                if flatten:
                    if not obj["Key"].endswith("/"):
                        yield from _object_items(backend, bucket, obj["Key"], config)
                    continue
                yield {
                    "Etag": obj.get("ETag"),
                    "Key": obj["Key"],
                    "LastModified": epoch_whole_seconds(obj.get("LastModified")),
                    "Size": obj.get("Size"),
                    "StorageClass": obj.get("StorageClass", "STANDARD"),
                }

    return items()


def _limited(items: Iterator[Any], max_items: int | None) -> Iterator[Any]:
    if max_items is None:
        yield from items
        return
    for count, item in enumerate(items):
        if count >= max_items:
            return
        yield item


def _guarded(items: Iterator[Any], describe: Callable[[Exception], str]) -> Iterator[Any]:
    """Any unexpected failure while streaming becomes States.ItemReaderFailed."""
    try:
        yield from items
    except StatesError:
        raise
    except Exception as exc:
        raise _failed(describe(exc)) from exc


def _max_items(config: Mapping[str, Any]) -> int | None:
    value = config.get("MaxItems")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_ITEMS:
        raise _failed(f"ReaderConfig.MaxItems must be an integer from 0 to {MAX_ITEMS}, got {value!r}")
    return value or None  # 0 means no limit, as when the field is absent


def read_items(item_reader: Mapping[str, Any], backend: Backend) -> Iterator[Any]:
    """Items of an ItemReader whose Parameters/Arguments are already evaluated.

    The first request (GetObject/ListObjectsV2) is made before returning, so a missing object fails at
    once; later failures (a malformed row deep in the file) are raised while iterating. Both are
    StatesError("States.ItemReaderFailed").
    """
    resource = str(item_reader.get("Resource", ""))
    params = item_reader.get("Parameters", item_reader.get("Arguments")) or {}
    config = item_reader.get("ReaderConfig") or {}
    if not isinstance(params, Mapping) or not isinstance(config, Mapping):
        raise _failed("ItemReader Parameters/Arguments and ReaderConfig must be JSON objects")
    max_items = _max_items(config)
    # Resources may carry a region/account (arn:aws:states:us-east-1:...:s3:getObject): compare the action.
    action = resource.rsplit(":", 1)[-1]
    if not (resource.startswith("arn:") and ":states:" in resource and f":s3:{action}" in resource):
        raise _failed(f"Unsupported ItemReader resource {resource!r}")
    if action == "listObjectsV2":
        items = _list_objects(backend, params, config)
        where = f"s3://{params.get('Bucket')}/{params.get('Prefix', '')}"
    elif action == "getObject":
        bucket, key = params.get("Bucket"), params.get("Key")
        if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
            raise _failed("ItemReader Parameters must name the S3 object with string Bucket and Key")
        where = f"s3://{bucket}/{key}"
        manifest_type = config.get("ManifestType")
        inventory = manifest_type is None and config.get("InputType") == "MANIFEST"
        if manifest_type == "S3_INVENTORY" or inventory:
            items = _inventory_items(backend, bucket, key, config)
        elif manifest_type == "ATHENA_DATA":
            items = _athena_items(backend, bucket, key, config)
        elif manifest_type is not None:
            raise _failed(f"Unsupported ManifestType {manifest_type!r}; expected S3_INVENTORY or ATHENA_DATA")
        else:
            items = _object_items(backend, bucket, key, config, params)
    else:
        raise _failed(f"Unsupported ItemReader resource {resource!r}")
    return _limited(_guarded(items, lambda exc: f"Reading {where} failed: {exc}"), max_items)
