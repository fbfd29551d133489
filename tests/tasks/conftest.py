"""Fixtures for the tests of the Lambda handlers in tasks/ (each folder is on the path as its own code root,
as on Lambda: pytest's `pythonpath` in pyproject.toml): fake AWS credentials, so moto's `mock_aws` can never
reach a real account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No real credentials or endpoint leak into unit tests."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield
