"""Helpers of the engine's tests: moto's in-process AWS (`moto_aws`), polling without waiting, and the shared
fake backend (`tests/fake_backend.py`) re-exported. Fixtures live in `tests/engine/conftest.py`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from moto import mock_aws

# The one fake backend, shared by every test folder (re-exported here for the engine's tests).
from tests.fake_backend import ACCOUNT, REGION, FakeBackend

__all__ = ["ACCOUNT", "REGION", "FakeBackend", "moto_aws", "never_cancelled", "no_sleep"]


@contextmanager
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS with dummy credentials and no endpoint override."""
    for var, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def no_sleep(_seconds: float) -> None:
    """Polling without waiting: moto finishes work synchronously."""


def never_cancelled() -> bool:
    return False
