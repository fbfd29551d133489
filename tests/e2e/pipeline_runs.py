"""Helpers of the end-to-end tests: the `etl` command in a subprocess, generated files, counting what a run
stored, a run whose writer fails one batch. The fixtures (one twin per module) are in `conftest.py`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from workflow.config import REPO_ROOT
from workflow.twin import tracking
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


def failing_writer(twin: Twin, fail_first_row: int) -> Callable[[dict[str, Any], Any], Any]:
    """The real writer, except that the batch starting at `fail_first_row` reports Writer.WriteFailed."""
    real = twin.runtime.handler(twin.config.function("writer"))  # type: ignore[union-attr]

    def handler(event: dict[str, Any], context: Any) -> Any:
        keep = []
        for record in event["Records"]:
            body = json.loads(record["body"])
            if body["first_row"] == fail_first_row:
                boto3.client("stepfunctions").send_task_failure(
                    taskToken=body["taskToken"],
                    error="Writer.WriteFailed",
                    cause="injected: table unavailable",
                )
            else:
                keep.append(record)
        return real({"Records": keep}, context) if keep else {"batchItemFailures": []}

    return handler


def writers_idle(twin: Twin, timeout_s: float = 60.0) -> None:
    """Wait until the queue is empty and no writer invocation runs: batches of a failed run that were being
    stored when it ended have landed (and joined the ledger as late batches)."""
    sqs = twin.client("sqs")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(
            QueueUrl=twin.resources.queue_url,  # type: ignore[union-attr]
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        running = [r for r in twin.runtime.records(function="writer") if r.end is None]  # type: ignore[union-attr]
        if not running and all(v == "0" for v in attrs.values()):
            return
        time.sleep(0.2)
    raise TimeoutError("writers still busy")


def fail_one_batch(twin: Twin, path: Path, key: str) -> dict[str, Any]:
    """Run a 1,500-row file (2 batches of the default 800 rows) whose second batch the writer fails; return
    its result once the batches that were in flight when it failed have landed."""
    generate(path, rows=1_500, bad_share=0.0, seed=11)
    second = 2 + twin.config.max_items_per_batch
    twin.runtime.overrides["writer"] = failing_writer(twin, fail_first_row=second)  # type: ignore[union-attr]
    try:
        failed = twin.run_file(path, key, timeout_s=180)
        writers_idle(twin)
    finally:
        twin.runtime.overrides.clear()  # type: ignore[union-attr]
    described = twin.client("stepfunctions").describe_execution(executionArn=failed["execution_arn"])
    return tracking.run_result(described, failed["duration_s"], twin.summarize_failure)
