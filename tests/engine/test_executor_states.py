"""State types and the I/O pipeline, each checked against the behaviour the AWS Step Functions developer guide
documents for it."""

from __future__ import annotations

import json
from typing import Any


def one(state: dict[str, Any], name: str = "S") -> dict[str, Any]:
    return {
        "StartAt": name,
        "States": {
            name: {**state, "End": True} if state["Type"] not in ("Succeed", "Fail", "Choice") else state
        },
    }


def test_pass_result_with_result_path_merges_into_input(runner: Any) -> None:
    """Pass: 'Result' is the state's result; ResultPath '$.r' places it inside the input (ResultPath doc)."""
    out = runner.output(runner.run(one({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r"}), {"a": 1}))
    assert out == {"a": 1, "r": {"x": 1}}


def test_pass_parameters_use_input_path_context_and_intrinsics(runner: Any) -> None:
    """InputPath selects, then Parameters builds the effective input with `.$` paths, $$ and intrinsics."""
    state = {
        "Type": "Pass",
        "InputPath": "$.data",
        "Parameters": {
            "v.$": "$.v",
            "name.$": "$$.State.Name",
            "sm.$": "$$.StateMachine.Name",
            "fmt.$": "States.Format('id-{}', $.v)",
            "static": [1, 2],
        },
    }
    out = runner.output(runner.run(one(state), {"data": {"v": 7}}))
    assert out["v"] == 7 and out["name"] == "S" and out["fmt"] == "id-7" and out["static"] == [1, 2]
    assert out["sm"].startswith("sm-")


def test_result_path_null_discards_result_and_output_path_filters(runner: Any) -> None:
    """ResultPath null keeps the input as output; OutputPath then selects part of it (I/O doc)."""
    out = runner.output(
        runner.run(
            one({"Type": "Pass", "Result": 5, "ResultPath": None, "OutputPath": "$.keep"}),
            {"keep": {"k": 1}, "drop": 2},
        )
    )
    assert out == {"k": 1}


def test_context_object_execution_fields(runner: Any) -> None:
    """$$.Execution has Id, Input, Name, RoleArn, StartTime and RedriveCount (Context object doc)."""
    state = {"Type": "Pass", "Parameters": {"e.$": "$$.Execution"}}
    described = runner.run(one(state), {"q": 1}, name="ctx-run")
    execution = runner.output(described)["e"]
    assert execution["Id"] == described["executionArn"] and execution["Name"] == "ctx-run"
    assert execution["Input"] == {"q": 1} and execution["RedriveCount"] == 0
    assert execution["RoleArn"].startswith("arn:aws:iam::") and execution["StartTime"].endswith("Z")


def test_missing_input_path_fails_with_states_runtime(runner: Any) -> None:
    """A path that selects nothing in InputPath is a States.Runtime error that fails the execution."""
    described = runner.run(one({"Type": "Pass", "InputPath": "$.nope"}), {"a": 1})
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"


def test_choice_picks_first_matching_rule_and_default(runner: Any) -> None:
    """Choice: the first rule that matches decides Next; otherwise Default (Choice state doc)."""
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"},
                    {
                        "And": [
                            {"Variable": "$.n", "IsPresent": True},
                            {"Variable": "$.n", "NumericGreaterThan": 0},
                        ],
                        "Next": "Small",
                    },
                ],
                "Default": "None",
            },
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
            "None": {"Type": "Pass", "Result": "none", "End": True},
        },
    }
    arn = runner.machine(definition)
    assert runner.output(runner.run(arn, {"n": 11})) == "big"
    assert runner.output(runner.run(arn, {"n": 1})) == "small"
    assert runner.output(runner.run(arn, {"n": -1})) == "none"


def test_choice_without_default_fails_no_choice_matched(runner: Any) -> None:
    """No matching rule and no Default: States.NoChoiceMatched."""
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "D"}]},
            "D": {"Type": "Succeed"},
        },
    }
    described = runner.run(definition, {"n": 2})
    assert described["status"] == "FAILED" and described["error"] == "States.NoChoiceMatched"


