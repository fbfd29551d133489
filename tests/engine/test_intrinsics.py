"""Intrinsic functions, following AWS's "Intrinsic functions for JSONPath states in Step Functions".

Each test names the function and the documented behaviour (examples are AWS's own where it gives one).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.intrinsics import (
    evaluate_intrinsic,
    is_intrinsic,
    parse_intrinsic,
    validate_intrinsic,
)

INPUT: dict[str, Any] = {
    "name": "Ana",
    "Id": 123456,
    "inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    "chunkSize": 4,
    "lookingFor": 5,
    "index": 5,
    "dupes": [1, 2, 3, 3, 3, 3, 3, 3, 4],
    "json": {"a": 1},
    "escaped": '{"foo": "bar"}',
    "b64": "RGF0YSB0byBlbmNvZGU=",
    "Data": "input data",
    "Algorithm": "SHA-1",
    "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
    "inputString": "This.is+a,test=string",
    "splitter": ".+,=",
    "value1": 111,
    "step": -1,
    "ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123:image-recipe/my.recipe.name/1.0.0"},
}
CONTEXT = {"Execution": {"Name": "exec-1"}}


def ev(expr: str, data: Any = None, **kw: Any) -> Any:
    return evaluate_intrinsic(expr, INPUT if data is None else data, **kw)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # States.Format
        ("States.Format('Hello, my name is {}.', $.name)", "Hello, my name is Ana."),
        ("States.Format('{} {} {}', 1, true, null)", "1 true null"),
        ("States.Format('{}-{}', $.Id, 'x')", "123456-x"),
        ("States.Format('no placeholders')", "no placeholders"),
        ("States.Format('literal \\{\\} braces {}', 'ok')", "literal {} braces ok"),
        ("States.Format('it\\'s {}', $.name)", "it's Ana"),
        ("States.Format('back\\\\slash {}', 1)", "back\\slash 1"),
        ("States.Format('results/{}', $$.Execution.Name)", "results/exec-1"),
        ("States.Format('{}', 1.5)", "1.5"),
        # States.StringToJson / JsonToString
        ("States.StringToJson($.escaped)", {"foo": "bar"}),
        ("States.StringToJson('500')", 500),
        ("States.StringToJson('[1,2]')", [1, 2]),
        ("States.JsonToString($.json)", '{"a":1}'),
        ("States.JsonToString($.inputArray)", "[1,2,3,4,5,6,7,8,9]"),
        # Arrays
        ("States.Array($.Id)", [123456]),
        ("States.Array('Foo', 2020, $.json, null)", ["Foo", 2020, {"a": 1}, None]),
        ("States.Array()", []),
        ("States.ArrayPartition($.inputArray, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayPartition($.inputArray, $.chunkSize)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayPartition(States.Array(), 2)", []),
        ("States.ArrayContains($.inputArray, $.lookingFor)", True),
        ("States.ArrayContains($.inputArray, 10)", False),
        ("States.ArrayContains(States.Array(1, true), 1)", True),
        ("States.ArrayContains(States.Array(true), 1)", False),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(9, 1, -3)", [9, 6, 3]),
        ("States.ArrayRange(0, 0, 1)", [0]),
        ("States.ArrayGetItem($.inputArray, $.index)", 6),
        ("States.ArrayLength($.inputArray)", 9),
        ("States.ArrayUnique($.dupes)", [1, 2, 3, 4]),
        # Encoding
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode($.b64)", "Data to encode"),
        ("States.Hash($.Data, $.Algorithm)", hashlib.sha1(b"input data").hexdigest()),
        ("States.Hash('abc', 'MD5')", hashlib.md5(b"abc").hexdigest()),
        ("States.Hash('abc', 'SHA-256')", hashlib.sha256(b"abc").hexdigest()),
        ("States.Hash('abc', 'SHA-384')", hashlib.sha384(b"abc").hexdigest()),
        ("States.Hash('abc', 'SHA-512')", hashlib.sha512(b"abc").hexdigest()),
        # JSON merge: shallow, the second object wins (AWS example)
        ("States.JsonMerge($.json1, $.json2, false)", {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}),
        # Math
        ("States.MathAdd($.value1, $.step)", 110),
        ("States.MathAdd(1, 2)", 3),
        ("States.MathAdd(-5, 5)", 0),
        # "If you specify a non-integer value ... Step Functions will round it off to the nearest integer"
        ("States.MathAdd(1.5, 1)", 3),
        ("States.MathAdd(-2.5, 0)", -2),
        ("States.MathAdd(2.4, 0.4)", 2),
        # Strings
        ("States.StringSplit($.inputString, $.splitter)", ["This", "is", "a", "test", "string"]),
        ("States.StringSplit('1,2,3,4,5', ',')", ["1", "2", "3", "4", "5"]),
        ("States.StringSplit('a,,b', ',')", ["a", "b"]),
        # nesting (AWS's nine-deep example shape)
        (
            "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), "
            "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem("
            "States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), 'x')",
            "1.0.x",
        ),
        ("States.ArrayLength(States.ArrayUnique(States.Array(1, 1, 2)))", 2),
        ("  States.ArrayLength( $.inputArray )  ", 9),
    ],
)
def test_intrinsic_functions_as_documented(expr: str, expected: Any) -> None:
    assert ev(expr, context=CONTEXT) == expected


def test_variables_can_be_arguments_aws_variables() -> None:
    assert ev("States.Format('{}!', $greeting)", variables={"greeting": "hi"}) == "hi!"


def test_format_template_from_a_path_has_no_escapes() -> None:
    assert ev("States.Format($.t, 'x')", {"t": "a\\{}"}) == "a\\x"


def test_math_random_stays_in_range_start_inclusive_end_exclusive() -> None:
    values = {ev("States.MathRandom(1, 4)") for _ in range(200)}
    assert values <= {1, 2, 3}
    assert len(values) > 1


def test_math_random_with_seed_is_repeatable() -> None:
    assert ev("States.MathRandom(1, 1000, 7)") == ev("States.MathRandom(1, 1000, 7)")


def test_uuid_is_a_version_4_uuid() -> None:
    value = ev("States.UUID()")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert value != ev("States.UUID()")


@pytest.mark.parametrize(
    "expr",
    [
        "States.Format('{} {}', 1)",  # fewer arguments than placeholders
        "States.Format('{}', 1, 2)",  # more arguments than placeholders
        "States.Format(1)",
        "States.StringToJson('{not json')",
        "States.StringToJson(1)",
        "States.StringToJson('NaN')",  # Python's json would accept it; JSON does not
        "States.ArrayPartition($.inputArray, 0)",
        "States.ArrayPartition($.json, 2)",
        "States.ArrayRange(1, 2, 0)",
        "States.ArrayRange(1, 2000, 1)",  # more than 1000 items
        "States.ArrayRange(1.5, 3, 1)",
        "States.ArrayGetItem($.inputArray, 9)",
        "States.ArrayGetItem($.inputArray, -1)",
        "States.ArrayLength('abc')",
        "States.Base64Decode('***')",
        "States.Base64Encode(1)",
        "States.Hash('abc', 'SHA-999')",
        "States.JsonMerge($.json1, $.json2, true)",  # only shallow merging
        "States.JsonMerge($.json1, 1, false)",
        "States.MathRandom(5, 1)",
        "States.MathAdd('1', 2)",
        "States.StringSplit(1, ',')",
        "States.ArrayLength($.missing)",  # a path argument that selects nothing
        "States.UUID(1)",
        "States.Array($.inputArray",  # syntax error at runtime is still an intrinsic failure
    ],
)
def test_bad_arguments_raise_states_intrinsic_failure(expr: str) -> None:
    with pytest.raises(StatesError) as info:
        ev(expr)
    assert info.value.error == errors.INTRINSIC_FAILURE


def test_long_strings_are_rejected_beyond_10000_characters() -> None:
    with pytest.raises(StatesError):
        ev("States.Base64Encode($.s)", {"s": "x" * 10_001})
    assert ev("States.Base64Encode($.s)", {"s": "x" * 10_000})


@pytest.mark.parametrize(
    ("expr", "is_call"),
    [
        ("States.Format('x')", True),
        ("States.UUID()", True),
        ("$.a", False),
        ("States.Nope()", False),
        ("States.Format", False),
        (12, False),
    ],
)
def test_is_intrinsic(expr: Any, is_call: bool) -> None:
    assert is_intrinsic(expr) is is_call


@pytest.mark.parametrize(
    "expr",
    [
        "States.Format('x'",
        "States.Format('x') trailing",
        "States.Format('unterminated)",
        "States.Array(1 2)",
        "States.Array(1,)",
        "States.Array(@)",
        "States.Nope(1)",
        "States.Array($.a[)",
        # 11 nested calls: AWS allows up to 10
        "States.Array(" * 11 + ")" * 11,
    ],
)
def test_malformed_calls_are_reported_by_validate_intrinsic(expr: str) -> None:
    assert validate_intrinsic(expr) is not None


def test_ten_nested_calls_are_allowed() -> None:
    assert validate_intrinsic("States.Array(" * 10 + ")" * 10) is None


def test_parser_builds_a_tree_with_typed_arguments() -> None:
    call = parse_intrinsic("States.Array('a\\'b', 1, -2.5, true, false, null, $.x[0], $$.Execution.Id)")
    values = [getattr(a, "value", getattr(a, "path", None)) for a in call.args]
    assert values == ["a'b", 1, -2.5, True, False, None, "$.x[0]", "$$.Execution.Id"]


def test_path_arguments_may_contain_commas_inside_filters() -> None:
    data = {"a": [{"x": 1, "y": "p,q"}, {"x": 2, "y": "r"}]}
    assert ev("States.ArrayLength($.a[?(@.y in ['p,q', 'r'])])", data) == 2
