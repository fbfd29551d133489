"""Per-thread environment variables, so each in-process Lambda invocation sees only its function's env.

Lambda gives every function its own process environment. Locally many functions run at once as threads of
one interpreter, so `os.environ` is made thread-aware: a thread that entered `function_environment(env)` sees
(and writes to) only `env`; every other thread sees the real process environment, untouched. The class of
the existing `os.environ` object is swapped (not the object replaced) because libraries such as botocore
keep a reference to it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

_local = threading.local()
_install_lock = threading.Lock()


def _current() -> dict[str, str] | None:
    return getattr(_local, "env", None)


class _ThreadAwareEnviron(os._Environ[str]):
    """os._Environ whose reads and writes go to the calling thread's function environment, if it has one."""

    def __getitem__(self, key: str) -> str:
        env = _current()
        if env is None:
            return super().__getitem__(key)
        return env[key]

    def __setitem__(self, key: str, value: str) -> None:
        env = _current()
        if env is None:
            super().__setitem__(key, value)
            return
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("str expected, not " + type(value).__name__)
        env[key] = value

    def __delitem__(self, key: str) -> None:
        env = _current()
        if env is None:
            super().__delitem__(key)
            return
        del env[key]

    def __iter__(self) -> Iterator[str]:
        env = _current()
        if env is None:
            yield from super().__iter__()
            return
        yield from list(env)

    def __len__(self) -> int:
        env = _current()
        return super().__len__() if env is None else len(env)

    def __contains__(self, key: object) -> bool:
        env = _current()
        if env is None:
            return super().__contains__(key)
        return key in env

    def __repr__(self) -> str:
        env = _current()
        return super().__repr__() if env is None else f"environ({env!r})"


def install() -> None:
    """Make `os.environ` thread-aware (idempotent; invisible to threads without a function environment)."""
    with _install_lock:
        if not isinstance(os.environ, _ThreadAwareEnviron):
            os.environ.__class__ = _ThreadAwareEnviron


@contextmanager
def function_environment(env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """Within this block the current thread sees exactly `env` (a private copy) as its environment."""
    install()
    previous = _current()
    _local.env = dict(env)
    try:
        yield _local.env
    finally:
        _local.env = previous


@contextmanager
def host_environment() -> Iterator[None]:
    """Within this block the current thread sees the process environment again (the twin's own code, such
    as moto answering a handler's request in process, runs with the settings it has on its own threads)."""
    previous = _current()
    _local.env = None
    try:
        yield
    finally:
        _local.env = previous
