"""The Distributed Map's ResultWriter: child execution results exported to S3 in AWS's layout.

Layout ("ResultWriter (Map)", AWS Step Functions developer guide):
`<Prefix>/<map run id>/manifest.json` plus `SUCCEEDED_n.json`, `FAILED_n.json` (failed, timed out and
aborted children) and `PENDING_n.json` (items never started because the Map Run failed or was aborted),
each a JSON array of child execution records, a new index started when a file would pass 5 GB. Only
non-empty status files are written; the manifest lists them all with their sizes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from workflow.engine.backend import Backend
from workflow.engine.errors import RESULT_WRITER_FAILED, StatesError
from workflow.engine.json_format import COMPACT, compact_json
from workflow.engine.quotas import RESULT_FILE_BYTES
from workflow.engine.statuses import UNSUCCESSFUL, ChildStatus, RedriveStatus

_SPOOL_BYTES = 8 * 1024 * 1024

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
PENDING = "PENDING"


@dataclass
class ChildResult:
    """One child workflow execution (or a never-started item, status PENDING) of a Map Run."""

    execution_arn: str
    name: str
    state_machine_arn: str
    status: ChildStatus
    input: str
    output: str | None
    error: str | None
    cause: str | None
    start_date: datetime
    stop_date: datetime | None
    redrive_count: int = 0
    redrive_status: RedriveStatus = "NOT_REDRIVABLE"
    redrive_status_reason: str | None = None


def _timestamp(value: datetime) -> str:
    """AWS's form in result files: ISO-8601 UTC with milliseconds, e.g. 2025-02-04T01:49:50.099Z."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _bucket_of(status: ChildStatus) -> str:
    if status == "SUCCEEDED":
        return SUCCEEDED
    if status in UNSUCCESSFUL:
        return FAILED
    return PENDING


def child_record(child: ChildResult) -> dict[str, Any]:
    """A child execution as a result file shows it (Transformation NONE: output unchanged, with metadata)."""
    record: dict[str, Any] = {"ExecutionArn": child.execution_arn}
    if child.cause is not None:
        record["Cause"] = child.cause
    if child.error is not None:
        record["Error"] = child.error
    record["Input"] = child.input
    record["InputDetails"] = {"Included": True}
    record["Name"] = child.name
    if child.output is not None:
        record["Output"] = child.output
        record["OutputDetails"] = {"Included": True}
    record["RedriveCount"] = child.redrive_count
    record["RedriveStatus"] = child.redrive_status
    reason = child.redrive_status_reason
    if reason is None and child.redrive_status == "NOT_REDRIVABLE" and child.status != PENDING:
        reason = f"Execution is {child.status} and cannot be redriven"
    if reason is not None:
        record["RedriveStatusReason"] = reason
    record["StartDate"] = _timestamp(child.start_date)
    record["StateMachineArn"] = child.state_machine_arn
    record["Status"] = child.status
    if child.stop_date is not None:
        record["StopDate"] = _timestamp(child.stop_date)
    return record


def transform_output(child: ChildResult, transformation: str = "NONE") -> list[Any]:
    """The values a child contributes under WriterConfig.Transformation.

    NONE: its record with metadata; COMPACT: its output; FLATTEN: its output's elements when the output is
    an array. "If a child workflow execution fails, Step Functions returns its execution result unchanged"
    (as with NONE).
    """
    if transformation == "NONE" or child.status != "SUCCEEDED":
        return [child_record(child)]
    output = json.loads(child.output) if child.output is not None else None
    if transformation == "FLATTEN" and isinstance(output, list):
        return list(output)
    if transformation in ("COMPACT", "FLATTEN"):
        return [output]
    raise StatesError(RESULT_WRITER_FAILED, f"Unsupported WriterConfig Transformation {transformation!r}")


def map_run_id(map_run_arn: str) -> str:
    """The last part of a Map Run ARN (…:mapRun:<state machine>/<label>:<id>), used in the result keys."""
    return map_run_arn.rsplit(":", 1)[-1]


