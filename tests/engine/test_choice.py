"""Choice state rules, following AWS's "Choice workflow state" (Choice Rules, comparison operators,
Boolean operators And/Or/Not, "Timestamps must conform to RFC3339", StringMatches wildcards) and, for
JSONata states, the `Condition` field of "Transforming data with JSONata"."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.engine import choice, errors
from workflow.engine.asl import Choice
from workflow.engine.asl.choice_rules import ALL_OPERATORS, COMPARISON_OPERATORS, ChoiceRule, parse_rule
from workflow.engine.asl.parse import parse_state
from workflow.engine.choice import is_timestamp, string_matches
from workflow.engine.errors import StatesError


def evaluate_choice_rule(raw: dict[str, Any], data: Any, **kwargs: Any) -> bool:
    """choice.evaluate_choice_rule on a rule written as JSON (parsed into the model first)."""
    return choice.evaluate_choice_rule(parse_rule(raw, top=True), data, **kwargs)


def choice_state(raw: dict[str, Any], query_language: str = "JSONPath") -> Choice:
    state = parse_state("C", {"Type": "Choice", **raw}, query_language)
    assert isinstance(state, Choice)
    return state


def select_choice(raw: dict[str, Any], data: Any, **kwargs: Any) -> tuple[str, ChoiceRule | None]:
    return choice.select_choice(choice_state(raw), data, **kwargs)


def choose_next(
    raw: dict[str, Any],
    data: Any,
    *,
    context: Any = None,
    variables: dict[str, Any] | None = None,
    query_language: str = "JSONPath",
) -> str:
    """The next state of a Choice state written as JSON: the first matching rule's Next, else Default."""
    state = choice_state(raw, query_language)
    return choice.select_choice(state, data, context=context, variables=variables)[0]


DATA: dict[str, Any] = {
    "type": "Private",
    "value": 20,
    "rating": 4.5,
    "flag": True,
    "nothing": None,
    "when": "2016-03-14T01:59:00Z",
    "later": "2016-03-14T02:59:00+01:00",
    "obj": {"a": 1},
    "list": [1, 2],
    "min": 10,
    "name": "log-2019.txt",
}


def rule(operator: str, expected: Any, variable: str = "$.value") -> dict[str, Any]:
    return {"Variable": variable, operator: expected, "Next": "X"}


