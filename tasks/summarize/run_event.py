"""The run an event describes: the Summarize function's three entry points (the definition's last state, an
EventBridge status change, an on-demand call) read into one `Run`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

STATUS_CHANGE = "Step Functions Execution Status Change"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso(value: Any) -> str | None:
    """ISO 8601 UTC from an ISO string or epoch milliseconds (the status-change event's dates)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return (
            datetime.fromtimestamp(value / 1000, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
    return str(value)


@dataclass
class Run:
    """One execution of the pipeline for one object version, whichever entry point told us about it."""

    bucket: str
    key: str
    execution: str
    status: str
    mode: str  # "end" (the definition's last state), "status-change" (EventBridge), "on-demand"
    etag: str | None = None
    detail: dict[str, Any] | None = None
    time: str | None = None
    execution_arn: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    redrive_count: int = 0
    replay: bool = False
    error: dict[str, Any] | None = None
    results: dict[str, Any] | None = None

    @property
    def file(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def run_of(event: dict[str, Any]) -> Run:
    """The run an event describes (the three entry points above)."""
    if event.get("source") == "aws.states" and event.get("detail-type") == STATUS_CHANGE:
        detail = event["detail"]
        started = json.loads(detail.get("input") or "{}")
        s3_detail = started.get("detail") or {}
        error = None
        if detail.get("error") or detail.get("cause") or detail.get("status") != "SUCCEEDED":
            error = {
                "Error": detail.get("error") or f"States.{detail.get('status')}",
                "Cause": detail.get("cause"),
            }
        return Run(
            bucket=s3_detail["bucket"]["name"],
            key=s3_detail["object"]["key"],
            execution=detail["name"],
            status=detail["status"],
            mode="status-change",
            etag=s3_detail["object"].get("etag"),
            detail=s3_detail,
            time=started.get("time"),
            execution_arn=detail.get("executionArn"),
            started_at=_iso(detail.get("startDate")),
            stopped_at=None
            if detail.get("status") == "RUNNING"
            else _iso(detail.get("stopDate")) or now_iso(),
            redrive_count=int(detail.get("redriveCount") or 0),
            replay=started.get("replay") is True,
            error=error,
        )
    error = event.get("error")
    return Run(
        bucket=event["bucket"],
        key=event["key"],
        execution=event["execution"],
        status=event.get("status") or ("FAILED" if error else "SUCCEEDED"),
        mode="end" if event.get("etag") and not error else "on-demand",
        etag=event.get("etag"),
        detail=event.get("detail"),
        time=event.get("time"),
        execution_arn=event.get("execution_arn"),
        started_at=event.get("started_at"),
        stopped_at=now_iso(),
        redrive_count=int(event.get("redrive_count") or 0),
        error=error,
        results=event.get("results"),
    )
