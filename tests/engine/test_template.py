"""Payload templates, following AWS's "Filtering state output using InputPath, Parameters and
ResultSelector" (keys ending in ".$"), "ItemSelector (Map)", "ItemBatcher (BatchInput)" and
"Passing data between states with variables" (Assign in JSONPath mode)."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.config import PipelineConfig, load_definition, local_substitutions, placeholder_names
from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.template import evaluate_template

INPUT = {
    "comment": "Example for Parameters.",
    "product": {
        "details": {"color": "blue", "size": "small", "material": "cotton"},
        "availability": "in stock",
        "sku": "2317",
        "cost": "$23",
    },
}


def test_parameters_example_from_aws_docs() -> None:
    template = {
        "comment": "Selecting what I care about.",
        "MyDetails": {
            "size.$": "$.product.details.size",
            "exists.$": "$.product.availability",
            "StaticValue": "foo",
        },
    }
    assert evaluate_template(template, INPUT) == {
        "comment": "Selecting what I care about.",
        "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
    }


def test_static_values_are_copied_as_they_are() -> None:
    template = {"a": 1, "b": [1, {"c": None}], "d": True, "e": "$.not.a.path.without.suffix"}
    assert evaluate_template(template, INPUT) == template


@pytest.mark.parametrize("template", ["text", 5, None, True, [1, "x"], []])
def test_non_object_templates_are_values(template: Any) -> None:
    assert evaluate_template(template, INPUT) == template


def test_paths_inside_arrays_are_evaluated() -> None:
    template = {"list": [{"sku.$": "$.product.sku"}, "plain", [{"c.$": "$.product.cost"}]]}
    assert evaluate_template(template, INPUT) == {"list": [{"sku": "2317"}, "plain", [{"c": "$23"}]]}


def test_whole_input_with_dollar() -> None:
    assert evaluate_template({"Payload.$": "$"}, INPUT) == {"Payload": INPUT}


def test_context_object_fields_aws_context_object() -> None:
    context = {
        "Execution": {"Name": "e1"},
        "Map": {"Item": {"Index": 0, "Value": {"a": "1"}}},
        "Task": {"Token": "tok"},
    }
    template = {
        "index.$": "$$.Map.Item.Index",
        "row.$": "$$.Map.Item.Value",
        "taskToken.$": "$$.Task.Token",
        "execution.$": "$$.Execution.Name",
    }
    assert evaluate_template(template, {}, context=context) == {
        "index": 0,
        "row": {"a": "1"},
        "taskToken": "tok",
        "execution": "e1",
    }


def test_variables_in_jsonpath_templates_aws_variables() -> None:
    out = evaluate_template(
        {"x.$": "$count", "y.$": "$user.name"}, {}, variables={"count": 2, "user": {"name": "Ana"}}
    )
    assert out == {"x": 2, "y": "Ana"}


def test_intrinsic_function_values() -> None:
    out = evaluate_template(
        {"greeting.$": "States.Format('Hi {}', $.product.sku)", "id.$": "States.Array($.product.sku)"}, INPUT
    )
    assert out == {"greeting": "Hi 2317", "id": ["2317"]}


def test_indefinite_paths_give_lists() -> None:
    assert evaluate_template({"all.$": "$.product.details.*"}, INPUT) == {"all": ["blue", "small", "cotton"]}


def test_missing_path_raises_the_callers_error_with_aws_like_cause() -> None:
    with pytest.raises(StatesError) as info:
        evaluate_template({"x.$": "$.x"}, {"a": 1}, error=errors.PARAMETER_PATH_FAILURE)
    assert info.value.error == errors.PARAMETER_PATH_FAILURE
    assert info.value.cause == (
        "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
    )


def test_missing_path_default_error_is_runtime() -> None:
    with pytest.raises(StatesError) as info:
        evaluate_template({"nested": {"x.$": "$.x"}}, {})
    assert info.value.error == errors.RUNTIME


def test_missing_context_field_names_the_context_object() -> None:
    with pytest.raises(StatesError, match="context object"):
        evaluate_template({"t.$": "$$.Task.Token"}, {}, context={"Execution": {}})


def test_undefined_variable_is_reported() -> None:
    with pytest.raises(StatesError, match="not defined"):
        evaluate_template({"t.$": "$nope"}, {}, variables={})


def test_value_that_is_neither_path_nor_intrinsic_fails() -> None:
    for bad in ("not a path", 5):
        with pytest.raises(StatesError):
            evaluate_template({"x.$": bad}, INPUT)


def test_intrinsic_failure_keeps_its_own_error_name() -> None:
    with pytest.raises(StatesError) as info:
        evaluate_template(
            {"x.$": "States.ArrayLength($.product)"}, INPUT, error=errors.PARAMETER_PATH_FAILURE
        )
    assert info.value.error == errors.INTRINSIC_FAILURE


def test_result_does_not_share_structure_with_template_or_input() -> None:
    template = {"static": {"list": [1]}, "dyn.$": "$.product.details"}
    out = evaluate_template(template, INPUT)
    out["static"]["list"].append(2)
    out["dyn"]["color"] = "red"
    assert template["static"] == {"list": [1]}
    assert INPUT["product"]["details"]["color"] == "blue"


def test_project_definition_templates_evaluate() -> None:
    """The real csv_etl definition: Configure turns placeholders into numbers; ResultWriter's prefix."""
    subs = local_substitutions(PipelineConfig())
    subs.update({name: name for name in placeholder_names() - subs.keys()})
    definition = load_definition(subs)
    configure = evaluate_template(definition["States"]["Configure"]["Parameters"], {})
    assert configure == {
        "maxItemsPerBatch": 800,
        "maxInputBytesPerBatch": 163840,
        "maxConcurrency": 10,
        "toleratedFailurePercentage": 0,
    }
    writer = definition["States"]["ProcessRows"]["ResultWriter"]["Parameters"]
    assert evaluate_template(writer, {}, context={"Execution": {"Name": "n1"}}) == {
        "Bucket": "csv-etl-data",
        "Prefix": "results/n1",
    }
    batch_input = definition["States"]["ProcessRows"]["ItemBatcher"]["BatchInput"]
    event = {"detail": {"bucket": {"name": "b"}, "object": {"key": "incoming/x.csv", "etag": "e1"}}}
    assert evaluate_template(batch_input, event, context={"Execution": {"Name": "n1"}}) == {
        "bucket": "b",
        "key": "incoming/x.csv",
        "execution": "n1",
        "etag": "e1",
    }