def test_wait_seconds_and_timestamp_path_advance_virtual_time(runner: Any) -> None:
    """Wait for Seconds, then until TimestampPath; the history shows the waits in (virtual) time."""
    definition = {
        "StartAt": "W1",
        "States": {
            "W1": {"Type": "Wait", "Seconds": 120, "Next": "W2"},
            "W2": {"Type": "Wait", "TimestampPath": "$.until", "End": True},
        },
    }
    arn = runner.start(definition, {"until": "2000-01-01T00:00:00Z"})  # in the past: no wait
    described = runner.sfn.wait_for_execution(arn, 10)
    assert described["status"] == "SUCCEEDED"
    events = runner.events(arn)
    entered = next(e for e in events if e["type"] == "WaitStateEntered")["timestamp"]
    exited = next(e for e in events if e["type"] == "WaitStateExited")["timestamp"]
    assert (exited - entered).total_seconds() >= 120


def test_wait_seconds_path_must_be_non_negative_integer(runner: Any) -> None:
    described = runner.run(one({"Type": "Wait", "SecondsPath": "$.s"}), {"s": -3})
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"


def test_succeed_and_fail_with_error_path_and_cause_path(runner: Any) -> None:
    """Fail: ErrorPath/CausePath take the error and cause from the input (intrinsics allowed)."""
    fail = {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('bad {}', $.n)"}
    described = runner.run(one(fail), {"e": "Custom.Error", "n": 3})
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("Custom.Error", "bad 3")
    types = runner.types(described["executionArn"])
    assert types[-2:] == ["FailStateEntered", "ExecutionFailed"]
    assert runner.output(runner.run(one({"Type": "Succeed", "OutputPath": "$.a"}), {"a": 1})) == 1


def test_parallel_outputs_branch_results_in_order(runner: Any) -> None:
    """Parallel: output is an array with each branch's output, in branch order (Parallel state doc)."""

    def branch(name: str, value: Any) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "Result": value, "End": True}}}

    definition = one(
        {
            "Type": "Parallel",
            "Branches": [branch("B1", 1), branch("B2", {"two": 2}), branch("B3", [3])],
            "ResultSelector": {"all.$": "$"},
        }
    )
    assert runner.output(runner.run(definition)) == {"all": [1, {"two": 2}, [3]]}


def test_parallel_branch_failure_fails_state_and_can_be_caught(runner: Any) -> None:
    """If any branch fails the Parallel state fails with that error; a Catcher on the Parallel handles it."""
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}},
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Branch.Boom", "Cause": "x"}}},
                ],
                "Catch": [{"ErrorEquals": ["Branch.Boom"], "ResultPath": "$.err", "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    described = runner.run(definition, {"in": 1})
    assert runner.output(described) == {"in": 1, "err": {"Error": "Branch.Boom", "Cause": "x"}}
    types = runner.types(described["executionArn"])
    assert "ParallelStateFailed" in types and "WaitStateAborted" in types


def test_inline_map_items_path_item_selector_and_concurrency(runner: Any) -> None:
    """Inline Map: ItemsPath picks the array, ItemSelector builds each input with $$.Map.Item.Index/Value."""
    definition = one(
        {
            "Type": "Map",
            "ItemsPath": "$.xs",
            "MaxConcurrency": 2,
            "ItemSelector": {"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value", "k.$": "$.k"},
            "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
            "ResultPath": "$.out",
        }
    )
    out = runner.output(runner.run(definition, {"xs": ["a", "b", "c"], "k": 9}))
    assert out["out"] == [{"i": 0, "v": "a", "k": 9}, {"i": 1, "v": "b", "k": 9}, {"i": 2, "v": "c", "k": 9}]


def test_inline_map_legacy_iterator_and_parameters(runner: Any) -> None:
    """The legacy Iterator/Parameters fields still define the processor and the item input."""
    definition = one(
        {
            "Type": "Map",
            "Parameters": {"v.$": "$$.Map.Item.Value"},
            "Iterator": {"StartAt": "X", "States": {"X": {"Type": "Pass", "OutputPath": "$.v", "End": True}}},
        }
    )
    assert runner.output(runner.run(definition, [1, 2])) == [1, 2]


def test_inline_map_of_10000_items_runs_without_recursion(runner: Any) -> None:
    """A long inline Map completes (moto's interpreter hits RecursionError here, per the project findings)."""
    definition = one(
        {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "X",
                "States": {
                    "X": {
                        "Type": "Pass",
                        "Parameters": {"d.$": "States.MathAdd($, 1)"},
                        "OutputPath": "$.d",
                        "End": True,
                    }
                },
            },
        }
    )
    out = runner.output(runner.run(definition, list(range(10_000)), timeout=120))
    assert len(out) == 10_000 and out[0] == 1 and out[-1] == 10_000


def test_inline_map_iteration_failure_fails_map(runner: Any) -> None:
    """An iteration's error fails the whole inline Map with that error."""
    definition = one(
        {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
                        "Default": "OK",
                    },
                    "F": {"Type": "Fail", "Error": "Item.Bad"},
                    "OK": {"Type": "Succeed"},
                },
            },
        }
    )
    described = runner.run(definition, [1, 2, 3])
    assert described["status"] == "FAILED" and described["error"] == "Item.Bad"
    assert "MapIterationFailed" in runner.types(described["executionArn"])


