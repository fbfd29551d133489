"""The Files page: every object dropped under the incoming prefix, with its executions and counts; uploads.

From the ledger table when it exists; otherwise S3 (ListObjectsV2 under the prefix, newest first) joined
with the latest executions (their input names the file; a SUCCEEDED one's output is the file summary). The
fallback looks at the newest MAX_EXECUTIONS executions only, and shows no counts it cannot know.
"""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any

from workflow.console.executions import Executions
from workflow.console.reader import Reader

PAGE_SIZE = 50
MAX_OBJECTS = 5_000
MAX_EXECUTIONS = 500


class BadUpload(ValueError):
    """The upload is not a CSV file name the pipeline would pick up."""


class Files:
    def __init__(self, reader: Reader, executions: Executions) -> None:
        self.reader = reader
        self.executions = executions
        self.src = reader.src

    def page(self, page: int = 0, q: str | None = None) -> dict[str, Any]:
        if self.src.ledger.available():
            records = self.src.ledger.files()
            source = "ledger"
        else:
            records = self._fallback()
            source = "s3+stepfunctions"
        needle = (q or "").strip().lower()
        if needle:
            records = [r for r in records if needle in (r.get("key") or "").lower()]
        start = page * PAGE_SIZE
        return {
            "source": source,
            "bucket": self.src.bucket,
            "incoming_prefix": self.src.incoming_prefix,
            "files": records[start : start + PAGE_SIZE],
            "total": len(records),
            "page": page,
            "pages": max(1, -(-len(records) // PAGE_SIZE)),
        }

    def _objects(self) -> list[dict[str, Any]]:
        objects: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"Bucket": self.src.bucket, "Prefix": self.src.incoming_prefix}
        while len(objects) < MAX_OBJECTS:
            response = self.src.s3.list_objects_v2(**kwargs)
            objects.extend(dict(item) for item in response.get("Contents", []))
            if not response.get("IsTruncated"):
                break
            kwargs["ContinuationToken"] = response["NextContinuationToken"]
        objects.sort(key=lambda o: o["LastModified"], reverse=True)
        return objects

    def _executions_by_key(self, limit: int = MAX_EXECUTIONS) -> dict[str, list[dict[str, Any]]]:
        by_key: dict[str, list[dict[str, Any]]] = {}
        if not self.src.state_machine_arn:
            return by_key
        token = None
        seen = 0
        while seen < limit:
            kwargs: dict[str, Any] = {
                "stateMachineArn": self.src.state_machine_arn,
                "maxResults": min(100, limit),
            }
            if token:
                kwargs["nextToken"] = token
            response = self.reader.sfn.list_executions(**kwargs)
            items = response.get("executions", [])
            seen += len(items)
            for row in self.executions.rows(items):
                if row["bucket"] == self.src.bucket and row["key"]:
                    by_key.setdefault(row["key"], []).append(row)
            token = response.get("nextToken")
            if not token:
                break
        return by_key

    def _fallback(self) -> list[dict[str, Any]]:
        by_key = self._executions_by_key()
        records = []
        for obj in self._objects():
            runs = sorted(by_key.get(obj["Key"], []), key=lambda r: r["startDate"])  # oldest first
            uploaded: datetime = obj["LastModified"]
            executions = []
            for index, run in enumerate(runs):
                executions.append(
                    {
                        "execution_arn": run["executionArn"],
                        "name": run["name"],
                        "kind": "first" if index == 0 else "replay",
                        "status": run["status"],
                        "started_at": run["startDate"],
                        "stopped_at": run["stopDate"],
                        "redrives": run["redriveCount"],
                    }
                )
            latest = runs[-1] if runs else None
            records.append(
                {
                    "source": "s3+stepfunctions",
                    "file": f"s3://{self.src.bucket}/{obj['Key']}",
                    "bucket": self.src.bucket,
                    "key": obj["Key"],
                    "etag": str(obj.get("ETag", "")).strip('"'),
                    "size": obj.get("Size"),
                    "uploaded_at": uploaded,
                    "status": latest["status"] if latest else None,
                    "counts": latest["counts"] if latest else {},
                    "executions": executions,
                    "execution_arn": latest["executionArn"] if latest else None,
                    "redrives": sum(r["redriveCount"] for r in runs),
                    "error": {"Error": latest["error"]} if latest and latest.get("error") else None,
                }
            )
        return records

    def latest_execution(self, key: str) -> str | None:
        """The newest execution for a key (ledger first, else the newest executions' inputs)."""
        if self.src.ledger.available():
            for record in self.src.ledger.file(self.src.bucket, key):
                if record.get("execution_arn"):
                    return str(record["execution_arn"])
        runs = self._executions_by_key(limit=100).get(key, [])  # a new upload's execution is among the newest
        return max(runs, key=lambda r: r["startDate"])["executionArn"] if runs else None

    def upload(self, name: str, body: IO[bytes]) -> dict[str, Any]:
        """Put a CSV as `etl drop` does: s3://<bucket>/<incoming prefix><name>."""
        base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not base or base.startswith(".") or not base.lower().endswith(".csv"):
            raise BadUpload(f"{name!r}: choose a .csv file (the pipeline only picks up *.csv)")
        key = self.src.incoming_prefix + base
        self.src.s3.upload_fileobj(body, self.src.bucket, key)
        return {"bucket": self.src.bucket, "key": key}
