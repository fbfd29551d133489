"""The cost model's arithmetic on hand-built histories: counts, units, prices, projection, targets.

Billing rules and their sources: state transitions (https://aws.amazon.com/step-functions/pricing/ "each
time a step of your workflow is executed ... including retries"; one per Distributed Map child started,
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html), SQS 64 KB chunks
(https://aws.amazon.com/sqs/pricing/), DynamoDB item sizes and request units
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
"""

from __future__ import annotations

import json
import math

import pytest

from tests.cost import history_builder as hb
from workflow.config import PipelineConfig
from workflow.cost import billing, history, meter, projection, report
from workflow.cost.item_size import item_size, number_size, stored_item, write_units
from workflow.cost.prices import PRICES, price

BIG = "x" * 1000


def recorded() -> meter.RecordedExecution:
    small = [hb.item(row) for row in (2, 3, 4)]
    large = [hb.item(5, location=BIG)] + [hb.item(row) for row in range(6, 305)]
    children = [
        meter.ChildRecord("arn:child-a", "SUCCEEDED", hb.child(small, [40, 120], wait_ms=2_000)),
        meter.ChildRecord("arn:child-b", "SUCCEEDED", hb.child(large, [75], wait_ms=500)),
    ]
    summary = {
        "rows_total": 303,
        "rows_written": 303,
        "rejects_location": "s3://csv-etl-data/rejects/run-1.jsonl",
    }
    return meter.RecordedExecution(
        "arn:parent",
        {"status": "SUCCEEDED", "output": json.dumps(summary)},
        hb.parent(summary, summarize_ms=250),
        [meter.MapRunRecord("arn:map-run", {}, children)],
    )


def test_item_size_follows_dynamodb_rules_names_plus_values_numbers_by_significant_digits() -> None:
    # Hand count: date 4+10, time 4+10, timestamp 9+7 (11 digits), location 8+11, source 6+8, local_dest 10+8,
    # local_avg 9+3, remote_dest 11+8, remote_avg 10+3, source_row 10+2, source_file 11+35, execution 9+5.
    assert item_size(stored_item(hb.item(2), hb.SOURCE)) == 211
    assert number_size("4.390") == 3 and number_size("100") == 2 and number_size("0.05") == 2
    assert write_units(211) == 1 and write_units(1024) == 1 and write_units(1025) == 2


def test_steps_count_states_entered_retries_and_redrives() -> None:
    events = hb.child([hb.item(2)], [40, 120, 30], wait_ms=10)
    events.append({"type": "ExecutionRedriven", "id": 99, "timestamp": hb.T0})
    steps = history.steps(events)
    assert (steps.states_entered, steps.retries, steps.redrives) == (2, 2, 1)
    assert steps.transitions == 5


def test_lambda_calls_are_timed_from_task_started_to_the_task_end_per_attempt() -> None:
    calls = history.lambda_calls(hb.child([hb.item(2)], [40, 120], wait_ms=10))
    assert [(c.function, c.state, c.duration_ms) for c in calls] == [
        ("csv-etl-transform", "Transform", 40),
        ("csv-etl-transform", "Transform", 120),
    ]


def test_count_reads_every_billed_quantity_of_the_run() -> None:
    counts = meter.count(recorded())
    assert counts.rows == 303 and counts.batches == 2
    assert counts.parent_transitions == 3  # Configure, ProcessRows, Summarize
    assert counts.child_starts == 2
    assert counts.child_transitions == 3 + 2  # Transform, Enqueue; a retry of Transform in the first child
    assert (counts.transform_requests, counts.transform_ms) == (3, 40 + 120 + 75)
    assert (counts.summarize_requests, counts.summarize_ms) == (1, 250)
    assert (counts.writer_messages, counts.writer_wait_ms) == (2, 2_500)
    large_body = history.queue_sends(recorded().map_runs[0].children[1].events)[0].body_bytes
    assert 64 * 1024 < large_body <= 128 * 1024
    assert counts.sqs_send_chunks == counts.sqs_receive_chunks == 1 + 2
    assert counts.item_write_units == 3 + 299 + 2  # the 1,200-byte item takes 2 units
    assert (counts.ledger_batch_units, counts.ledger_file_units) == (2, 1)
    assert (counts.reader_gets, counts.result_puts, counts.summarize_gets) == (1, 2, 2)
    assert (counts.summarize_lists, counts.summarize_puts) == (1, 1)
    assert counts.executions == 3