@pytest.mark.parametrize(
    ("variable", "operator", "expected", "result"),
    [
        ("$.type", "StringEquals", "Private", True),
        ("$.type", "StringEquals", "private", False),
        ("$.type", "StringLessThan", "Q", True),
        ("$.type", "StringGreaterThan", "Q", False),
        ("$.type", "StringLessThanEquals", "Private", True),
        ("$.type", "StringGreaterThanEquals", "Pa", True),
        ("$.value", "StringEquals", "20", False),  # a number is not a string: false, not an error
        ("$.value", "NumericEquals", 20, True),
        ("$.value", "NumericEquals", 20.0, True),
        ("$.value", "NumericLessThan", 30, True),
        ("$.value", "NumericGreaterThan", 20, False),
        ("$.value", "NumericGreaterThanEquals", 20, True),
        ("$.value", "NumericLessThanEquals", 19.5, False),
        ("$.rating", "NumericGreaterThan", 4, True),
        ("$.type", "NumericEquals", 20, False),  # wrong type -> false
        ("$.flag", "NumericEquals", 1, False),  # a boolean is not a number
        ("$.flag", "BooleanEquals", True, True),
        ("$.flag", "BooleanEquals", False, False),
        ("$.value", "BooleanEquals", True, False),
        ("$.when", "TimestampEquals", "2016-03-14T01:59:00Z", True),
        ("$.when", "TimestampEquals", "2016-03-14T02:59:00+01:00", True),  # same instant, other offset
        ("$.when", "TimestampLessThan", "2016-03-14T01:59:00.001Z", True),
        ("$.when", "TimestampGreaterThan", "2016-03-14T01:58:59.999999999Z", True),
        ("$.when", "TimestampLessThanEquals", "2016-03-14T01:59:00Z", True),
        ("$.when", "TimestampGreaterThanEquals", "2017-01-01T00:00:00Z", False),
        ("$.type", "TimestampEquals", "2016-03-14T01:59:00Z", False),  # not a timestamp -> false
        ("$.when", "TimestampEquals", "2016-03-14t01:59:00z", False),  # lowercase t/z are not allowed
        ("$.name", "StringMatches", "log-*.txt", True),
        ("$.name", "StringMatches", "*.TXT", False),
        ("$.name", "StringMatches", "log-2019.txt", True),
        ("$.name", "StringMatches", "*", True),
        ("$.value", "StringMatches", "*", False),
        ("$.nothing", "IsNull", True, True),
        ("$.type", "IsNull", True, False),
        ("$.type", "IsNull", False, True),
        ("$.type", "IsPresent", True, True),
        ("$.missing", "IsPresent", True, False),  # IsPresent never fails on a missing path
        ("$.missing", "IsPresent", False, True),
        ("$.nothing", "IsPresent", True, True),  # null is present
        ("$.value", "IsNumeric", True, True),
        ("$.rating", "IsNumeric", True, True),
        ("$.flag", "IsNumeric", True, False),
        ("$.type", "IsString", True, True),
        ("$.nothing", "IsString", True, False),
        ("$.flag", "IsBoolean", True, True),
        ("$.value", "IsBoolean", False, True),
        ("$.when", "IsTimestamp", True, True),
        ("$.type", "IsTimestamp", True, False),
    ],
)
def test_comparison_operators_aws_choice_rules(
    variable: str, operator: str, expected: Any, result: bool
) -> None:
    assert evaluate_choice_rule(rule(operator, expected, variable), DATA) is result


@pytest.mark.parametrize(
    ("operator", "path", "result"),
    [
        ("NumericGreaterThanPath", "$.min", True),
        ("NumericLessThanPath", "$.min", False),
        ("NumericEqualsPath", "$.value", True),
        ("StringEqualsPath", "$.type", False),  # 20 vs "Private": wrong type
        ("NumericLessThanEqualsPath", "$$.Limit", True),  # a *Path operand may read the context object
        ("NumericGreaterThanEqualsPath", "$limit", False),  # ... or a variable
    ],
)
def test_path_variants_compare_with_another_value_aws_choice_rules(
    operator: str, path: str, result: bool
) -> None:
    assert (
        evaluate_choice_rule(rule(operator, path), DATA, context={"Limit": 20}, variables={"limit": 50})
        is result
    )


def test_timestamp_and_string_path_variants() -> None:
    assert evaluate_choice_rule(rule("TimestampEqualsPath", "$.later", "$.when"), DATA)
    assert evaluate_choice_rule(rule("StringLessThanEqualsPath", "$.type", "$.type"), DATA)
    assert evaluate_choice_rule(rule("BooleanEqualsPath", "$.flag", "$.flag"), DATA)


def test_variable_may_be_a_context_path_or_a_variable() -> None:
    assert evaluate_choice_rule(
        rule("StringEquals", "e1", "$$.Execution.Name"), {}, context={"Execution": {"Name": "e1"}}
    )
    assert evaluate_choice_rule(rule("NumericEquals", 3, "$count"), {}, variables={"count": 3})


def test_missing_variable_path_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as info:
        evaluate_choice_rule(rule("NumericEquals", 1, "$.missing"), DATA)
    assert info.value.error == errors.RUNTIME


def test_missing_comparison_path_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as info:
        evaluate_choice_rule(rule("NumericEqualsPath", "$.missing"), DATA)
    assert info.value.error == errors.RUNTIME


