"""The designs on paper use the meter's own lines: check their structure and the arithmetic they rest on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workflow.cost import designs
from workflow.cost.report import price_lines


def per_million(lines: list) -> tuple[float, float]:
    report = price_lines(lines, designs.MILLION)
    return report.per_million(report.total), report.per_million(report.not_writes)


def test_this_design_at_800_rows_has_1250_children_of_three_transitions() -> None:
    counts = designs.batched_counts(designs.THIS)
    assert counts.batches == counts.child_starts == 1_250
    assert counts.child_transitions == 2_500  # Transform, Enqueue
    # 366 + 800 x 247 bytes = 197,966 bytes: 4 chunks of 64 KB per message, sent and received.
    assert counts.sqs_send_chunks == counts.sqs_receive_chunks == 5_000
    assert counts.item_write_units == 1_000_000
    assert counts.child_log_bytes == 0, "logs at ERROR: a run without failures logs nothing"


def test_the_previous_defaults_paid_for_logs_first_then_for_transitions() -> None:
    report = price_lines(designs.batched_lines(designs.PREVIOUS), designs.MILLION)
    top = report.dominant(writes=False)
    assert top is not None and top.line.label.startswith("CloudWatch Logs GB: state machine (ALL")
    at_error = replace(designs.PREVIOUS, log_level="ERROR")
    top = price_lines(designs.batched_lines(at_error), designs.MILLION).dominant(writes=False)
    assert top is not None and top.line.label == "state transitions: steps in Map children"
    assert top.usd == pytest.approx(2_000 * 4 * 0.000025)


def test_per_row_designs_cost_a_transition_or_a_message_per_row() -> None:
    standard, _ = per_million(designs.batched_lines(designs.PER_ROW_STANDARD))
    assert standard > 75  # 1,000,000 child starts + 2,000,000 steps at $0.025 per 1,000
    express, _ = per_million(designs.express_per_row_lines())
    express_parts = (
        1e6 * 0.025 / 1000,  # a transition per child started, in the parent
        1e6 * 1.00 / 1e6,  # an EXPRESS request per row
        1e6 * 0.2 * 64 / 1024 * 0.00001667,  # 150 ms billed as 200 ms, 64 MB
        1e6 * 0.20 / 1e6,  # a Lambda request per row
        1e6 * 0.0102 * 0.5 * 0.0000133334,  # 10.2 ms at 512 MB, Arm
        1e6 * 0.625 / 1e6,  # a write unit per row
    )
    assert express == pytest.approx(sum(express_parts))
    _, seed_rest = per_million(designs.seed_lines())
    assert seed_rest >= 3 * 0.40  # send + receive + delete per row


def test_the_defaults_meet_both_targets_and_the_previous_defaults_did_not() -> None:
    total, rest = per_million(designs.batched_lines(designs.THIS))
    assert total <= 0.80 and rest <= 0.15
    total, rest = per_million(designs.batched_lines(designs.PREVIOUS))
    assert total > 0.80 and rest > 0.15
    # each of the three changes alone is not enough: 500-row batches, 4 states a child, logs at ALL
    for name in ("  ... 500-row batches", "  ... 4 states a child (a Choice and a Pass, as before)"):
        (design,) = [d for d in designs.ALTERNATIVES if d.name == name]
        assert per_million(designs.batched_lines(design))[1] > 0.15, name
    assert per_million(designs.batched_lines(replace(designs.THIS, log_level="ALL")))[1] > 0.15


def test_bench_prints_the_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "cost_model.py"
    spec = importlib.util.spec_from_file_location("cost_model", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([]) == 0
    assert "this design (defaults): 800-row batches" in capsys.readouterr().out
