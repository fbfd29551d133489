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
    return subprocess.run(
        [sys.executable, "-m", "workflow", *args],
        cwd=REPO_ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    """One in-process twin on a free port for the module's tests (they query its table and executions)."""
    with Twin.ephemeral() as running:
        yield running


@pytest.fixture
def empty_table(twin: Twin) -> Twin:
    """The twin with its messages table emptied (recreated with the same schema), for exact row counts:
    generated files start at data.csv's first timestamp, so earlier runs' rows would be key conflicts."""
    ddb = twin.client("dynamodb")
    name = twin.config.table_name
    described = ddb.describe_table(TableName=name)["Table"]
    ddb.delete_table(TableName=name)
    ddb.create_table(
        TableName=name,
        KeySchema=described["KeySchema"],
        AttributeDefinitions=described["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
    )
    return twin


def count_items(twin: Twin, source_file: str) -> int:
    """Items the writer stored for one file (every item records its s3:// source)."""
    ddb = twin.client("dynamodb")
    total = 0
    kwargs: dict[str, Any] = {
        "TableName": twin.config.table_name,
        "Select": "COUNT",
        "FilterExpression": "#f = :f",
        "ExpressionAttributeNames": {"#f": "source_file"},
        "ExpressionAttributeValues": {":f": {"S": source_file}},
    }
    while True:
        page = ddb.scan(**kwargs)
        total += page["Count"]
        if "LastEvaluatedKey" not in page:
            return total
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def generate(out: Path, rows: int, bad_share: float, seed: int = 7) -> str:
    """sample_data/generate.py's output line (it states the exact bad-row counts)."""
    done = subprocess.run(
        [
            sys.executable,
            str(SAMPLES / "generate.py"),
            str(out),
            "--rows",
            str(rows),
            "--bad-share",
            str(bad_share),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout
