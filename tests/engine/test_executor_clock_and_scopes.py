"""The injectable clock, JSONata catchers and Choice-rule Assign: smaller behaviours of the executor, each
following the AWS Step Functions developer guide."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from workflow.engine.clock import ManualClock, RealClock, iso_millis


def test_real_clock_speed_runs_virtual_time_faster() -> None:
    clock = RealClock(speed=1000)
    before = clock.now()
    started = time.monotonic()
    clock.sleep(50)  # 50 virtual seconds
    assert time.monotonic() - started < 1.0
    assert (clock.now() - before).total_seconds() >= 50


def test_manual_clock_only_moves_when_waited_on() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.sleep(30)
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    event = threading.Event()
    assert clock.wait(event, 10) is False and clock.now().second == 40
    event.set()
    assert clock.wait(event, 10) is True and clock.now().second == 40
    assert iso_millis(datetime(2026, 1, 1, 0, 0, 1, 5000, tzinfo=UTC)) == "2026-01-01T00:00:01.005Z"


def test_manual_clock_wait_state_takes_exactly_its_seconds(manual_runner: Any) -> None:
    """With a manual clock the history shows the Wait state's exact duration."""
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    described = manual_runner.run(definition)
    assert (described["stopDate"] - described["startDate"]).total_seconds() == 3600


def test_jsonata_catcher_output_and_assign_see_error_output(runner: Any) -> None:
    """JSONata Catch: Output and Assign are evaluated with $states.errorOutput (Error handling doc)."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "F",
        "States": {
            "F": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "none"},
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "After",
                        "Output": {
                            "caught": "{% $states.errorOutput.Error %}",
                            "in": "{% $states.input.x %}",
                        },
                        "Assign": {"lastError": "{% $states.errorOutput.Error %}"},
                    }
                ],
                "End": True,
            },
            "After": {
                "Type": "Pass",
                "Output": "{% $merge([$states.input, {'var': $lastError}]) %}",
                "End": True,
            },
        },
    }
    out = runner.output(runner.run(definition, {"x": 5}))
    assert out == {
        "caught": "Lambda.ResourceNotFoundException",
        "in": 5,
        "var": "Lambda.ResourceNotFoundException",
    }


def test_choice_rule_assign_applies_for_the_matched_rule(runner: Any) -> None:
    """A Choice rule's Assign is applied when that rule matches; the state's own Assign on Default."""
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Next": "D", "Assign": {"sign": "positive"}}
                ],
                "Default": "D",
                "Assign": {"sign": "not positive"},
            },
            "D": {"Type": "Pass", "Parameters": {"sign.$": "$sign"}, "End": True},
        },
    }
    arn = runner.machine(definition)
    assert runner.output(runner.run(arn, {"n": 2})) == {"sign": "positive"}
    assert runner.output(runner.run(arn, {"n": -2})) == {"sign": "not positive"}


def test_distributed_map_children_do_not_see_outer_variables(runner: Any) -> None:
    """Child workflow executions of a Distributed Map do not inherit the parent's variables."""
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"secret": 1}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Read",
                    "States": {"Read": {"Type": "Pass", "Parameters": {"s.$": "$secret"}, "End": True}},
                },
                "End": True,
            },
        },
    }
    described = runner.run(definition, [1])
    assert described["status"] == "FAILED" and described["error"] == "States.ExceedToleratedFailureThreshold"