def test_boolean_operators_aws_example() -> None:
    # AWS example: value >= 20 and < 30 -> "ValueInTwenties"
    twenties = {
        "And": [
            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
            {"Variable": "$.value", "NumericLessThan": 30},
        ],
        "Next": "ValueInTwenties",
    }
    assert evaluate_choice_rule(twenties, {"value": 25})
    assert not evaluate_choice_rule(twenties, {"value": 30})
    not_rule = {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"}
    assert not evaluate_choice_rule(not_rule, DATA)
    or_rule = {"Or": [{"Variable": "$.value", "NumericEquals": 1}, not_rule["Not"]], "Next": "X"}
    assert evaluate_choice_rule(or_rule, DATA)


def test_and_short_circuits_so_is_present_guards_a_comparison() -> None:
    guarded = {"And": [{"Variable": "$.opt", "IsPresent": True}, {"Variable": "$.opt", "NumericEquals": 1}]}
    assert not evaluate_choice_rule(guarded, {})
    assert evaluate_choice_rule(guarded, {"opt": 1})


def test_nested_boolean_rules() -> None:
    nested = {
        "Not": {
            "And": [{"Or": [{"Variable": "$.a", "BooleanEquals": True}]}, {"Variable": "$.b", "IsNull": True}]
        }
    }
    assert evaluate_choice_rule(nested, {"a": True, "b": 1})
    assert not evaluate_choice_rule(nested, {"a": True, "b": None})


@pytest.mark.parametrize(
    ("value", "pattern", "result"),
    [
        ("log-2019.txt", "log-*.txt", True),
        ("a*b", "a\\*b", True),  # \* is a literal star
        ("axb", "a\\*b", False),
        ("a\\b", "a\\\\b", True),  # \\ is a literal backslash
        ("", "*", True),
        ("abc", "a*c*", True),
        ("line1\nline2", "line1*", True),
        ("a.b", "a?b", False),  # only * is special
    ],
)
def test_string_matches_wildcards_and_escapes(value: str, pattern: str, result: bool) -> None:
    assert string_matches(value, pattern) is result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ("2016-03-14T01:59:00Z", True),
        ("2016-03-14T01:59:00.123456789Z", True),
        ("2016-03-14T01:59:00+05:30", True),
        ("2016-03-14 01:59:00Z", False),  # the T is required
        ("2016-03-14T01:59:00", False),  # a zone is required
        ("2016-02-30T01:59:00Z", False),
        ("2016-03-14T25:00:00Z", False),
        ("2016-03-14", False),
        (1458000000, False),
    ],
)
def test_is_timestamp_rfc3339_profile(value: Any, result: bool) -> None:
    assert is_timestamp(value) is result


CHOICE_STATE = {
    "Type": "Choice",
    "Choices": [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
        {
            "And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ],
            "Next": "ValueInTwenties",
        },
    ],
    "Default": "DefaultState",
}


@pytest.mark.parametrize(
    ("data", "next_state"),
    [
        ({"type": "Public", "value": 0}, "Public"),  # the first matching rule wins
        ({"type": "Private", "value": 0}, "ValueIsZero"),
        ({"type": "Private", "value": 25}, "ValueInTwenties"),
        ({"type": "Private", "value": 99}, "DefaultState"),
    ],
)
def test_choose_next_first_match_then_default_aws_example(data: dict[str, Any], next_state: str) -> None:
    assert choose_next(CHOICE_STATE, data) == next_state


def test_no_match_and_no_default_is_no_choice_matched() -> None:
    state = {k: v for k, v in CHOICE_STATE.items() if k != "Default"}
    with pytest.raises(StatesError) as info:
        choose_next(state, {"type": "Private", "value": 99})
    assert info.value.error == errors.NO_CHOICE_MATCHED


def test_select_choice_returns_the_rule_for_its_assign() -> None:
    state = {
        "Choices": [{"Variable": "$.v", "IsPresent": True, "Next": "A", "Assign": {"x": 1}}],
        "Default": "D",
    }
    next_state, rule = select_choice(state, {"v": 1})
    assert next_state == "A" and rule is not None and rule.raw == state["Choices"][0]
    assert rule.assign is not None and rule.assign.value == {"x": 1}
    assert select_choice(state, {}) == ("D", None)


