"""Reading a Distributed Map's ResultWriter output from S3, streamed so big runs keep memory flat.

AWS layout: <Prefix>/<map run id>/manifest.json =
{"DestinationBucket", "MapRunArn", "ResultFiles": {"FAILED": [{"Key", "Size"}], "PENDING": [...],
"SUCCEEDED": [...]}}; each result file is a JSON array (or JSON Lines) of child execution records
{"ExecutionArn", "Name", "Input", "Output", "Status", "Error", "Cause", "RedriveCount", ...} with Input and
Output as JSON strings.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

RESULT_STATUSES = ("SUCCEEDED", "FAILED", "PENDING")
MANIFEST_NAME = "manifest.json"
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ChildResult:
    """One child execution (one batch of rows) as the newest manifest that lists it reports it."""

    status: str  # the manifest file group: SUCCEEDED, FAILED or PENDING
    record: dict[str, Any]

    @property
    def identity(self) -> str:
        return str(self.record.get("ExecutionArn") or self.record.get("Name") or id(self.record))

    @property
    def redrive_count(self) -> int:
        count = self.record.get("RedriveCount")
        return count if isinstance(count, int) else 0


def iter_json_values(chunks: Iterable[bytes]) -> Iterator[Any]:
    """Values of a JSON array or of JSON Lines, decoded incrementally from byte chunks.

    Holds at most one value plus one chunk in memory, where json.loads would hold the whole file.
    """
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    buffer = ""
    array: bool | None = None  # None until the first non-blank character says which layout
    finished = False

    def parse(final: bool) -> Iterator[Any]:
        nonlocal buffer, array, finished
        pos = 0
        while not finished:
            while pos < len(buffer) and (buffer[pos].isspace() or (array and buffer[pos] == ",")):
                pos += 1
            if pos >= len(buffer):
                break
            if array is None:
                array = buffer[pos] == "["
                if array:
                    pos += 1
                continue
            if array and buffer[pos] == "]":
                finished = True
                break
            try:
                value, pos = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError:
                if final:
                    raise
                break  # incomplete value: wait for the next chunk
            yield value
        buffer = buffer[pos:]

    for chunk in chunks:
        buffer += utf8.decode(chunk)
        yield from parse(final=False)
    buffer += utf8.decode(b"", final=True)
    yield from parse(final=True)
    if array and not finished:
        raise ValueError("JSON array is not closed")


def _object_chunks(s3: Any, bucket: str, key: str) -> Iterator[bytes]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    yield from body.iter_chunks(chunk_size=CHUNK_BYTES)


def read_manifest(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return manifest


def find_manifests(s3: Any, bucket: str, prefix: str) -> list[str]:
    """Keys of every manifest.json under prefix, oldest first (redrives write newer ones)."""
    found: list[tuple[Any, str]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["Key"].rsplit("/", 1)[-1] == MANIFEST_NAME:
                found.append((obj["LastModified"], obj["Key"]))
    return [key for _, key in sorted(found)]


def iter_manifest_children(s3: Any, bucket: str, manifest: dict[str, Any]) -> Iterator[ChildResult]:
    """Every child record a manifest's result files hold, tagged with the file group it came from."""
    files = manifest.get("ResultFiles") or {}
    results_bucket = manifest.get("DestinationBucket") or bucket
    for status in RESULT_STATUSES:
        for entry in files.get(status) or []:
            for record in iter_json_values(_object_chunks(s3, results_bucket, entry["Key"])):
                if isinstance(record, dict):
                    yield ChildResult(status=status, record=record)


def latest_children(
    s3: Any,
    bucket: str,
    manifest_keys: list[str],
    compact: Callable[[ChildResult], Any] = lambda child: child,
) -> dict[str, tuple[int, Any]]:
    """Children of all the manifests, deduplicated by ExecutionArn: a redriven child's latest run wins.

    A later manifest wins over an earlier one unless its record has a lower RedriveCount. Each kept
    child is reduced by `compact` at once, so the big Input strings are not all held together.
    Returns {identity: (redrive count, compact(child))}.
    """
    children: dict[str, tuple[int, Any]] = {}
    for key in manifest_keys:
        for child in iter_manifest_children(s3, bucket, read_manifest(s3, bucket, key)):
            known = children.get(child.identity)
            if known is None or child.redrive_count >= known[0]:
                children[child.identity] = (child.redrive_count, compact(child))
    return children