def test_loop_of_many_states_is_iterative(runner: Any) -> None:
    """A Choice loop of 3,000 transitions runs without growing the stack."""
    definition = {
        "StartAt": "Inc",
        "States": {
            "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 1500, "Next": "Inc"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    assert runner.output(runner.run(definition, {"n": 0}, timeout=60)) == {"n": 1500}


def test_payload_over_256_kib_fails_with_data_limit_exceeded(runner: Any) -> None:
    """States.DataLimitExceeded for a state output over 256 KiB, in AWS's wording; States.ALL catches it
    (as recorded on AWS, issue 11 group 6), States.TaskFailed does not."""
    definition = {
        "StartAt": "Big",
        "States": {
            "Big": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "X",
                    "States": {"X": {"Type": "Pass", "Result": "y" * 1000, "End": True}},
                },
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    described = runner.run(definition, list(range(300)))
    assert described["status"] == "FAILED" and described["error"] == "States.DataLimitExceeded"
    assert described["cause"] == (
        "The state/task 'Big' returned a result with a size exceeding the maximum number of bytes "
        "service limit."
    )
    definition["States"]["Big"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    described = runner.run(definition, list(range(300)))
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["Error"] == "States.DataLimitExceeded"


def test_jsonata_arguments_output_and_assign(runner: Any) -> None:
    """JSONata: Output is evaluated over $states.input; Assign sets variables later states read as $name."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Pass",
                "Assign": {"total": "{% $sum($states.input.xs) %}"},
                "Output": {"n": "{% $count($states.input.xs) %}"},
                "Next": "B",
            },
            "B": {"Type": "Pass", "Output": "{% {'n': $states.input.n, 'total': $total} %}", "End": True},
        },
    }
    assert runner.output(runner.run(definition, {"xs": [1, 2, 3]})) == {"n": 3, "total": 6}


def test_jsonata_choice_condition_and_map_items(runner: Any) -> None:
    """JSONata Choice Condition and Map Items/ItemSelector with $states.context.Map.Item."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.xs %}",
                "ItemSelector": {"v": "{% $states.context.Map.Item.Value * 10 %}"},
                "ItemProcessor": {
                    "StartAt": "C",
                    "States": {
                        "C": {
                            "Type": "Choice",
                            "Choices": [{"Condition": "{% $states.input.v > 15 %}", "Next": "Hi"}],
                            "Default": "Lo",
                        },
                        "Hi": {"Type": "Pass", "Output": "hi", "End": True},
                        "Lo": {"Type": "Pass", "Output": "lo", "End": True},
                    },
                },
                "End": True,
            }
        },
    }
    assert runner.output(runner.run(definition, {"xs": [1, 2]})) == ["lo", "hi"]


def test_variables_outer_scope_visible_in_map_but_inner_assign_stays_inner(runner: Any) -> None:
    """Variables: inner states read outer variables; an Assign inside an iteration does not leak out."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"base": 100, "mark": "outer"}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% [1, 2] %}",
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {
                        "I": {
                            "Type": "Pass",
                            "Assign": {"mark": "inner"},
                            "Output": "{% $base + $states.input %}",
                            "End": True,
                        }
                    },
                },
                "Next": "After",
            },
            "After": {"Type": "Pass", "Output": "{% {'res': $states.input, 'mark': $mark} %}", "End": True},
        },
    }
    assert runner.output(runner.run(definition)) == {"res": [101, 102], "mark": "outer"}


def test_jsonpath_assign_and_variable_reference(runner: Any) -> None:
    """JSONPath Assign with `.$` paths; later states reference `$name` in Parameters."""
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"who.$": "$.name"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"hello.$": "$who"}, "End": True},
        },
    }
    assert runner.output(runner.run(definition, {"name": "ann"})) == {"hello": "ann"}


def test_history_events_chain_ids_and_carry_io(runner: Any) -> None:
    """History: ids count from 1, previousEventId links them (the first state event points at 0, as every
    history recorded on AWS shows: localstack tests/aws/services/stepfunctions/v2/base/test_base.snapshot.json
    TestSnfBase::test_state_pass_result), state events carry name and input/output."""
    described = runner.run(one({"Type": "Pass", "Result": {"r": 1}}), {"i": 1})
    events = runner.events(described["executionArn"])
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3]
    assert events[1]["stateEnteredEventDetails"] == {
        "name": "S",
        "input": '{"i":1}',
        "inputDetails": {"truncated": False},
    }
    assert json.loads(events[2]["stateExitedEventDetails"]["output"]) == {"r": 1}


def test_runtime_error_cause_names_the_state_and_its_entered_event(runner: Any) -> None:
    """AWS's wording: "An error occurred while executing the state 'X' (entered at the event id #N)"."""
    described = runner.run(one({"Type": "Pass", "Parameters": {"x.$": "$.missing"}}), {"a": 1})
    assert described["error"] == "States.Runtime"
    assert described["cause"].startswith(
        "An error occurred while executing the state 'S' (entered at the event id #2)."
    )
    assert "$.missing" in described["cause"]


def test_failed_map_iteration_anchors_the_siblings_abort_events(runner: Any) -> None:
    """When one iteration fails, AWS points the aborted siblings' events (*StateAborted, MapIterationAborted)
    and MapStateFailed at the failed iteration's last event, without moving the chain (recorded in
    localstack/localstack timeouts/test_timeouts.snapshot.json, test_service_lambda_map_timeout)."""
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "StartAt": "Which",
                    "States": {
                        "Which": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 0, "Next": "Pause"}],
                            "Default": "Sleep",
                        },
                        "Pause": {"Type": "Wait", "Seconds": 100, "Next": "Boom"},  # the sibling starts
                        "Boom": {"Type": "Fail", "Error": "E", "Cause": "c"},
                        "Sleep": {"Type": "Wait", "Seconds": 100000, "End": True},
                    },
                },
                "End": True,
            }
        },
    }
    described = runner.run(definition, [0, 1])
    assert described["status"] == "FAILED" and described["error"] == "E"
    events = runner.events(described["executionArn"])
    by_type = {e["type"]: e for e in events}
    boom = next(e for e in events if e["type"] == "FailStateEntered")
    for kind in ("MapIterationFailed", "WaitStateAborted", "MapIterationAborted", "MapStateFailed"):
        assert by_type[kind]["previousEventId"] == boom["id"], (kind, events)
    assert by_type["ExecutionFailed"]["previousEventId"] == by_type["MapStateFailed"]["id"]
    types = [e["type"] for e in events]
    assert types.index("MapIterationFailed") < types.index("MapIterationAborted")
