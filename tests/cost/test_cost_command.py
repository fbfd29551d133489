"""`etl cost` on a real run: sample_data/data.csv through an ephemeral twin, then the command (CliRunner).

The counts are checked against the histories read independently: Standard workflows are billed "each time
a step of your workflow is executed ... including retries" (https://aws.amazon.com/step-functions/pricing/),
i.e. one transition per `*StateEntered` event here (no retries ran), plus one per Distributed Map child
started (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from workflow.cli import app
from workflow.config import PipelineConfig
from workflow.cost import designs
from workflow.twin.twin import Twin

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "data.csv"


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[Twin, dict[str, Any]]]:
    with Twin.ephemeral() as twin:
        result = twin.run_file(SAMPLE, timeout_s=120)
        assert result["status"] == "SUCCEEDED"
        yield twin, result


def entered(events: list[dict[str, Any]]) -> int:
    return sum(event["type"].endswith("StateEntered") for event in events)


def test_cost_json_counts_match_the_recorded_histories(run: tuple[Twin, dict[str, Any]]) -> None:
    twin, result = run
    sfn = twin.client("stepfunctions")
    arn = result["execution_arn"]
    parent = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    (map_run,) = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]
    child_events = [sfn.get_execution_history(executionArn=c["executionArn"])["events"] for c in children]

    cli = CliRunner().invoke(app, ["cost", arn, "--endpoint-url", twin.url, "--json"])
    assert cli.exit_code == 0, cli.output
    doc = json.loads(cli.output)
    described = sfn.describe_state_machine_for_execution(executionArn=arn)
    assert described["loggingConfiguration"]["level"] == "ERROR", (
        "the twin's state machine is set up as the stack"
    )
    settings = doc["settings"]
    assert (settings["log_level"], settings["log_data"], settings["tracing"]) == ("ERROR", True, True)
    counts = doc["counts"]
    assert counts["rows"] == 20 and counts["batches"] == len(children) == 1
    # Configure, IsReplay, RegisterObject, ProcessRows, Summarize: the definition's first-upload path
    assert counts["parent_transitions"] == entered(parent) == designs.parent_path().transitions == 5
    assert len(parent) == designs.parent_path().events, "the designs on paper count the parent's events"
    assert counts["state_table_writes"] == 1, "RegisterObject's dynamodb:updateItem of the ledger item"
    assert counts["child_starts"] == 1
    assert counts["child_transitions"] == sum(entered(events) for events in child_events) == 2
    assert counts["transform_requests"] == 1 and counts["summarize_requests"] == 1
    assert counts["writer_messages"] == 1 and counts["sqs_send_chunks"] == 1
    assert counts["item_write_units"] == 20  # 20 items of about 250 bytes: one unit each
    measured = doc["measured"]
    transitions = sum(line["usd"] for line in measured["lines"] if line["price_key"] == "sfn.transition")
    assert transitions == pytest.approx((5 + 1 + 2) * 0.000025)
    # rows + ledger records (the batch's, Summarize's file item) + RegisterObject's update
    assert measured["dynamodb_writes_usd"] == pytest.approx((20 + 2 + 1) * 0.625e-6)
    by_label = {line["label"]: line for line in measured["lines"]}
    registration = by_label["DynamoDB writes: the state machine's own DynamoDB tasks (ledger registration)"]
    assert registration["quantity"] == 1 and registration["estimate"] is True
    projected = doc["projected"]
    assert projected["rows"] == 1_000_000 and doc["rows_per_batch"] == 800
    by_label = {line["label"]: line for line in projected["lines"]}
    assert by_label["state transitions: Map child starts"]["quantity"] == 1_250
    assert (
        by_label["DynamoDB writes: PartiQL INSERT per item (BatchExecuteStatement, 25 a call)"]["quantity"]
        == 1_000_000
    )


def test_cost_table_prints_the_split_and_the_verdicts(run: tuple[Twin, dict[str, Any]]) -> None:
    twin, result = run
    args = ["cost", result["execution_arn"], "--endpoint-url", twin.url, "--durations", "modelled", "--check"]
    cli = CliRunner().invoke(app, args)
    assert "DynamoDB writes" in cli.output and "everything else" in cli.output
    assert "meets the all-in target" in cli.output and "meets the not-DynamoDB-writes target" in cli.output
    assert "2,500" in cli.output and "$0.0625" in cli.output  # steps in the children of a 1,000,000-row file
    assert cli.exit_code == 0, cli.output  # --check: the projection meets both targets
    # The same run as if logged at ALL with execution data: every batch's rows about 7 times in the logs.
    cli = CliRunner().invoke(app, [*args, "--log-level", "ALL"])
    assert "misses the not-DynamoDB-writes target" in cli.output
    assert "dominant line: CloudWatch Logs GB: state machine (ALL, with execution data)" in cli.output
    assert cli.exit_code == 1


def test_the_defaults_meet_the_cost_targets_on_a_twin_run(run: tuple[Twin, dict[str, Any]]) -> None:
    """Issue 14's targets on a real run with the defaults: metered, scaled to 1,000,000 rows, at most $0.80
    all-in and at most $0.15 outside DynamoDB writes. Catches a regression of any default that the bill
    depends on: rows per batch (workflow/config.py), the log level (config -> MeterSettings and the stack's
    StateMachineLogLevel), the child's states (counted from the recorded histories).

    Every count is the run's; only the Lambda durations are AWS's (`assumptions.py`, as `etl cost --durations
    modelled`): the twin's are moto's on a shared CPU (the writer's send-to-report time of one small message
    is mostly the twin's SQS polling).
    """
    from workflow.cost import billing, collect, meter, projection
    from workflow.cost.report import price_lines

    twin, result = run
    settings = meter.MeterSettings()
    assert settings.log_level == PipelineConfig().state_machine_log_level == "ERROR"
    recorded = collect.record(twin.client("stepfunctions"), result["execution_arn"])
    counts = meter.count(recorded, settings)
    projected = projection.with_modelled_durations(projection.project(counts, 1_000_000, settings))
    report = price_lines(billing.lines(projected, settings), projected.rows)
    total, rest = report.per_million(report.total), report.per_million(report.not_writes)
    assert total <= 0.80 and rest <= 0.15, report.verdicts()
    # 1,250 children x (1 start + 2 steps) x $0.000025 = $0.094: the largest line outside the writes
    top = report.dominant(writes=False)
    assert top is not None and top.line.label == "state transitions: steps in Map children"
    assert projected.child_starts + projected.child_transitions == 1_250 * 3
    assert projected.child_log_bytes == projected.parent_log_bytes == 0, "a clean run logs nothing at ERROR"


def test_cost_of_an_unknown_execution_is_a_clear_error(run: tuple[Twin, dict[str, Any]]) -> None:
    twin, _ = run
    cli = CliRunner().invoke(app, ["cost", "no-such-execution", "--endpoint-url", twin.url])
    assert cli.exit_code == 2
    assert "ExecutionDoesNotExist" in cli.output


def test_modelled_durations_make_the_twin_run_agree_with_the_design_model(
    run: tuple[Twin, dict[str, Any]],
) -> None:
    """The meter on a real run and the model on paper give the same bill when both use AWS durations."""
    from workflow.cost import designs
    from workflow.cost.report import price_lines

    twin, result = run
    args = ["cost", result["execution_arn"], "--endpoint-url", twin.url, "--json"]
    cli = CliRunner().invoke(app, [*args, "--durations", "modelled"])
    assert cli.exit_code == 0, cli.output
    projected = json.loads(cli.output)["projected"]
    by_label = {line["label"]: line for line in projected["lines"]}
    # 1,250 calls x 10 ms + 1,000,000 rows x 0.2 ms = 212.5 s at 0.5 GB
    assert by_label["Lambda GB-s: transform (512 MB, arm64)"]["quantity"] == pytest.approx(106.25)
    paper = price_lines(designs.batched_lines(designs.THIS), designs.MILLION)
    assert projected["per_million_rows"]["total"] == pytest.approx(paper.per_million(paper.total), rel=0.01)


def test_logging_and_tracing_come_from_the_execution_unless_given() -> None:
    """DescribeStateMachineForExecution's loggingConfiguration and tracingConfiguration: absent means off
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachineForExecution.html)."""
    from workflow.cost import deployment, meter

    recorded = meter.RecordedExecution("arn:x", {}, [], state_machine={"name": "csv-etl"})
    assert deployment.settings_for(recorded).log_level == "OFF"
    assert deployment.settings_for(recorded).tracing is False
    debug = {"loggingConfiguration": {"level": "ALL", "includeExecutionData": False}}
    seen = deployment.settings_for(meter.RecordedExecution("arn:x", {}, [], state_machine=debug))
    assert (seen.log_level, seen.log_data) == ("ALL", False)
    given = deployment.settings_for(recorded, log_level="ERROR", tracing=True)
    assert (given.log_level, given.tracing) == ("ERROR", True)
    unread = deployment.settings_for(meter.RecordedExecution("arn:x", {}, []))
    config = PipelineConfig()
    assert (unread.log_level, unread.log_data, unread.tracing) == (
        config.state_machine_log_level,
        config.state_machine_log_execution_data,
        config.state_machine_tracing,
    )
