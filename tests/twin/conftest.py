from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from workflow.config import PipelineConfig

from .fake_tasks import fake_config, write_tasks


@pytest.fixture(scope="session")
def fake_tasks_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tasks folder with the test handlers in tests/twin/fake_tasks.py."""
    return write_tasks(tmp_path_factory.mktemp("tasks"))


@pytest.fixture
def make_fake_config() -> Callable[..., PipelineConfig]:
    return fake_config
