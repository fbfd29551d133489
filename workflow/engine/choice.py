"""Choice state rules: JSONPath comparison rules (Variable + operator, And/Or/Not) and JSONata Conditions.

Follows AWS's "Choice workflow state": a comparison against a value of the wrong type is simply false;
a Variable path that selects nothing is States.Runtime (except for IsPresent, which exists to test that);
timestamps are RFC 3339 with an uppercase T and Z; StringMatches supports `*` with `\\*` and `\\\\` escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Choice
from workflow.engine.asl.choice_rules import COMPARISON_OPERATORS, TYPE_TESTS, ChoiceRule
from workflow.engine.errors import StatesError
from workflow.engine.json_format import compact_json
from workflow.engine.jsonata_eval import evaluate_expression, is_jsonata_expression
from workflow.engine.paths import PathNotFound, evaluate_path


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# ------------------------------------------------------------------------------------- timestamps

_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})")


def parse_timestamp(value: Any) -> tuple[datetime, int] | None:
    """An RFC 3339 timestamp as (UTC datetime to the second, nanoseconds), or None if it is not one."""
    if not isinstance(value, str):
        return None
    m = _TIMESTAMP.fullmatch(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction, zone = m.group(7) or "", m.group(8)
    try:
        if zone == "Z":
            offset = timedelta(0)
        else:
            sign = 1 if zone[0] == "+" else -1
            hh, mm = int(zone[1:3]), int(zone[4:6])
            if hh > 23 or mm > 59:
                return None
            offset = sign * timedelta(hours=hh, minutes=mm)
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC) - offset
    except ValueError:
        return None
    if second > 59:  # a leap second is not representable; RFC 3339 allows 60 only at 23:59
        return None
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    return moment, nanos


def is_timestamp(value: Any) -> bool:
    return parse_timestamp(value) is not None


# ---------------------------------------------------------------------------------- StringMatches


@cache
def _wildcard_regex(pattern: str) -> re.Pattern[str]:
    """`*` matches any run of characters; `\\*` is a literal star and `\\\\` a literal backslash."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def string_matches(value: str, pattern: str) -> bool:
    return _wildcard_regex(pattern).fullmatch(value) is not None


# ------------------------------------------------------------------------------------ comparisons


def _cmp(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _compare_strings(a: Any, b: Any) -> int | None:
    if isinstance(a, str) and isinstance(b, str):
        # Java compares UTF-16 code units; for the BMP that equals code point order.
        return _cmp(a.encode("utf-16-be"), b.encode("utf-16-be"))
    return None


def _compare_numbers(a: Any, b: Any) -> int | None:
    return _cmp(a, b) if _is_number(a) and _is_number(b) else None


def _compare_booleans(a: Any, b: Any) -> int | None:
    if isinstance(a, bool) and isinstance(b, bool):
        return 0 if a == b else 1
    return None


def _compare_timestamps(a: Any, b: Any) -> int | None:
    ta, tb = parse_timestamp(a), parse_timestamp(b)
    if ta is None or tb is None:
        return None
    return _cmp(ta, tb)


_KINDS: dict[str, Callable[[Any, Any], int | None]] = {
    "String": _compare_strings,
    "Numeric": _compare_numbers,
    "Boolean": _compare_booleans,
    "Timestamp": _compare_timestamps,
}
_RELATIONS: dict[str, Callable[[int], bool]] = {
    "Equals": lambda c: c == 0,
    "LessThan": lambda c: c < 0,
    "GreaterThan": lambda c: c > 0,
    "LessThanEquals": lambda c: c <= 0,
    "GreaterThanEquals": lambda c: c >= 0,
}


# ---------------------------------------------------------------------------------- JSONPath rules


def evaluate_choice_rule(
    rule: ChoiceRule, data: Any, *, context: Any = None, variables: Mapping[str, Any] | None = None
) -> bool:
    """Whether a JSONPath-mode Choice rule (or a nested And/Or/Not rule) matches the data."""
    if rule.and_ is not None:
        return all(evaluate_choice_rule(r, data, context=context, variables=variables) for r in rule.and_)
    if rule.or_ is not None:
        return any(evaluate_choice_rule(r, data, context=context, variables=variables) for r in rule.or_)
    if rule.not_ is not None:
        return not evaluate_choice_rule(rule.not_, data, context=context, variables=variables)
    operator, path = rule.operator, rule.variable
    if operator is None or path is None:
        raise StatesError(errors.RUNTIME, f"Invalid Choice rule: {compact_json(dict(rule.raw or {}))}")
    expected = rule.operand
    try:
        value = evaluate_path(path, data, context=context, variables=variables)
    except PathNotFound as exc:
        if operator == "IsPresent":
            return expected is False
        raise StatesError(
            errors.RUNTIME,
            f"Invalid path '{path}': The choice state's condition path references an invalid value.",
        ) from exc
    if operator in TYPE_TESTS:
        return _type_test(operator, value) is bool(expected)
    if operator == "StringMatches":
        return isinstance(value, str) and isinstance(expected, str) and string_matches(value, expected)
    kind, relation, by_path = COMPARISON_OPERATORS[operator]
    if by_path:
        try:
            expected = evaluate_path(expected, data, context=context, variables=variables)
        except PathNotFound as exc:
            raise StatesError(
                errors.RUNTIME,
                f"Invalid path '{rule.operand}': The choice state's "
                f"condition path references an invalid value.",
            ) from exc
    outcome = _KINDS[kind](value, expected)
    return outcome is not None and _RELATIONS[relation](outcome)


def _type_test(operator: str, value: Any) -> bool:
    if operator == "IsPresent":
        return True
    if operator == "IsNull":
        return value is None
    if operator == "IsNumeric":
        return _is_number(value)
    if operator == "IsString":
        return isinstance(value, str)
    if operator == "IsBoolean":
        return isinstance(value, bool)
    return is_timestamp(value)  # IsTimestamp


# -------------------------------------------------------------------------------------- the state


def select_choice(
    state: Choice, data: Any, *, context: Any = None, variables: Mapping[str, Any] | None = None
) -> tuple[str, ChoiceRule | None]:
    """The next state and the rule that chose it (None when Default was taken).

    The executor needs the rule for its Assign (and, in JSONata, its Output).
    """
    for index, rule in enumerate(state.choices):
        if state.jsonata:
            matched = _condition(rule, index, data, context, variables)
        else:
            matched = evaluate_choice_rule(rule, data, context=context, variables=variables)
        if matched:
            return rule.next or "", rule
    if state.default is not None:
        return state.default, None
    raise StatesError(
        errors.NO_CHOICE_MATCHED,
        f"No Choice rule matched and the Choice state has no Default: input {compact_json(data)}",
    )


def _condition(
    rule: ChoiceRule, index: int, data: Any, context: Any, variables: Mapping[str, Any] | None
) -> bool:
    condition = rule.condition
    field = f"Choices[{index}].Condition"
    if isinstance(condition, bool):
        return condition
    if not isinstance(condition, str) or not is_jsonata_expression(condition):
        raise StatesError(errors.QUERY_EVALUATION_ERROR, f"The field '{field}' must be a JSONata expression")
    states: dict[str, Any] = {"input": data}
    if context is not None:
        states["context"] = context
    result = evaluate_expression(condition, states=states, variables=variables, field=field)
    if not isinstance(result, bool):
        raise StatesError(
            errors.QUERY_EVALUATION_ERROR,
            f"The JSONata expression '{condition}' specified for the field '{field}' must "
            f"return a boolean, but returned {compact_json(result)}",
        )
    return result
