"""The AWS CLI against the twin's endpoint: `aws s3 cp` starts the pipeline, the CLI sees the results."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pipeline_runs import SAMPLES, clean_env
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server
AWS = str(Path(sys.executable).parent / "aws")


def aws(twin: Twin, *args: str) -> Any:
    env = clean_env(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=twin.region)
    done = subprocess.run(
        [AWS, "--endpoint-url", twin.url, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return done.stdout  # `aws s3 cp` prints progress text


def test_aws_s3_cp_triggers_an_execution_visible_to_the_cli_with_its_items(twin: Twin) -> None:
    assert twin.resources is not None
    machine = twin.resources.state_machine_arn
    before = {
        e["executionArn"]
        for e in aws(twin, "stepfunctions", "list-executions", "--state-machine-arn", machine)["executions"]
    }
    copied = aws(
        twin, "s3", "cp", str(SAMPLES / "data.csv"), f"s3://{twin.config.data_bucket}/incoming/from-cli.csv"
    )
    assert "upload:" in copied
    deadline = time.monotonic() + 90
    new: list[str] = []
    while not new and time.monotonic() < deadline:
        listed = aws(twin, "stepfunctions", "list-executions", "--state-machine-arn", machine)["executions"]
        new = [e["executionArn"] for e in listed if e["executionArn"] not in before]
    assert len(new) == 1, "one upload, one execution"
    described: dict[str, Any] = {"status": "RUNNING"}
    while described["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
        described = aws(twin, "stepfunctions", "describe-execution", "--execution-arn", new[0])
    assert json.loads(described["input"])["detail"]["object"]["key"] == "incoming/from-cli.csv"
    assert described["status"] == "SUCCEEDED", described
    scanned = aws(
        twin,
        "dynamodb",
        "scan",
        "--table-name",
        twin.config.table_name,
        "--filter-expression",
        "source_file = :f",
        "--expression-attribute-values",
        json.dumps({":f": {"S": f"s3://{twin.config.data_bucket}/incoming/from-cli.csv"}}),
    )
    assert scanned["Count"] == 20
    assert all(set(item) >= {"date", "time", "timestamp", "local_avg"} for item in scanned["Items"])
    assert all("N" in item["local_avg"] for item in scanned["Items"])
