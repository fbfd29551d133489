from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workflow.config import REPO_ROOT
from workflow.twin.twin import Twin

SAMPLES = REPO_ROOT / "sample_data"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without AWS settings (no profile, no real keys reach a test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    return env


def etl(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the `etl` command (as `python -m workflow`) in a subprocess."""
    return subprocess.run([sys.executable, "-m", "workflow", *args], cwd=REPO_ROOT, env=clean_env(**env),
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    """One in-process twin on a free port for the module's tests (they query its table and executions)."""
    with Twin.ephemeral(speed=20.0) as running:
        yield running


def count_items(twin: Twin, execution: str) -> int:
    """Items the writer stored for one execution (every item records its execution name)."""
    ddb = twin.client("dynamodb")
    total = 0
    kwargs: dict[str, Any] = {"TableName": twin.config.table_name, "Select": "COUNT",
                              "FilterExpression": "#e = :e", "ExpressionAttributeNames": {"#e": "execution"},
                              "ExpressionAttributeValues": {":e": {"S": execution}}}
    while True:
        page = ddb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def generate(out: Path, rows: int, bad_share: float, seed: int = 7) -> str:
    """sample_data/generate.py's output line (it states the exact bad-row counts)."""
    done = subprocess.run([sys.executable, str(SAMPLES / "generate.py"), str(out), "--rows", str(rows),
                           "--bad-share", str(bad_share), "--seed", str(seed)],
                          capture_output=True, text=True, check=True, timeout=120)
    return done.stdout