class _PartWriter:
    """Writes one status's records as JSON array (or JSON Lines) files, a new index past the size limit."""

    def __init__(
        self, backend: Backend, bucket: str, base: str, status: str, *, jsonl: bool, max_file_bytes: int
    ) -> None:
        self.backend, self.bucket, self.base, self.status = backend, bucket, base, status
        self.jsonl, self.max_file_bytes = jsonl, max_file_bytes
        self.files: list[dict[str, Any]] = []
        self._file: IO[bytes] | None = None
        self._size = 0
        self._count = 0

    def add(self, value: Any) -> None:
        data = COMPACT.encode(value).encode("utf-8")
        if self._file is not None and self._size + 1 + len(data) + 1 > self.max_file_bytes:
            self.flush()  # the record would push this file past the limit: start the next index
        if self._file is None:
            self._file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - kept open
            self._size, self._count = 0, 0
            if not self.jsonl:
                self._file.write(b"[")
                self._size = 1
        separator = b"" if not self._count else (b"\n" if self.jsonl else b",")
        self._file.write(separator + data)
        self._size += len(separator) + len(data)
        self._count += 1

    def flush(self) -> None:
        if self._file is None:
            return
        self._file.write(b"\n" if self.jsonl else b"]")
        self._size += 1
        key = f"{self.base}{self.status}_{len(self.files)}.{'jsonl' if self.jsonl else 'json'}"
        self._file.seek(0)
        try:
            self.backend.client("s3").put_object(
                Bucket=self.bucket, Key=key, Body=self._file, ContentType="application/json"
            )
        except Exception as exc:
            raise _s3_failure(self.bucket, key, exc) from exc
        finally:
            self._file.close()
            self._file = None
        self.files.append({"Key": key, "Size": self._size})


def _s3_failure(bucket: str, key: str, exc: Exception) -> StatesError:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        err = response["Error"]
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
        detail = (
            f"{err.get('Message', '')} (Service: S3, Status Code: {status}, "
            f"Error Code: {err.get('Code', '')})"
        )
    else:
        detail = str(exc)
    return StatesError(
        RESULT_WRITER_FAILED, f"Writing the Map Run results to s3://{bucket}/{key} failed: {detail}"
    )


def write_results(
    backend: Backend,
    *,
    bucket: str,
    prefix: str,
    map_run_arn: str,
    children: Iterable[ChildResult],
    writer_config: Mapping[str, Any] | None = None,
    max_file_bytes: int = RESULT_FILE_BYTES,
) -> dict[str, str]:
    """Export a Map Run's children and return the ResultWriterDetails `{"Bucket", "Key"}` of the manifest.

    The Map's output then is `{"MapRunArn": ..., "ResultWriterDetails": <this>}`. Any S3 failure raises
    StatesError("States.ResultWriterFailed").
    """
    config = writer_config or {}
    transformation = str(config.get("Transformation", "NONE"))
    output_type = str(config.get("OutputType", "JSON"))
    if output_type not in ("JSON", "JSONL"):
        raise StatesError(RESULT_WRITER_FAILED, f"Unsupported WriterConfig OutputType {output_type!r}")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    base = f"{prefix}{map_run_id(map_run_arn)}/"
    writers = {
        status: _PartWriter(
            backend, bucket, base, status, jsonl=output_type == "JSONL", max_file_bytes=max_file_bytes
        )
        for status in (FAILED, PENDING, SUCCEEDED)
    }
    for child in children:
        writer = writers[_bucket_of(child.status)]
        for value in transform_output(child, transformation):
            writer.add(value)
    for writer in writers.values():
        writer.flush()
    manifest = {
        "DestinationBucket": bucket,
        "MapRunArn": map_run_arn,
        "ResultFiles": {status: writers[status].files for status in (FAILED, PENDING, SUCCEEDED)},
    }
    key = f"{base}manifest.json"
    try:
        backend.client("s3").put_object(
            Bucket=bucket,
            Key=key,
            ContentType="application/json",
            Body=compact_json(manifest, ensure_ascii=True).encode("utf-8"),
        )
    except Exception as exc:
        raise _s3_failure(bucket, key, exc) from exc
    return {"Bucket": bucket, "Key": key}
