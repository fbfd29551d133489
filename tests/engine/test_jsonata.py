"""JSONata in Step Functions, following AWS's "Transforming data with JSONata in Step Functions":
`{% %}` strings, `$states` (input, result, errorOutput, context), variables as `$name`, the functions
Step Functions adds ($partition, $range, $hash, $random, $uuid, $parse), `$eval` not available, and
an expression that evaluates to undefined in a field being States.QueryEvaluationError."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.jsonata_eval import (
    evaluate_expression,
    evaluate_jsonata_template,
    is_jsonata_expression,
    validate_jsonata,
)

STATES: dict[str, Any] = {
    "input": {"title": "Doc", "price": 10, "items": [1, 2, 3, 4, 5], "nothing": None, "text": '{"a":[1]}'},
    "result": {"Payload": {"ok": True}},
    "errorOutput": {"Error": "States.Timeout", "Cause": "late"},
    "context": {"Execution": {"Name": "exec-1"}, "State": {"Name": "S"}},
}


def ev(expr: str, variables: dict[str, Any] | None = None) -> Any:
    return evaluate_expression(expr, states=STATES, variables=variables)


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ("{% $states.input %}", True),
        ("{%1%}", True),
        ("{% x", False),
        (" {% 1 %}", False),  # the string must start with {% and end with %}
        ("{% 1 %} ", False),
        ("plain $states.input", False),
        ({"a": "{% 1 %}"}, False),
        (None, False),
    ],
)
def test_is_jsonata_expression_syntax_aws(value: Any, result: bool) -> None:
    assert is_jsonata_expression(value) is result


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("{% $states.input.title %}", "Doc"),
        ("{% $states.input.price * 2 %}", 20),
        ("{% $states.input.price / 4 %}", 2.5),
        ("{% $states.input.nothing %}", None),  # null is a value, unlike undefined
        ("{% $states.result.Payload.ok %}", True),
        ("{% $states.errorOutput.Error %}", "States.Timeout"),
        ("{% $states.context.Execution.Name %}", "exec-1"),
        ("{% $sum($states.input.items) %}", 15),
        ("{% $states.input.items[$ > 3] %}", [4, 5]),
        ("{% $count($states.input.items) %}", 5),
        ("{% 'Hello ' & $states.input.title %}", "Hello Doc"),
        (
            "{% {'t': $states.input.title, 'n': null, 'l': [1, 'a']} %}",
            {"t": "Doc", "n": None, "l": [1, "a"]},
        ),
        ("{% $partition($states.input.items, 2) %}", [[1, 2], [3, 4], [5]]),
        ("{% $range(0, 10, 2) %}", [0, 2, 4, 6, 8, 10]),
        ("{% $range(3, 1, -1) %}", [3, 2, 1]),
        ("{% $hash('input data', 'SHA-256') %}", hashlib.sha256(b"input data").hexdigest()),
        ("{% $parse($states.input.text) %}", {"a": [1]}),
        ("{% ( $x := 2; $x * $states.input.price ) %}", 20),
        ("{% $string($states.input.price) %}", "10"),
    ],
)
def test_expressions_evaluate_against_states(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_variables_are_bound_by_name_aws_variables() -> None:
    assert ev("{% $customerName & '!' %}", {"customerName": "Ana"}) == "Ana!"
    assert ev("{% $order.total + 1 %}", {"order": {"total": 41}}) == 42


def test_random_with_seed_is_repeatable_and_in_unit_interval() -> None:
    a, b = ev("{% $random(7) %}"), ev("{% $random(7) %}")
    assert a == b and 0 <= a < 1
    assert 0 <= ev("{% $random() %}") < 1


def test_uuid_is_a_fresh_v4_uuid() -> None:
    first, second = ev("{% $uuid() %}"), ev("{% $uuid() %}")
    assert len(first) == 36 and first[14] == "4" and first != second


def test_templates_evaluate_expressions_inside_objects_and_arrays() -> None:
    template = {
        "static": "Hello",
        "title": "{% $states.input.title %}",
        "not-evaluated": "$customerName",
        "nested": {"list": ["{% $states.input.price %}", 1, {"deep": "{% $name %}"}]},
        "number": 5,
        "nothing": None,
    }
    assert evaluate_jsonata_template(template, states=STATES, variables={"name": "n"}) == {
        "static": "Hello",
        "title": "Doc",
        "not-evaluated": "$customerName",
        "nested": {"list": [10, 1, {"deep": "n"}]},
        "number": 5,
        "nothing": None,
    }


def test_whole_field_may_be_one_expression() -> None:
    assert evaluate_jsonata_template("{% $states.input.items[0] %}", states=STATES) == 1


@pytest.mark.parametrize("expr", ["{% $states.input.missing %}", "{% $states.input.items[$ > 10] %}"])
def test_undefined_result_is_query_evaluation_error_aws(expr: str) -> None:
    with pytest.raises(StatesError) as info:
        evaluate_jsonata_template({"Arguments": {"x": expr}}, states=STATES)
    assert info.value.error == errors.QUERY_EVALUATION_ERROR
    assert "Arguments/x" in info.value.cause
    assert "undefined" in info.value.cause


@pytest.mark.parametrize(
    "expr",
    [
        "{% $eval('1 + 1') %}",  # $eval is not available in Step Functions
        "{% 1 + %}",  # syntax error
        "{% $states.input.title + 1 %}",  # type error
        "{% $partition($states.input.items, 0) %}",
        "{% $range(1, 5000, 1) %}",
        "{% $hash('x', 'CRC32') %}",
        "{% $parse('{not json') %}",
        "{% $nosuchfunction(1) %}",
        "{%  %}",
        "{% function($x) { $x } %}",  # a function is not JSON
        "{% $parse('Infinity') %}",
    ],
)
def test_errors_are_query_evaluation_error(expr: str) -> None:
    with pytest.raises(StatesError) as info:
        ev(expr)
    assert info.value.error == errors.QUERY_EVALUATION_ERROR


def test_validate_jsonata_reports_syntax_errors_only() -> None:
    assert validate_jsonata("{% $states.input.a %}") is None
    assert validate_jsonata("{% $states.input.a[ %}") is not None


def test_input_is_not_modified() -> None:
    states = {"input": {"a": [1, 2]}}
    out = evaluate_jsonata_template({"x": "{% $states.input.a %}"}, states=states)
    out["x"].append(3)
    assert states["input"] == {"a": [1, 2]}


def test_concurrent_evaluation_is_isolated() -> None:
    """Map iterations run on threads and share compiled expressions; bindings must not leak."""

    def run(i: int) -> Any:
        return evaluate_expression(
            "{% $states.input.v * 2 + $k %}", states={"input": {"v": i}}, variables={"k": i}
        )

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(400)))
    assert results == [3 * i for i in range(400)]
