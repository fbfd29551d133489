"""Fixtures of the API tests: fake credentials and the functions' settings, an empty moto table, the local
gateway on a free port. Helpers are in `tests/api/api_helpers.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.api.api_helpers import API_KEY, CONFIG, Served, create_table, local_invoke
from workflow.twin.gateway import RestGateway


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real credentials or endpoint reach these tests; the functions' own settings are set."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, value in CONFIG.function_env("api_put").items():
        monkeypatch.setenv(name, value)


_SESSION: list[Any] = []


@pytest.fixture
def table() -> Iterator[Any]:
    """An empty messages table in a fresh moto. boto3 sessions and clients outlive a moto context (moto
    patches the HTTP layer), so one session serves every test: loading service models is the slow part."""
    if not _SESSION:
        _SESSION.append(boto3.session.Session(region_name="us-east-1"))
    with mock_aws():
        yield create_table(_SESSION[0])


@pytest.fixture
def serve() -> Iterator[Callable[[Any], Served]]:
    servers: list[Served] = []

    def start(app: Any) -> Served:
        servers.append(Served(app))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def api(table: Any, serve: Callable[[Any], Served]) -> Served:
    """The local gateway with the real handlers, the key required, in front of the moto table."""
    return serve(RestGateway(local_invoke, api_key=API_KEY))
