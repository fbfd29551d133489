"""Definition validation shaped like the ValidateStateMachineDefinition API (diagnostic codes from
"ValidateStateMachineDefinitionDiagnostic"), checking the rules of the Amazon States Language reference
("States", "Common state fields", "Choice", "Wait", "Fail", "Parallel", "Map" (inline and distributed:
ItemReader, ItemBatcher, ResultWriter, ToleratedFailure*), "Handling errors" (Retry/Catch)) and the
JSONata/JSONPath field sets of "Transforming data with JSONata"."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from workflow.config import (
    PipelineConfig,
    definition_text,
    load_definition,
    local_substitutions,
    placeholder_names,
)
from workflow.engine.validation import validate_definition

BASE: dict[str, Any] = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Next": "Last"},
        "Last": {"Type": "Succeed"},
    },
}


def machine(**states: dict[str, Any]) -> dict[str, Any]:
    """BASE with states replaced or added (First -> ... -> Last)."""
    doc = copy.deepcopy(BASE)
    doc["States"].update(states)
    return doc


def codes(definition: Any, severity: str = "ERROR") -> list[tuple[str, str]]:
    return [(d["code"], d["location"]) for d in validate_definition(definition, severity=severity)]


def assert_invalid(
    definition: Any, code: str = "SCHEMA_VALIDATION_FAILED", location: str | None = None
) -> None:
    found = codes(definition)
    assert any(c == code and (location is None or loc == location) for c, loc in found), found


def assert_valid(definition: Any) -> None:
    assert validate_definition(definition) == []


# ----------------------------------------------------------------------------- the project's definition


def test_project_definition_is_valid_after_substitution() -> None:
    subs = local_substitutions(PipelineConfig())
    subs.update({name: name for name in placeholder_names() - subs.keys()})
    assert validate_definition(load_definition(subs), severity="WARNING") == []


def test_project_definition_text_with_placeholders_is_valid() -> None:
    assert validate_definition(definition_text()) == []


# ------------------------------------------------------------------------------------ document level


def test_valid_minimal_definitions() -> None:
    assert_valid(BASE)
    assert_valid(json.dumps(BASE))
    assert_valid({"StartAt": "Only", "States": {"Only": {"Type": "Succeed"}}})


@pytest.mark.parametrize("text", ["{", "not json", '{"StartAt": "A",}'])
def test_json_syntax_errors_are_invalid_json_description(text: str) -> None:
    assert codes(text) == [("INVALID_JSON_DESCRIPTION", "/")]


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_empty_definition_is_missing_description(empty: Any) -> None:
    assert codes(empty)[0][0] == "MISSING_DESCRIPTION"


def test_definition_must_be_an_object() -> None:
    assert_invalid("[1, 2]", location="/")


def test_start_at_must_name_a_state() -> None:
    """AWS: "MISSING_TRANSITION_TARGET: Missing 'Next' target: Nope at /StartAt", and every state is then
    unreachable ("State "First" is not reachable. at /States/First")."""
    doc = copy.deepcopy(BASE)
    doc["StartAt"] = "Nope"
    assert validate_definition(doc) == [
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": "Missing 'Next' target: Nope",
            "location": "/StartAt",
        },
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": 'State "First" is not reachable.',
            "location": "/States/First",
        },
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": 'State "Last" is not reachable.',
            "location": "/States/Last",
        },
    ]


@pytest.mark.parametrize("missing", ["StartAt", "States"])
def test_start_at_and_states_are_required(missing: str) -> None:
    doc = copy.deepcopy(BASE)
    del doc[missing]
    assert_invalid(doc)


def test_unknown_top_level_field() -> None:
    doc = {**BASE, "Startat": "x"}
    assert_invalid(doc, location="/Startat")


def test_top_level_optional_fields_are_accepted() -> None:
    assert_valid(
        {**BASE, "Comment": "c", "Version": "1.0", "TimeoutSeconds": 60, "QueryLanguage": "JSONPath"}
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("TimeoutSeconds", 0), ("TimeoutSeconds", "60"), ("QueryLanguage", "XPath"), ("Version", 1)],
)
def test_bad_top_level_values(field: str, value: Any) -> None:
    assert_invalid({**BASE, field: value}, location=f"/{field}")


def test_duplicate_state_names_in_the_text() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}'
    assert_invalid(text, "DUPLICATE_STATE_NAME", "/States/A")


def test_state_names_are_unique_across_nested_machines() -> None:
    doc = machine(
        First={
            "Type": "Parallel",
            "Next": "Last",
            "Branches": [{"StartAt": "Last", "States": {"Last": {"Type": "Succeed"}}}],
        }
    )
    assert_invalid(doc, "DUPLICATE_STATE_NAME")


def test_state_name_longer_than_80_characters() -> None:
    name = "N" * 81
    assert_invalid({"StartAt": name, "States": {name: {"Type": "Succeed"}}}, "INVALID_STATE_NAME")


# -------------------------------------------------------------------------------- states in general


def test_unknown_state_type() -> None:
    assert_invalid(machine(First={"Type": "Passs", "Next": "Last"}), location="/States/First/Type")


def test_unknown_field_on_a_state() -> None:
    assert_invalid(
        machine(First={"Type": "Pass", "Next": "Last", "Bogus": 1}), location="/States/First/Bogus"
    )


def test_field_of_another_state_type_is_not_allowed() -> None:
    assert_invalid(
        machine(First={"Type": "Pass", "Next": "Last", "Resource": "arn:aws:x"}),
        location="/States/First/Resource",
    )


def test_next_target_must_exist() -> None:
    assert_invalid(
        machine(First={"Type": "Pass", "Next": "Nowhere"}), "MISSING_TRANSITION_TARGET", "/States/First/Next"
    )


def test_next_and_end_are_exclusive() -> None:
    assert_invalid(machine(First={"Type": "Pass", "Next": "Last", "End": True}), location="/States/First/End")


def test_non_terminal_state_needs_next_or_end() -> None:
    assert_invalid(machine(First={"Type": "Pass"}), location="/States/First")


@pytest.mark.parametrize("kind", ["Succeed", "Fail", "Choice"])
def test_terminal_and_choice_states_cannot_have_next_or_end(kind: str) -> None:
    extra = {"Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "Last"}]} if kind == "Choice" else {}
    assert_invalid(machine(First={"Type": kind, "Next": "Last", **extra}), location="/States/First/Next")


def test_machine_without_a_terminal_state_is_missing_end_state() -> None:
    doc = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}
    assert_invalid(doc, "MISSING_END_STATE")


def test_unreachable_state_is_reported_like_aws() -> None:
    """AWS: 'MISSING_TRANSITION_TARGET: State "Orphan" is not reachable. at /States/Orphan'."""
    assert validate_definition(machine(Orphan={"Type": "Succeed"})) == [
        {
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": 'State "Orphan" is not reachable.',
            "location": "/States/Orphan",
        }
    ]


def test_states_reached_only_through_catch_or_default_are_reachable() -> None:
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Next": "C",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
            },
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Done"}],
                "Default": "Other",
            },
            "Other": {"Type": "Succeed"},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail"},
        },
    }
    assert_valid(doc)


# ------------------------------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("InputPath", "$.a", True),
        ("InputPath", None, True),
        ("InputPath", "$$.Execution.Input", True),
        ("InputPath", "a.b", False),
        ("OutputPath", "$.a[", False),
        ("ResultPath", "$.result", True),
        ("ResultPath", None, True),
        ("ResultPath", "$", True),
        ("ResultPath", "$.a[*]", False),  # ResultPath must be a ReferencePath
        ("ResultPath", "$$.Execution", False),
        ("ResultPath", "$.a..b", False),
    ],
)
def test_path_fields_aws_paths(field: str, value: Any, ok: bool) -> None:
    doc = machine(First={"Type": "Pass", "Next": "Last", field: value})
    if ok:
        assert_valid(doc)
    else:
        assert_invalid(doc, location=f"/States/First/{field}")


@pytest.mark.parametrize(
    ("template", "ok"),
    [
        ({"a.$": "$.x", "b": "static", "c": {"d.$": "$$.Execution.Id"}}, True),
        ({"a.$": "States.Format('{}', $.x)"}, True),
        ({"list": [{"a.$": "$.x"}]}, True),
        ({"a.$": "$v.x"}, True),
        ({"a.$": "x"}, False),
        ({"a.$": 5}, False),
        ({"a.$": "States.Format('{}', $.x"}, False),
        ({"nested": [{"a.$": "$.x["}]}, False),
    ],
)
def test_parameters_templates_aws_parameters(template: dict[str, Any], ok: bool) -> None:
    doc = machine(First={"Type": "Pass", "Next": "Last", "Parameters": template})
    assert (validate_definition(doc) == []) is ok


def test_no_dollar_warning_for_a_path_in_a_static_field() -> None:
    doc = machine(First={"Type": "Pass", "Next": "Last", "Parameters": {"a": "$.x"}})
    assert codes(doc) == []
    assert ("NO_DOLLAR", "/States/First/Parameters/a") in codes(doc, "WARNING")


def test_pass_result_is_static_warning() -> None:
    doc = machine(First={"Type": "Pass", "Next": "Last", "Result": {"a.$": "$.x"}})
    assert ("PASS_RESULT_IS_STATIC", "/States/First/Result/a.$") in codes(doc, "WARNING")


def test_result_and_parameters_together_are_invalid() -> None:
    assert_invalid(machine(First={"Type": "Pass", "Next": "Last", "Result": 1, "Parameters": {}}))


# -------------------------------------------------------------------------------------------- Task

TASK = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Last"}


def task(**fields: Any) -> dict[str, Any]:
    return machine(First={**TASK, **fields})


def test_task_needs_a_resource() -> None:
    doc = machine(First={"Type": "Task", "Next": "Last"})
    assert_invalid(doc, location="/States/First")


def test_task_resource_must_be_an_arn() -> None:
    assert_invalid(task(Resource="my-function"), "INVALID_RESOURCE", "/States/First/Resource")


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"TimeoutSeconds": 60, "HeartbeatSeconds": 10}, True),
        ({"TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h"}, True),
        ({"TimeoutSeconds": 0}, False),
        ({"TimeoutSeconds": 1.5}, False),
        ({"HeartbeatSeconds": 60, "TimeoutSeconds": 60}, False),  # heartbeat must be below the timeout
        ({"TimeoutSeconds": 5, "TimeoutSecondsPath": "$.t"}, False),
        ({"TimeoutSecondsPath": "$.t[*]"}, False),
        ({"ResultSelector": {"a.$": "$.Payload"}}, True),
        ({"Credentials": {"RoleArn.$": "$.role"}}, True),
    ],
)
def test_task_fields(fields: dict[str, Any], ok: bool) -> None:
    assert (validate_definition(task(**fields)) == []) is ok


@pytest.mark.parametrize(
    ("retry", "ok"),
    [
        (
            [
                {
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                    "BackoffRate": 2.0,
                    "MaxDelaySeconds": 10,
                    "JitterStrategy": "FULL",
                }
            ],
            True,
        ),
        ([{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 0}], True),
        ([{"ErrorEquals": []}], False),
        ([{"IntervalSeconds": 1}], False),
        ([{"ErrorEquals": ["States.ALL", "States.Timeout"]}], False),  # States.ALL must be alone
        ([{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}], False),  # ... and last
        ([{"ErrorEquals": ["X"], "BackoffRate": 0.5}], False),
        ([{"ErrorEquals": ["X"], "IntervalSeconds": 0}], False),
        ([{"ErrorEquals": ["X"], "MaxAttempts": -1}], False),
        ([{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}], False),
        ([{"ErrorEquals": ["X"], "Next": "Last"}], False),
        ({"ErrorEquals": ["X"]}, False),
    ],
)
def test_retry_fields_aws_error_handling(retry: Any, ok: bool) -> None:
    assert (validate_definition(task(Retry=retry)) == []) is ok


@pytest.mark.parametrize(
    ("catch", "ok"),
    [
        ([{"ErrorEquals": ["States.ALL"], "Next": "Last", "ResultPath": "$.error"}], True),
        ([{"ErrorEquals": ["States.ALL"], "Next": "Last", "ResultPath": None}], True),
        ([{"ErrorEquals": ["States.ALL"], "Next": "Last", "Assign": {"err.$": "$.Cause"}}], True),
        ([{"ErrorEquals": ["States.ALL"]}], False),
        ([{"ErrorEquals": ["States.ALL"], "Next": "Nowhere"}], False),
        ([{"ErrorEquals": ["States.ALL"], "Next": "Last", "ResultPath": "$.a[*]"}], False),
        ([{"ErrorEquals": ["States.ALL"], "Next": "Last", "Output": {}}], False),  # JSONata only
    ],
)
def test_catch_fields_aws_error_handling(catch: Any, ok: bool) -> None:
    assert (validate_definition(task(Catch=catch)) == []) is ok


# ------------------------------------------------------------------------------------------ Choice


def choice(*rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return machine(First={"Type": "Choice", "Choices": list(rules), "Default": "Last", **fields})


@pytest.mark.parametrize(
    ("rule", "ok"),
    [
        ({"Variable": "$.a", "StringEquals": "x", "Next": "Last"}, True),
        ({"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b", "Next": "Last"}, True),
        ({"Variable": "$.a", "TimestampLessThan": "2016-03-14T01:59:00Z", "Next": "Last"}, True),
        (
            {
                "And": [{"Variable": "$.a", "IsPresent": True}, {"Not": {"Variable": "$.a", "IsNull": True}}],
                "Next": "Last",
            },
            True,
        ),
        ({"Variable": "$.a", "StringMatches": "log-*.txt", "Next": "Last", "Assign": {"x": 1}}, True),
        ({"Variable": "$.a", "StringEquals": 1, "Next": "Last"}, False),
        ({"Variable": "$.a", "NumericEquals": "1", "Next": "Last"}, False),
        ({"Variable": "$.a", "BooleanEquals": "true", "Next": "Last"}, False),
        ({"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "Last"}, False),
        ({"Variable": "$.a", "IsNull": "yes", "Next": "Last"}, False),
        ({"Variable": "$.a", "StringEqualsPath": "a", "Next": "Last"}, False),
        ({"Variable": "$.a", "StringEquals": "x", "NumericEquals": 1, "Next": "Last"}, False),
        ({"Variable": "$.a", "Next": "Last"}, False),
        ({"StringEquals": "x", "Next": "Last"}, False),
        ({"Variable": "a", "StringEquals": "x", "Next": "Last"}, False),
        ({"Variable": "$.a", "StringEquals": "x"}, False),  # a top-level rule needs Next
        ({"Variable": "$.a", "StringEquals": "x", "Next": "Nowhere"}, False),
        ({"And": [], "Next": "Last"}, False),
        # a nested rule cannot have Next
        ({"And": [{"Variable": "$.a", "IsNull": True, "Next": "Last"}], "Next": "Last"}, False),
        ({"Not": [{"Variable": "$.a", "IsNull": True}], "Next": "Last"}, False),
        ({"Variable": "$.a", "StringMatchesPath": "$.b", "Next": "Last"}, False),
        ({"Condition": "{% true %}", "Next": "Last"}, False),  # JSONata rule in a JSONPath state
    ],
)
def test_choice_rules_aws_choice_state(rule: dict[str, Any], ok: bool) -> None:
    assert (validate_definition(choice(rule)) == []) is ok


def test_choice_needs_choices() -> None:
    assert_invalid(choice(), location="/States/First/Choices")


def test_choice_default_must_exist() -> None:
    doc = choice({"Variable": "$.a", "IsNull": True, "Next": "Last"}, Default="Nowhere")
    assert_invalid(doc, "MISSING_TRANSITION_TARGET", "/States/First/Default")


# -------------------------------------------------------------------------------------- Wait / Fail


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"Seconds": 10}, True),
        ({"SecondsPath": "$.s"}, True),
        ({"Timestamp": "2016-03-14T01:59:00Z"}, True),
        ({"TimestampPath": "$.t"}, True),
        ({}, False),
        ({"Seconds": 10, "Timestamp": "2016-03-14T01:59:00Z"}, False),
        ({"Seconds": -1}, False),
        ({"Timestamp": "2016-03-14"}, False),
    ],
)
def test_wait_state_aws_wait(fields: dict[str, Any], ok: bool) -> None:
    assert (validate_definition(machine(First={"Type": "Wait", "Next": "Last", **fields})) == []) is ok


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"Error": "E", "Cause": "C"}, True),
        ({"ErrorPath": "$.e", "CausePath": "States.JsonToString($.c)"}, True),  # intrinsics allowed
        ({"Error": "E", "ErrorPath": "$.e"}, False),
        ({"Error": 5}, False),
        ({"CausePath": "nope"}, False),
    ],
)
def test_fail_state_aws_fail(fields: dict[str, Any], ok: bool) -> None:
    doc = {"StartAt": "F", "States": {"F": {"Type": "Fail", **fields}}}
    assert (validate_definition(doc) == []) is ok


# ----------------------------------------------------------------------------------------- Parallel


def test_parallel_branches_are_validated_recursively() -> None:
    good = machine(
        First={
            "Type": "Parallel",
            "Next": "Last",
            "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
                {"StartAt": "B2", "States": {"B2": {"Type": "Succeed"}}},
            ],
        }
    )
    assert_valid(good)
    bad = copy.deepcopy(good)
    bad["States"]["First"]["Branches"][1]["States"]["B2"] = {"Type": "Pass", "Next": "Last"}
    # Next cannot leave the branch: "Last" is not in the branch's scope
    assert_invalid(bad, "MISSING_TRANSITION_TARGET", "/States/First/Branches/1/States/B2/Next")


def test_parallel_needs_branches() -> None:
    assert_invalid(machine(First={"Type": "Parallel", "Next": "Last", "Branches": []}))


# ---------------------------------------------------------------------------------------------- Map

INNER = {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}}


def map_state(**fields: Any) -> dict[str, Any]:
    return machine(First={"Type": "Map", "Next": "Last", **fields})


DISTRIBUTED = {**INNER, "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"ItemProcessor": INNER, "ItemsPath": "$.items", "MaxConcurrency": 2}, True),
        ({"Iterator": INNER, "Parameters": {"x.$": "$$.Map.Item.Value"}}, True),  # legacy fields
        (
            {"ItemProcessor": {**INNER, "ProcessorConfig": {"Mode": "INLINE"}}, "ItemSelector": {"a.$": "$"}},
            True,
        ),
        ({}, False),
        ({"ItemProcessor": INNER, "Iterator": INNER}, False),
        ({"ItemProcessor": INNER, "ItemsPath": "$.items[*]"}, False),
        ({"ItemProcessor": INNER, "MaxConcurrency": -1}, False),
        ({"ItemProcessor": INNER, "MaxConcurrency": 1, "MaxConcurrencyPath": "$.m"}, False),
        ({"ItemProcessor": INNER, "ItemSelector": {}, "Parameters": {}}, False),
        ({"ItemProcessor": INNER, "ToleratedFailurePercentage": 5}, False),  # distributed only
        ({"ItemProcessor": INNER, "ItemBatcher": {"MaxItemsPerBatch": 5}}, False),  # distributed only
        ({"ItemProcessor": {**INNER, "ProcessorConfig": {"Mode": "PARALLEL"}}}, False),
        # DISTRIBUTED needs an ExecutionType
        ({"ItemProcessor": {**INNER, "ProcessorConfig": {"Mode": "DISTRIBUTED"}}}, False),
        ({"ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "Next": "Last"}}}}, False),
    ],
)
def test_inline_map_aws_map_state(fields: dict[str, Any], ok: bool) -> None:
    assert (validate_definition(map_state(**fields)) == []) is ok


READER = {
    "Resource": "arn:aws:states:::s3:getObject",
    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
    "Parameters": {"Bucket.$": "$.bucket", "Key": "data.csv"},
}


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        (
            {
                "ItemReader": READER,
                "ItemBatcher": {"MaxItemsPerBatch": 100, "BatchInput": {"k.$": "$.k"}},
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "b", "Prefix": "p"},
                },
                "ToleratedFailurePercentage": 5,
                "ToleratedFailureCount": 10,
                "Label": "Rows",
                "MaxConcurrency": 10,
            },
            True,
        ),
        ({"ItemBatcher": {"MaxItemsPerBatchPath": "$.n", "MaxInputBytesPerBatchPath": "$.b"}}, True),
        ({"ToleratedFailurePercentagePath": "$.p", "ToleratedFailureCountPath": "$.c"}, True),
        (
            {
                "ItemReader": {
                    **READER,
                    "ReaderConfig": {
                        "InputType": "CSV",
                        "CSVHeaderLocation": "GIVEN",
                        "CSVHeaders": ["a"],
                        "MaxItems": 10,
                    },
                }
            },
            True,
        ),
        ({"ItemReader": {**READER, "ReaderConfig": {"InputType": "XML"}}}, False),
        (
            {"ItemReader": {**READER, "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "GIVEN"}}},
            False,
        ),
        ({"ItemReader": {**READER, "ReaderConfig": {"InputType": "CSV", "Bogus": 1}}}, False),
        ({"ItemReader": {"ReaderConfig": {"InputType": "CSV"}}}, False),  # needs a Resource
        ({"ItemReader": READER, "ItemsPath": "$.items"}, False),
        ({"ItemBatcher": {}}, False),
        ({"ItemBatcher": {"MaxItemsPerBatch": 0}}, False),
        ({"ItemBatcher": {"MaxItemsPerBatch": 5, "MaxItemsPerBatchPath": "$.n"}}, False),
        ({"ItemBatcher": {"MaxItemsPerBatchPath": "$.n[*]"}}, False),
        ({"ItemBatcher": {"MaxItemsPerBatch": 5, "BatchInput": {"k.$": "nope"}}}, False),
        ({"ToleratedFailurePercentage": 101}, False),
        ({"ToleratedFailureCount": -1}, False),
        ({"ResultWriter": {"Parameters": {"Bucket": "b"}}}, False),
        ({"Label": "has space"}, False),
        ({"Label": "x" * 41}, False),
    ],
)
def test_distributed_map_aws_distributed_map(fields: dict[str, Any], ok: bool) -> None:
    assert (validate_definition(map_state(ItemProcessor=DISTRIBUTED, **fields)) == []) is ok


# ------------------------------------------------------------------------------ JSONata vs JSONPath


def jsonata_machine(**first: Any) -> dict[str, Any]:
    doc = machine(First={"Type": "Pass", "Next": "Last", **first})
    doc["QueryLanguage"] = "JSONata"
    return doc


@pytest.mark.parametrize(
    ("first", "ok"),
    [
        ({"Output": {"a": "{% $states.input.a %}"}}, True),
        ({"Output": "{% $states.input %}", "Assign": {"x": "{% 1 %}"}}, True),
        ({"Parameters": {}}, False),  # JSONPath field in a JSONata state
        ({"InputPath": "$.a"}, False),
        ({"ResultPath": "$.a"}, False),
        ({"Output": "{% $states.input.a[ %}"}, False),  # JSONata syntax error
        ({"Assign": {"bad-name": 1}}, False),
    ],
)
def test_jsonata_pass_state_fields_aws_jsonata(first: dict[str, Any], ok: bool) -> None:
    assert (validate_definition(jsonata_machine(**first)) == []) is ok


def test_jsonata_task_and_choice_are_valid() -> None:
    doc = {
        "QueryLanguage": "JSONata",
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}",
                "TimeoutSeconds": "{% $timeout %}",
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Next": "Done", "Output": "{% $states.errorOutput %}"}
                ],
                "Next": "C",
            },
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.ok %}", "Next": "Done", "Output": {"ok": True}}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    assert_valid(doc)


def test_jsonata_choice_rule_needs_a_condition() -> None:
    doc = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "D"}],
                "Default": "D",
            },
            "D": {"Type": "Succeed"},
        },
    }
    assert_invalid(doc)


def test_state_may_switch_to_jsonata_but_not_back() -> None:
    ok = machine(First={"Type": "Pass", "Next": "Last", "QueryLanguage": "JSONata", "Output": "{% 1 %}"})
    assert_valid(ok)
    bad = jsonata_machine()
    bad["States"]["First"]["QueryLanguage"] = "JSONPath"
    assert_invalid(bad, location="/States/First/QueryLanguage")


def test_jsonpath_assign_uses_dollar_keys() -> None:
    assert_valid(machine(First={"Type": "Pass", "Next": "Last", "Assign": {"total.$": "$.n", "fixed": 1}}))
    assert_invalid(machine(First={"Type": "Pass", "Next": "Last", "Assign": {"total.$": "n"}}))


def test_severity_filters_warnings() -> None:
    doc = machine(First={"Type": "Pass", "Next": "Last", "Parameters": {"a": "$.x"}})
    assert validate_definition(doc, severity="ERROR") == []
    diagnostics = validate_definition(doc, severity="WARNING")
    assert diagnostics and {d["severity"] for d in diagnostics} == {"WARNING"}
    assert set(diagnostics[0]) == {"severity", "code", "message", "location"}
