from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workflow.config import PipelineConfig
from workflow.twin.endpoint import Endpoint, ServerThread
from workflow.twin.lambda_api import LambdaApi
from workflow.twin.lambdas import LambdaRuntime
from workflow.twin.moto_seams import reset_moto

from .fake_tasks import fake_config, write_tasks

ACCOUNT = "000000000000"


@pytest.fixture(scope="session")
def fake_tasks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tasks folder with the test handlers in tests/twin/fake_tasks.py."""
    return write_tasks(tmp_path_factory.mktemp("tasks"))


@pytest.fixture
def make_fake_config() -> Callable[..., PipelineConfig]:
    return fake_config


def fake_stepfunctions(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Stands in for the engine's HTTP app where a test only checks routing."""
    body = json.dumps({"target": environ.get("HTTP_X_AMZ_TARGET"), "executions": []}).encode()
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
    return [body]


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
