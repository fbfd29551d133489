"""Fixtures of the twin's tests: the fake handlers' tasks folder, the endpoint (moto + Lambda API + a fake
Step Functions app) on a free port. Helpers are in `fake_tasks.py` and `fake_endpoint.py`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.twin.fake_endpoint import ACCOUNT, fake_stepfunctions
from tests.twin.fake_tasks import fake_config, write_tasks
from workflow.config import PipelineConfig
from workflow.twin.endpoint import Endpoint, ServerThread
from workflow.twin.lambda_api import LambdaApi
from workflow.twin.lambdas import LambdaRuntime
from workflow.twin.moto_seams import reset_moto


@pytest.fixture(scope="session")
def fake_tasks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tasks folder with the test handlers in tests/twin/fake_tasks.py."""
    return write_tasks(tmp_path_factory.mktemp("tasks"))


@pytest.fixture
def make_fake_config() -> Callable[..., PipelineConfig]:
    return fake_config


@pytest.fixture
def endpoint(fake_tasks_dir: Path, make_fake_config: Callable[..., PipelineConfig]) -> Iterator[ServerThread]:
    """The endpoint (moto + Lambda API + a fake Step Functions app) on a free port, moto emptied around it."""
    reset_moto()
    holder: dict[str, Any] = {}
    server = ServerThread(lambda e, s: holder["app"](e, s), port=0)
    runtime = LambdaRuntime(
        make_fake_config(queue_visibility_timeout_s=1, max_receive_count=2),
        {"AWS_ENDPOINT_URL": server.url},
        "us-east-1",
        ACCOUNT,
        tasks_dir=fake_tasks_dir,
    )
    holder["app"] = Endpoint(fake_stepfunctions, LambdaApi(runtime), ACCOUNT)
    server.runtime = runtime  # type: ignore[attr-defined]
    server.start()
    yield server
    server.stop()
    reset_moto()