def test_lines_price_each_unit_and_split_dynamodb_writes_from_the_rest() -> None:
    counts = meter.count(recorded())
    lines = {line.label: line for line in billing.lines(counts)}
    assert lines["Lambda GB-s: transform (512 MB, arm64)"].quantity == pytest.approx(0.235 * 0.5)
    writer_calls = lines["Lambda requests: writer (messages / batch size 5)"]
    assert writer_calls.quantity == 1 and writer_calls.estimate
    assert lines["Lambda GB-s: writer (512 MB, arm64)"].quantity == pytest.approx(2.5 * 0.5)
    priced = report.price_lines(list(lines.values()), counts.rows)
    transitions = sum(p.usd for p in priced.lines if p.line.price_key == "sfn.transition")
    assert transitions == pytest.approx((3 + 2 + 5) * 0.025 / 1000)
    writes = (304 + 3) * 0.625 / 1e6
    assert priced.writes == pytest.approx(writes)
    assert priced.total == pytest.approx(
        sum(line.quantity * price(line.price_key).unit_usd for line in lines.values())
    )
    assert priced.not_writes == pytest.approx(priced.total - writes)
    assert priced.per_million(priced.total) == pytest.approx(priced.total * 1e6 / 303)


def test_insert_writer_pays_a_write_unit_per_item_and_reads_only_the_keys_found_taken() -> None:
    """tasks/writer: PartiQL INSERTs are billed as PutItems (a write unit per KB, refused or not); only the
    items an INSERT found stored are read back (strongly consistent BatchGetItem: 1 read unit each)."""
    clean = {line.label: line for line in billing.lines(meter.count(recorded()))}
    assert (
        clean["DynamoDB writes: PartiQL INSERT per item (BatchExecuteStatement, 25 a call)"].quantity == 304
    )
    assert clean["DynamoDB reads: BatchGetItem of the keys an INSERT found taken"].quantity == 0
    replayed = recorded()
    child_b = replayed.map_runs[0].children[1]
    items = [hb.item(5, location=BIG)] + [hb.item(row) for row in range(6, 305)]
    again = meter.ChildRecord(child_b.arn, "SUCCEEDED", hb.child(items, [75], wait_ms=500, duplicate=40))
    runs = [meter.MapRunRecord("arn:map-run", {}, [replayed.map_runs[0].children[0], again])]
    counts = meter.count(meter.RecordedExecution(replayed.arn, replayed.description, replayed.events, runs))
    lines = {line.label: line for line in billing.lines(counts)}
    assert lines["DynamoDB reads: BatchGetItem of the keys an INSERT found taken"].quantity == 40


def test_read_then_write_writer_pays_a_read_unit_per_key() -> None:
    settings = meter.MeterSettings(writer="read-then-write", ledger=False)
    lines = {line.label: line for line in billing.lines(meter.count(recorded(), settings), settings)}
    assert lines["DynamoDB reads: BatchGetItem before writing"].quantity == 303
    assert lines["DynamoDB writes: BatchWriteItem of new items"].quantity == 304
    assert not any("ledger" in label for label in lines)


def test_project_scales_per_row_per_batch_and_keeps_per_file_quantities() -> None:
    counts = meter.count(recorded())
    big = projection.project(counts, 1_000_000)
    assert projection.rows_per_batch(counts, PipelineConfig()) == 800
    assert big.batches == big.child_starts == 1_250
    assert big.child_transitions == 5 * 1_250 // 2  # 2 children took 5 steps: 2 states each, 1 retry
    assert big.parent_transitions == 3 and big.summarize_requests == 1 and big.result_puts == 2
    assert big.item_write_units == round(304 * 1_000_000 / 303)
    # 800 items of ~223 bytes plus the token and source: between 128 and 192 KB, so 3 chunks a message.
    assert big.writer_messages == 1_250 and big.sqs_send_chunks == 3 * 1_250
    assert big.executions == 1_251