JSONATA_STATE = {
    "Type": "Choice",
    "QueryLanguage": "JSONata",
    "Choices": [
        {"Condition": "{% $states.input.value >= 20 and $states.input.value < 30 %}", "Next": "Twenties"},
        {"Condition": "{% $limit < $states.input.value %}", "Next": "AboveLimit"},
    ],
    "Default": "Other",
}


@pytest.mark.parametrize(("value", "next_state"), [(25, "Twenties"), (60, "AboveLimit"), (1, "Other")])
def test_jsonata_conditions_choose_the_next_state(value: int, next_state: str) -> None:
    assert choose_next(JSONATA_STATE, {"value": value}, variables={"limit": 50}) == next_state


def test_jsonata_mode_inherited_from_the_machine() -> None:
    state = {
        "Choices": [{"Condition": "{% $states.context.Execution.Name = 'e' %}", "Next": "A"}],
        "Default": "B",
    }
    assert choose_next(state, {}, context={"Execution": {"Name": "e"}}, query_language="JSONata") == "A"


@pytest.mark.parametrize("condition", ["{% $states.input.value %}", "{% $states.input.missing %}", "true"])
def test_jsonata_condition_must_be_a_boolean(condition: str) -> None:
    state = {"QueryLanguage": "JSONata", "Choices": [{"Condition": condition, "Next": "A"}], "Default": "B"}
    with pytest.raises(StatesError) as info:
        choose_next(state, {"value": 3})
    assert info.value.error == errors.QUERY_EVALUATION_ERROR


def test_every_documented_operator_is_known() -> None:
    for kind in ("String", "Numeric", "Timestamp"):
        for relation in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"):
            assert {kind + relation, kind + relation + "Path"} <= ALL_OPERATORS
    assert {
        "BooleanEquals",
        "BooleanEqualsPath",
        "StringMatches",
        "IsNull",
        "IsPresent",
        "IsNumeric",
        "IsString",
        "IsBoolean",
        "IsTimestamp",
    } <= ALL_OPERATORS
    assert "StringMatchesPath" not in ALL_OPERATORS


@pytest.mark.parametrize("operator", sorted(COMPARISON_OPERATORS))
def test_the_runner_evaluates_every_operator_of_the_one_table(operator: str) -> None:
    """choice.py evaluates the operators of `asl.choice_rules` (one table): a value compared with itself
    (directly or through a `...Path` operand) is Equals, LessThanEquals and GreaterThanEquals, not LessThan
    or GreaterThan ("Choice workflow state", comparison operators)."""
    kind, relation, by_path = COMPARISON_OPERATORS[operator]
    value = {"String": "b", "Numeric": 2, "Boolean": True, "Timestamp": "2016-03-14T01:59:00Z"}[kind]
    rule = {"Variable": "$.v", operator: "$.v" if by_path else value, "Next": "A"}
    expected = relation in ("Equals", "LessThanEquals", "GreaterThanEquals")
    assert evaluate_choice_rule(rule, {"v": value}) is expected


@settings(max_examples=80, deadline=None)
@given(value=st.text(alphabet="ab*\\", max_size=6), pattern=st.text(alphabet="ab*\\", max_size=6))
def test_string_matches_agrees_with_a_reference_matcher(value: str, pattern: str) -> None:
    """AWS StringMatches: '*' matches any run, '\\*' a literal star, '\\\\' a literal backslash."""
    assert string_matches(value, pattern) is _reference_match(value, _tokens(pattern))


def _tokens(pattern: str) -> list[str]:
    """Pattern as tokens: 'ANY' for an unescaped star, otherwise one literal character."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(pattern[i + 1])
            i += 2
        else:
            out.append("ANY" if pattern[i] == "*" else pattern[i])
            i += 1
    return out


def _reference_match(value: str, tokens: list[str]) -> bool:
    if not tokens:
        return value == ""
    head, rest = tokens[0], tokens[1:]
    if head == "ANY":
        return any(_reference_match(value[i:], rest) for i in range(len(value) + 1))
    return bool(value) and value[0] == head and _reference_match(value[1:], rest)
