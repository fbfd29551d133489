"""JSONPath as Step Functions evaluates it.

AWS docs followed: "Using JSONPath paths" (Paths, Reference Paths, the context object `$$`),
"Filtering state output using InputPath, Parameters and ResultSelector", "Specifying state output
using ResultPath" and "OutputPath", and "Passing data between states with variables" (`$name`).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.paths import (
    MISSING,
    PathNotFound,
    PathSyntaxError,
    apply_input_path,
    apply_output_path,
    apply_result_path,
    evaluate_path,
    is_reference_path,
    is_valid_path,
)

DATA: dict[str, Any] = {
    "foo": 123,
    "bar": ["a", "b", "c"],
    "car": {"cdr": True},
    "a.b": "dotted key",
    "with space": 1,
    "books": [
        {"title": "A", "price": 8.95, "tags": ["x"]},
        {"title": "B", "price": 12.99, "isbn": "0-553"},
        {"title": "C", "price": 22.99, "isbn": "0-395"},
    ],
    "nested": {"books": [{"title": "D", "price": 1}]},
    "nothing": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.foo", 123),  # AWS "Paths" example: $.foo -> 123
        ("$.bar", ["a", "b", "c"]),
        ("$.car.cdr", True),  # AWS "Paths" example: $.car.cdr -> true
        ("$.bar[0]", "a"),
        ("$.bar[-1]", "c"),
        ("$['a.b']", "dotted key"),
        ('$["with space"]', 1),
        ("$.books[1].title", "B"),
        ("$['books'][2]['isbn']", "0-395"),
        ("$.nothing", None),
    ],
)
def test_reference_paths_select_one_node_aws_paths(path: str, expected: Any) -> None:
    assert evaluate_path(path, DATA) == expected
    assert is_reference_path(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.bar[*]", ["a", "b", "c"]),
        ("$.books[*].title", ["A", "B", "C"]),
        ("$.books[0,2].title", ["A", "C"]),
        ("$.books[0:2].title", ["A", "B"]),
        ("$.books[1:].title", ["B", "C"]),
        ("$.books[-1:].title", ["C"]),
        ("$.bar[::2]", ["a", "c"]),
        ("$..title", ["A", "B", "C", "D"]),
        ("$..books[0].title", ["A", "D"]),
        ("$.car.*", [True]),
        ("$.books[?(@.price < 10)].title", ["A"]),
        ("$.books[?(@.price >= 12.99)].title", ["B", "C"]),
        ("$.books[?(@.isbn)].title", ["B", "C"]),
        ("$.books[?(!@.isbn)].title", ["A"]),
        ("$.books[?(@.title == 'B')].price", [12.99]),
        ('$.books[?(@.title != "B")].title', ["A", "C"]),
        ("$.books[?(@.price > 10 && @.isbn == '0-395')].title", ["C"]),
        ("$.books[?(@.price < 10 || @.title == 'C')].title", ["A", "C"]),
        ("$.books[?(@.title =~ /b|c/i)].title", ["B", "C"]),
        ("$.books[?(@.title in ['A', 'C'])].title", ["A", "C"]),
        ("$.books[?(@.title nin ['A', 'C'])].title", ["B"]),
        ("$.books[?(@.price > $.foo)].title", []),
        ("$.books[?(@.missing > 1)]", []),
        ("$.books[?(@.title > 1)]", []),  # comparing a string with a number matches nothing
        ("$.missing[*]", []),  # indefinite paths skip branches that do not exist (Jayway)
        ("$.books[*].isbn", ["0-553", "0-395"]),
    ],
)
def test_indefinite_paths_return_a_list_jayway_semantics(path: str, expected: Any) -> None:
    assert evaluate_path(path, DATA) == expected
    assert not is_reference_path(path)


@pytest.mark.parametrize("path", ["$.missing", "$.bar[3]", "$.foo.x", "$.car[0]", "$.bar.x", "$.nothing.x"])
def test_definite_path_that_selects_nothing_raises_path_not_found(path: str) -> None:
    with pytest.raises(PathNotFound) as info:
        evaluate_path(path, DATA)
    assert info.value.error == errors.RUNTIME
    assert path in info.value.cause


def test_path_not_found_cause_uses_jaywayss_bracket_form() -> None:
    with pytest.raises(PathNotFound) as info:
        evaluate_path("$.a.b[0]", {"a": {}})
    assert info.value.cause == "Invalid path '$.a.b[0]' : No results for path: $['a']['b'][0]"


def test_context_object_is_reached_with_double_dollar_aws_context_object() -> None:
    context = {"Execution": {"Id": "arn:x", "Name": "n"}, "Map": {"Item": {"Index": 3, "Value": {"a": 1}}}}
    assert evaluate_path("$$.Execution.Name", DATA, context=context) == "n"
    assert evaluate_path("$$.Map.Item.Value.a", DATA, context=context) == 1
    assert evaluate_path("$$", DATA, context=context) == context
    with pytest.raises(PathNotFound):
        evaluate_path("$$.Task.Token", DATA, context=context)


def test_variables_are_reached_with_dollar_name_aws_variables() -> None:
    variables = {"total": 3, "user": {"name": "Ana", "roles": ["admin", "dev"]}}
    assert evaluate_path("$total", {}, variables=variables) == 3
    assert evaluate_path("$user.name", {}, variables=variables) == "Ana"
    assert evaluate_path("$user.roles[1]", {}, variables=variables) == "dev"
    assert evaluate_path("$user.roles[*]", {}, variables=variables) == ["admin", "dev"]


def test_undefined_variable_is_path_not_found() -> None:
    with pytest.raises(PathNotFound, match="not defined"):
        evaluate_path("$nope", {}, variables={"x": 1})


@pytest.mark.parametrize(
    "path", ["", "foo", "$.", "$[", "$.a[", "$.a[?(@.x > )]", "$.a[1:2:0]", "$..", "$.a.length()"]
)
def test_malformed_paths_are_syntax_errors(path: str) -> None:
    assert not is_valid_path(path)
    with pytest.raises(PathSyntaxError):
        evaluate_path(path, DATA)


@pytest.mark.parametrize(
    ("path", "valid"), [("$.a", True), ("$$.Execution.Id", True), ("$v.a", True), (5, False)]
)
def test_is_valid_path(path: Any, valid: bool) -> None:
    assert is_valid_path(path) is valid


# ----- InputPath / OutputPath ("InputPath" and "OutputPath" sections)


def test_input_path_absent_passes_whole_input() -> None:
    assert apply_input_path(DATA, MISSING) is DATA
    assert apply_input_path(DATA) is DATA


def test_input_path_null_gives_empty_object_aws_inputpath() -> None:
    assert apply_input_path(DATA, None) == {}
    assert apply_output_path(DATA, None) == {}


def test_input_path_selects_part_of_the_input() -> None:
    assert apply_input_path({"comment": "x", "dataset2": {"val1": "a"}}, "$.dataset2") == {"val1": "a"}


def test_output_path_selects_part_of_the_output() -> None:
    assert apply_output_path({"summary": {"rows": 2}, "other": 1}, "$.summary") == {"rows": 2}


def test_input_path_may_read_context_and_variables() -> None:
    assert apply_input_path({}, "$$.Execution", context={"Execution": {"Id": "i"}}) == {"Id": "i"}
    assert apply_input_path({}, "$v", variables={"v": [1]}) == [1]


def test_input_path_not_found_raises() -> None:
    with pytest.raises(PathNotFound):
        apply_input_path({"a": 1}, "$.b")


# ----- ResultPath ("Specifying state output using ResultPath")


def test_result_path_absent_replaces_input_with_result() -> None:
    assert apply_result_path({"a": 1}, {"r": 2}) == {"r": 2}
    assert apply_result_path({"a": 1}, "x", "$") == "x"


def test_result_path_null_discards_result_and_keeps_input() -> None:
    state_input = {"a": 1}
    assert apply_result_path(state_input, {"r": 2}, None) == {"a": 1}


def test_result_path_adds_result_to_input_aws_example() -> None:
    # AWS example: ResultPath "$.taskresult" keeps the input and adds the result under taskresult.
    state_input = {"comment": "An input comment.", "data": {"val1": 23, "val2": 17}}
    out = apply_result_path(state_input, "Hello, Step Functions!", "$.taskresult")
    assert out == {**state_input, "taskresult": "Hello, Step Functions!"}
    assert "taskresult" not in state_input  # the input is not modified


def test_result_path_creates_missing_objects_on_the_way() -> None:
    assert apply_result_path({"a": 1}, 5, "$.x.y.z") == {"a": 1, "x": {"y": {"z": 5}}}


def test_result_path_replaces_existing_node() -> None:
    assert apply_result_path({"a": {"b": 1, "c": 2}}, 9, "$.a.b") == {"a": {"b": 9, "c": 2}}


def test_result_path_into_existing_array_element() -> None:
    assert apply_result_path({"a": [1, 2]}, 9, "$.a[1]") == {"a": [1, 9]}


def test_result_path_result_is_not_shared_with_input() -> None:
    nested = {"x": [1]}
    state_input = {"a": nested}
    out = apply_result_path(state_input, 1, "$.b")
    out["a"]["x"].append(2)
    assert nested == {"x": [1]}


@pytest.mark.parametrize(
    ("state_input", "path"),
    [
        ("a string", "$.x"),  # the input must be an object to add a field
        ([1, 2], "$.x"),
        ({"a": 1}, "$.a.b"),  # a number is in the way
        ({"a": [1]}, "$.a.b"),
        ({"a": [1]}, "$.a[5]"),
        ({"a": 1}, "$.a[*]"),  # not a reference path
        ({"a": 1}, "$$.Execution"),  # ResultPath applies to the state input only
    ],
)
def test_result_path_that_cannot_be_applied_is_result_path_match_failure(state_input: Any, path: str) -> None:
    with pytest.raises(StatesError) as info:
        apply_result_path(state_input, {"r": 1}, path)
    assert info.value.error == errors.RESULT_PATH_MATCH_FAILURE


def test_result_path_failure_is_not_a_path_not_found() -> None:
    with pytest.raises(StatesError) as info:
        apply_result_path("x", 1, "$.a")
    assert not isinstance(info.value, PathNotFound)
    assert "Unable to apply ResultPath" in info.value.cause


# ----- properties

_names = st.text(alphabet="abcdefgh_", min_size=1, max_size=5)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_names, children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    state_input=st.dictionaries(_names, _json, max_size=4),
    keys=st.lists(_names, min_size=1, max_size=3),
    result=_json,
)
def test_result_path_then_reading_it_back_gives_the_result(
    state_input: dict[str, Any], keys: list[str], result: Any
) -> None:
    """Whatever ResultPath "$.k1.k2" writes, the same path reads back (when the path can be applied)."""
    path = "$." + ".".join(keys)
    try:
        out = apply_result_path(state_input, result, path)
    except StatesError as exc:
        assert exc.error == errors.RESULT_PATH_MATCH_FAILURE
        return
    assert evaluate_path(path, out) == result
    # untouched top-level fields are kept
    for key, value in state_input.items():
        if key != keys[0]:
            assert out[key] == value


@settings(max_examples=60, deadline=None)
@given(data=st.dictionaries(_names, _json, max_size=4))
def test_wildcard_selects_every_value_in_order(data: dict[str, Any]) -> None:
    assert evaluate_path("$.*", data) == list(data.values())
    for key, value in data.items():
        assert evaluate_path(f"$['{key}']", data) == value
