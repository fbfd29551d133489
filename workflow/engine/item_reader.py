"""The Distributed Map's ItemReader: items streamed from S3 (CSV, JSON, JSONL, manifests, object listings).

Objects are read as a stream (GetObject's body, line by line), so a multi-gigabyte CSV never sits in
memory. Parsing follows "ItemReader (Map)" and "How Step Functions parses input CSV files" in the AWS
Step Functions developer guide; every failure is a StatesError("States.ItemReaderFailed"). This module
opens the sources (objects, manifests, listings); `item_formats` parses an object's CSV, JSON or JSONL.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from workflow.engine.backend import Backend
from workflow.engine.errors import StatesError
from workflow.engine.item_formats import CHUNK_BYTES, csv_items, json_items, jsonl_items, reader_failed
from workflow.engine.quotas import MAX_ITEMS
from workflow.engine.time_format import epoch_whole_seconds

GET_OBJECT = "arn:aws:states:::s3:getObject"
LIST_OBJECTS_V2 = "arn:aws:states:::s3:listObjectsV2"

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
        return reader_failed(
            f"S3 {operation} failed for {where}: {err.get('Message', '')} "
            f"(Service: S3, Status Code: {status}, Error Code: {err.get('Code', '')})"
        )
    return reader_failed(f"S3 {operation} failed for {where}: {exc}")


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
    stream: io.BufferedIOBase = io.BufferedReader(_BodyReader(body), buffer_size=CHUNK_BYTES)
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
            raise reader_failed(
                f"{self._source} is not valid UTF-8 text: line {line} "
                f"holds the byte(s) 0x{bad} ({exc.reason})"
            ) from exc
        self._lines += data.count(b"\n")
        buffer[: len(data)] = data
        return len(data)


def _text_lines(stream: io.BufferedIOBase, source: str = "the object") -> Iterator[str]:
    """Lines with their line endings (newline=''), a UTF-8 byte-order mark dropped."""
    checked = io.BufferedReader(_Utf8Checked(stream, source), buffer_size=CHUNK_BYTES)
    text = io.TextIOWrapper(checked, encoding="utf-8-sig", newline="")
    try:
        yield from text
    except UnicodeDecodeError as exc:
        raise reader_failed(f"The object is not valid UTF-8 text: {exc}") from exc
    finally:
        text.close()


# --------------------------------------------------------------------------------------------- sources


def _object_items(
    backend: Backend, bucket: str, key: str, config: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> Iterator[Any]:
    """Items of one S3 object per InputType (CSV, JSON, JSONL)."""
    input_type = str(config.get("InputType", ""))
    source = f"s3://{bucket}/{key}"
    if input_type not in ("CSV", "JSON", "JSONL"):
        raise reader_failed(
            f"Unsupported InputType {input_type!r} for {source}; expected CSV, JSON, JSONL or MANIFEST"
        )
    stream = _open_object(backend, bucket, key, extra)
    if input_type == "CSV":
        return csv_items(_text_lines(stream, source), config, source)
    if input_type == "JSONL":
        return jsonl_items(_text_lines(stream, source), source)
    return json_items(stream, config, source)


def _inventory_items(backend: Backend, bucket: str, key: str, config: Mapping[str, Any]) -> Iterator[Any]:
    """An S3 Inventory manifest.json: its CSV(.gz) data files, with the columns named by fileSchema."""
    try:
        manifest = json.load(_open_object(backend, bucket, key))
    except ValueError as exc:
        raise reader_failed(
            f"The S3 inventory manifest s3://{bucket}/{key} is not valid JSON: {exc}"
        ) from exc
    if str(manifest.get("fileFormat", "CSV")).upper() != "CSV":
        raise reader_failed(f"The S3 inventory report format must be CSV, not {manifest.get('fileFormat')!r}")
    headers = [h.strip() for h in str(manifest.get("fileSchema", "")).split(",") if h.strip()]
    if not headers:
        raise reader_failed(f"The S3 inventory manifest s3://{bucket}/{key} has no fileSchema")
    destination = str(manifest.get("destinationBucket", bucket)).removeprefix("arn:aws:s3:::")
    file_config = {
        "CSVHeaderLocation": "GIVEN",
        "CSVHeaders": headers,
        "CSVDelimiter": config.get("CSVDelimiter", "COMMA"),
    }

    def items() -> Iterator[Any]:
        for entry in manifest.get("files", []):
            data_key = str(entry["key"])
            yield from csv_items(
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
                raise reader_failed(
                    f"The Athena manifest s3://{bucket}/{key} lists a non-S3 location {uri!r}"
                )
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
        raise reader_failed(describe(exc)) from exc


def _max_items(config: Mapping[str, Any]) -> int | None:
    value = config.get("MaxItems")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_ITEMS:
        raise reader_failed(f"ReaderConfig.MaxItems must be an integer from 0 to {MAX_ITEMS}, got {value!r}")
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
        raise reader_failed("ItemReader Parameters/Arguments and ReaderConfig must be JSON objects")
    max_items = _max_items(config)
    # Resources may carry a region/account (arn:aws:states:us-east-1:...:s3:getObject): compare the action.
    action = resource.rsplit(":", 1)[-1]
    if not (resource.startswith("arn:") and ":states:" in resource and f":s3:{action}" in resource):
        raise reader_failed(f"Unsupported ItemReader resource {resource!r}")
    if action == "listObjectsV2":
        items = _list_objects(backend, params, config)
        where = f"s3://{params.get('Bucket')}/{params.get('Prefix', '')}"
    elif action == "getObject":
        bucket, key = params.get("Bucket"), params.get("Key")
        if not isinstance(bucket, str) or not isinstance(key, str) or not bucket or not key:
            raise reader_failed("ItemReader Parameters must name the S3 object with string Bucket and Key")
        where = f"s3://{bucket}/{key}"
        manifest_type = config.get("ManifestType")
        inventory = manifest_type is None and config.get("InputType") == "MANIFEST"
        if manifest_type == "S3_INVENTORY" or inventory:
            items = _inventory_items(backend, bucket, key, config)
        elif manifest_type == "ATHENA_DATA":
            items = _athena_items(backend, bucket, key, config)
        elif manifest_type is not None:
            raise reader_failed(
                f"Unsupported ManifestType {manifest_type!r}; expected S3_INVENTORY or ATHENA_DATA"
            )
        else:
            items = _object_items(backend, bucket, key, config, params)
    else:
        raise reader_failed(f"Unsupported ItemReader resource {resource!r}")
    return _limited(_guarded(items, lambda exc: f"Reading {where} failed: {exc}"), max_items)
