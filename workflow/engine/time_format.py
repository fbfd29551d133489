"""Timestamps as AWS writes them, in one place: the context object's ISO form and the APIs' epoch numbers."""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime


def iso_millis(value: datetime) -> str:
    """ISO 8601 with milliseconds and `Z`, the format of `$$.Execution.StartTime` and friends."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def epoch_millis(value: datetime) -> int:
    """Milliseconds since the epoch (optimized integrations' `StartDate`, EventBridge's event times)."""
    return int(value.timestamp() * 1000)


def epoch_whole_seconds(value: object) -> object:
    """A datetime as whole seconds since the epoch (ItemReader's listObjectsV2 `LastModified`); other values
    as they are."""
    return int(value.timestamp()) if isinstance(value, datetime) else value


def epoch_seconds(value: datetime | date) -> float:
    """Seconds since the epoch with milliseconds, as the AWS JSON protocol sends timestamps (naive = UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return round(value.timestamp(), 3)
    return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()


def http_date() -> str:
    """The current time as an HTTP `Date` header (RFC 7231, GMT)."""
    return email.utils.formatdate(usegmt=True)