def test_rows_per_batch_is_cut_by_the_input_byte_limit() -> None:
    counts = meter.count(recorded())
    config = PipelineConfig(max_input_bytes_per_batch=10_000)
    per_row = counts.batch_input_bytes / counts.rows
    assert projection.rows_per_batch(counts, config) == int(10_000 // per_row) < 800


def test_log_levels_filter_events_and_execution_data_dominates_the_bytes() -> None:
    events = hb.child([hb.item(row) for row in range(2, 50)], [40, 120], wait_ms=10)
    all_data = history.log_bytes(events, "ALL", True, "arn:x")
    all_bare = history.log_bytes(events, "ALL", False, "arn:x")
    errors = history.log_bytes(events, "ERROR", True, "arn:x")
    body = history.queue_sends(events)[0].body_bytes
    assert all_data - all_bare >= body > all_bare > 0  # the batch's rows travel in the logged parameters
    assert 0 < errors < all_bare  # one TaskFailed event
    assert history.log_bytes(events, "FATAL", True, "arn:x") == 0
    assert history.log_bytes(events, "OFF", True, "arn:x") == 0


def test_targets_name_the_dominant_line_when_missed() -> None:
    met = report.price_lines([meter.Line("writes", "ddb.wru", 1_000_000)], 1_000_000)
    assert met.meets_all_in and met.meets_not_writes
    missed = report.price_lines(
        [meter.Line("writes", "ddb.wru", 1_000_000), meter.Line("steps", "sfn.transition", 10_000)], 1_000_000
    )
    assert missed.per_million(missed.not_writes) == pytest.approx(0.25)
    assert not missed.meets_all_in and not missed.meets_not_writes
    all_in, rest = missed.verdicts()
    assert "misses the all-in target: $0.8750" in all_in and "dominant line: writes" in all_in
    assert "misses the not-DynamoDB-writes target: $0.2500" in rest and "dominant line: steps" in rest


def test_settings_reject_unknown_modes() -> None:
    with pytest.raises(ValueError, match="writer"):
        meter.MeterSettings(writer="bulk")
    with pytest.raises(ValueError, match="log level"):
        meter.MeterSettings(log_level="DEBUG")


def test_every_price_names_its_page_and_every_line_has_a_price() -> None:
    assert all(p.source.startswith("https://aws.amazon.com/") and p.per > 0 for p in PRICES.values())
    keys = {line.price_key for line in billing.lines(meter.count(recorded()))}
    assert keys <= PRICES.keys()
    assert math.isclose(price("sfn.transition").unit_usd, 0.000025)


def test_architecture_matches_the_cdk_apps_setting() -> None:
    settings = pytest.importorskip("infra.settings")
    assert settings.DeploySettings().architecture.name == meter.LAMBDA_ARCHITECTURE


def test_a_sample_of_children_is_scaled_to_all_of_them() -> None:
    full = recorded()
    (run,) = full.map_runs
    four = meter.MapRunRecord(run.arn, run.description, run.children, total_children=4)
    sampled = meter.RecordedExecution(full.arn, full.description, full.events, [four])
    whole, twice = meter.count(full), meter.count(sampled)
    assert twice.batches == twice.child_starts == 4
    assert twice.child_transitions == 2 * whole.child_transitions
    assert twice.item_write_units == 2 * whole.item_write_units
    assert twice.parent_transitions == whole.parent_transitions  # the parent is read whole
    assert twice.rows == whole.rows  # from the summary, not from the sample


def test_spread_picks_evenly_and_keeps_everything_without_a_sample() -> None:
    from workflow.cost.collect import spread

    items = list(range(10))
    assert spread(items, None) == items and spread(items, 20) == items
    assert spread(items, 5) == [0, 2, 4, 6, 8]
    assert spread(items, 1) == [0]


def test_table_calls_count_the_state_machines_own_dynamodb_requests_and_the_path_follows_the_default() -> (
    None
):
    """Optimized `dynamodb:updateItem` and SDK `aws-sdk:dynamodb:getItem` tasks are DynamoDB requests; the
    first-upload path takes a Choice's Default and ends at End."""
    from workflow.cost import definition_path

    events = hb.History()
    events.state("Task", "RegisterObject").add(
        "TaskScheduled", "taskScheduledEventDetails", resourceType="dynamodb", resource="updateItem"
    )
    events.state("Task", "Look").add(
        "TaskScheduled", "taskScheduledEventDetails", resourceType="aws-sdk:dynamodb", resource="getItem"
    )
    events.state("Task", "Send").add(
        "TaskScheduled", "taskScheduledEventDetails", resourceType="sqs", resource="sendMessage"
    )
    calls = history.table_calls(events.events)
    assert [(c.state, c.action, c.writes) for c in calls] == [
        ("RegisterObject", "updateItem", True),
        ("Look", "getItem", False),
    ]
    lines = {
        line.label: line for line in billing.lines(meter.Counts(state_table_writes=1, child_table_reads=3))
    }
    assert (
        lines["DynamoDB writes: the state machine's own DynamoDB tasks (ledger registration)"].quantity == 1
    )
    assert lines["DynamoDB reads: the state machine's own DynamoDB tasks"].quantity == 3
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}],
                "Default": "C",
            },
            "B": {"Type": "Pass", "Next": "D"},
            "C": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Next": "D"},
            "D": {"Type": "Succeed"},
        },
    }
    path = definition_path.first_run_path(definition)
    assert [name for name, _ in path] == ["A", "C", "D"]
    assert [definition_path.is_table_write(state) for _, state in path] == [False, True, False]
