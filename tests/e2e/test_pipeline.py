"""The whole pipeline on one in-process twin: what lands in DynamoDB, large files, failure and redrive."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from tests.e2e.pipeline_runs import SAMPLES, count_items, fail_one_batch, generate
from workflow.cli import app
from workflow.twin import remote, tracking
from workflow.twin.twin import Twin

pytestmark = pytest.mark.server


def execution_name(result: dict[str, Any]) -> str:
    return str(result["execution_arn"].rsplit(":", 1)[1])


def test_items_in_the_table_have_utc_date_time_keys_and_number_types(twin: Twin) -> None:
    result = twin.run_file(SAMPLES / "data.csv", "incoming/types.csv", timeout_s=120)
    assert result["status"] == "SUCCEEDED" and result["rows_written"] == 20
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=twin.url,
        region_name=twin.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    table = resource.Table(twin.config.table_name)
    items = [i for i in table.scan()["Items"] if i["execution"] == execution_name(result)]
    assert len(items) == 20
    first = next(i for i in items if i["source_row"] == 2)
    # 1559040909.3853335 is 2019-05-28T10:55:09.3853335Z
    assert (first["date"], first["time"]) == ("2019-05-28", "10:55:09.3853335")
    assert first["timestamp"] == Decimal("1559040909.3853335")
    assert first["local_avg"] == Decimal("4.39") and first["remote_avg"] == Decimal("9.09")
    for item in items:
        assert re.fullmatch(r"2019-05-28", item["date"])
        assert re.fullmatch(r"\d\d:\d\d:\d\d(\.\d+)?", item["time"])
        assert isinstance(item["local_avg"], Decimal) and isinstance(item["remote_avg"], Decimal)
        assert isinstance(item["timestamp"], Decimal)
        assert item["source_file"] == f"s3://{twin.config.data_bucket}/incoming/types.csv"


def test_ten_thousand_rows_with_one_percent_bad_lose_nothing(empty_table: Twin, tmp_path: Path) -> None:
    """Every row ends written or rejected with a reason; the table holds exactly the written ones."""
    twin = empty_table
    path = tmp_path / "big.csv"
    stated = generate(path, rows=10_000, bad_share=0.01)
    bad = int(re.search(r"(\d+) bad", stated).group(1))  # type: ignore[union-attr]
    result = twin.run_file(path, "incoming/big.csv", timeout_s=300)
    assert result["status"] == "SUCCEEDED", result
    assert result["rows_total"] == 10_000
    assert result["rows_written"] + result["rows_rejected"] == 10_000
    assert result["rows_rejected"] == bad and result["rows_failed"] == 0
    assert count_items(twin, result["file"]) == result["rows_written"]
    rejects = (
        twin.client("s3")
        .get_object(Bucket=twin.config.data_bucket, Key=result["rejects_location"].split("/", 3)[3])["Body"]
        .read()
    )
    lines = list(csv.DictReader(rejects.decode().splitlines()))
    assert len(lines) == bad and all(line["row"] and line["reason"] for line in lines)  # one line per row


def test_failing_writer_fails_the_file_then_replay_after_the_fix_completes_it_without_duplicates(
    empty_table: Twin, tmp_path: Path
) -> None:
    """Step Functions docs: a Distributed Map fails when failed items exceed ToleratedFailurePercentage
    (0 here). The writes are conditional, so replaying the file event stores only what is missing: rows the
    failed run stored are duplicates named with that run."""
    twin = empty_table
    failed = fail_one_batch(twin, tmp_path / "replay.csv", "incoming/replay.csv")
    assert failed["status"] == "FAILED", failed
    assert failed["error"] == "States.ExceedToleratedFailureThreshold", failed
    # the failed batch's rows are failed; batches still running when the Map Run failed are aborted
    assert failed["rows_failed"] >= 500, failed
    assert failed["rows_written"] + failed["rows_failed"] == 1_500
    assert count_items(twin, failed["file"]) == failed["rows_written"], "the ledger counts what is stored"
    second = 2 + twin.config.max_items_per_batch
    assert [b["error"] for b in failed["failed_batches"] if b["first_row"] == second] == [
        "Writer.WriteFailed"
    ]
    assert failed["next_step"] == f"etl redrive {execution_name(failed)}"

    target = remote.twin_target(endpoint_url=twin.url)
    replayed_arn = target.replay(failed["execution_arn"])
    described = tracking.wait_for_execution(twin.client("stepfunctions"), replayed_arn, timeout_s=180)
    replayed = tracking.run_result(described, 0.0)
    assert replayed["status"] == "SUCCEEDED", replayed
    stored_before = failed["rows_written"]
    assert replayed["rows_written"] == 1_500 - stored_before
    assert replayed["rows_duplicate"] == stored_before
    if stored_before:
        assert list(replayed["duplicates_of"]) == [f"{failed['file']} (execution {execution_name(failed)})"]
    assert replayed["rows_rejected"] == 0 and replayed["rows_failed"] == 0
    assert count_items(twin, failed["file"]) == 1_500


def test_failing_writer_fails_the_file_then_redrive_after_the_fix_completes_it(
    empty_table: Twin, tmp_path: Path
) -> None:
    """Step Functions docs: redriving the parent reruns the unsuccessful child executions of its Map Run
    (the Map is not caught, so it has no MapStateExited event and is redriven)."""
    twin = empty_table
    failed = fail_one_batch(twin, tmp_path / "redrive.csv", "incoming/redrive.csv")
    assert failed["status"] == "FAILED" and failed["error"] == "States.ExceedToleratedFailureThreshold"
    assert failed["rows_failed"] >= 500, failed
    name = failed["execution_arn"].rsplit(":", 1)[1]
    done = CliRunner().invoke(app, ["redrive", name, "--wait", "--json", "--endpoint-url", twin.url])
    assert done.exit_code == 0, done.output
    redriven = json.loads(done.stdout)
    assert redriven["status"] == "SUCCEEDED", redriven
    sfn = twin.client("stepfunctions")
    assert sfn.describe_execution(executionArn=failed["execution_arn"])["redriveCount"] == 1
    assert redriven["rows_written"] == 1_500 and redriven["rows_failed"] == 0
    assert redriven["rows_rejected"] == 0, "rows already stored are not conflicts"
    assert count_items(twin, failed["file"]) == 1_500
    sfn_runs = sfn.list_map_runs(executionArn=failed["execution_arn"])["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=sfn_runs[-1]["mapRunArn"])["executionCounts"]
    assert counts["succeeded"] == 2 and counts["failed"] == 0  # 1,500 rows in batches of 800
