"""Injectable time: executions read `now()` and wait through the clock, so tests run hours in milliseconds.

`RealClock(speed=...)` keeps wall-clock behaviour but lets virtual time run `speed` times faster (a Wait of
60 s with speed 1000 takes 60 ms and the history shows 60 s). `ManualClock` never blocks on its own:
`sleep` just advances virtual time, which makes retry/backoff tests deterministic.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from workflow.engine.time_format import iso_millis

__all__ = ["Clock", "ManualClock", "RealClock", "iso_millis"]  # iso_millis: formatting lives in time_format


class Clock(Protocol):
    def now(self) -> datetime:
        """The current (virtual) time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for `seconds` of virtual time."""
        ...

    def wait(self, event: threading.Event, seconds: float | None) -> bool:
        """Wait until `event` is set or `seconds` of virtual time have passed; True if the event is set."""
        ...


class RealClock:
    """Wall-clock time, optionally sped up: virtual seconds pass `speed` times faster than real ones."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start = start or datetime.now(UTC)
        self._mono = time.monotonic()

    def now(self) -> datetime:
        if self.speed == 1.0:
            return datetime.now(UTC)
        return self._start + timedelta(seconds=(time.monotonic() - self._mono) * self.speed)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.speed)

    def wait(self, event: threading.Event, seconds: float | None) -> bool:
        if seconds is None:
            return event.wait()
        return event.wait(max(seconds, 0.0) / self.speed)


class ManualClock:
    """Virtual time that only moves when something sleeps or waits (or `advance` is called)."""

    def __init__(self, start: datetime | None = None, real_wait: float = 0.001) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()
        self.real_wait = real_wait  # how long `wait` lets other threads act before skipping ahead
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if seconds > 0:
            self.advance(seconds)

    def wait(self, event: threading.Event, seconds: float | None) -> bool:
        if event.wait(self.real_wait if seconds is not None else None):
            return True
        if seconds is not None:
            self.advance(seconds)
        return event.is_set()
