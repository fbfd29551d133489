"""Per-thread capture of what a Lambda handler prints and logs, so each invocation keeps its own log lines.

On Lambda everything a function writes to stdout/stderr (print, Powertools' Logger) and what the runtime's
root logging handler formats ends up in the function's log stream. Locally functions run concurrently in
threads, so the process's stdout/stderr are wrapped by proxies that send a thread's writes to that thread's
buffer while it is capturing, and pass everything else through unchanged.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_local = threading.local()
_lock = threading.Lock()


class _Capture:
    """The current invocation's log text and the request id the runtime's log format names."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.buffer = io.StringIO()
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        with self.lock:
            self.buffer.write(text)

    def lines(self) -> list[str]:
        with self.lock:
            return self.buffer.getvalue().splitlines()


def _current() -> _Capture | None:
    return getattr(_local, "capture", None)


class _ThreadStream(io.TextIOBase):
    """A stdout/stderr stand-in: a capturing thread's writes go to its buffer, others to the real stream."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self._target = target

    def write(self, text: str) -> int:
        capture = _current()
        if capture is not None:
            capture.write(text)
            return len(text)
        return self._target.write(text)

    def flush(self) -> None:
        if _current() is None:
            self._target.flush()

    def isatty(self) -> bool:
        return False if _current() is not None else self._target.isatty()

    def fileno(self) -> int:
        return self._target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._target, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


class _RuntimeLogHandler(logging.Handler):
    """Formats root-logger records as Lambda's Python runtime does (`[LEVEL]\\t<time>Z\\t<id>\\t<msg>`)."""

    def emit(self, record: logging.LogRecord) -> None:
        capture = _current()
        if capture is None:
            return
        try:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            millis = int(record.msecs)
            capture.write(
                f"[{record.levelname}]\t{stamp}.{millis:03d}Z\t{capture.request_id}\t{record.getMessage()}\n"
            )
        except Exception:  # pragma: no cover - logging must never break the handler
            self.handleError(record)


_root_handler = _RuntimeLogHandler()


def install() -> None:
    """Wrap sys.stdout/sys.stderr (again if e.g. pytest swapped them), add the root handler."""
    with _lock:
        if not isinstance(sys.stdout, _ThreadStream):
            sys.stdout = _ThreadStream(sys.stdout)
        if not isinstance(sys.stderr, _ThreadStream):
            sys.stderr = _ThreadStream(sys.stderr)
        root = logging.getLogger()
        if _root_handler not in root.handlers:
            root.addHandler(_root_handler)


@contextmanager
def capturing(request_id: str) -> Iterator[_Capture]:
    """Within this block the current thread's prints and log records are collected, not shown."""
    install()
    previous = _current()
    capture = _Capture(request_id)
    _local.capture = capture
    try:
        yield capture
    finally:
        _local.capture = previous
