"""Rules on field values: paths, payload templates, intrinsic functions, JSONata strings, Assign, numbers.

These read the JSON as written (a value of the wrong type is what they report); which field is a path, a
ReferencePath or a template is declared by the model (`asl.fields`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from workflow.engine.asl.diagnostics import Report, Where, loc
from workflow.engine.asl.fields import NULLABLE_PATH_FIELDS, REFERENCE_PATH_FIELDS, TEMPLATE_FIELDS
from workflow.engine.asl.vocabulary import JSONATA, JSONPATH, StateType
from workflow.engine.intrinsics import is_intrinsic, validate_intrinsic
from workflow.engine.jsonata_eval import is_jsonata_expression, validate_jsonata
from workflow.engine.paths import is_reference_path, is_valid_path, parse_path

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Fields a JSONata state evaluates as a whole elsewhere (or never): not scanned for `{% %}` strings here.
_NOT_JSONATA_VALUES = frozenset(
    {
        "Type",
        "Comment",
        "QueryLanguage",
        "Next",
        "End",
        "Resource",
        "Choices",
        "Branches",
        "ItemProcessor",
        "Retry",
        "Catch",
        "Default",
        "Assign",
    }
)
_NOT_PATH_NAMES = frozenset({"Comment", "Next", "Default", "Type", "Resource"})


def positive_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_path(value: Any) -> bool:
    """A syntactically valid Path (any JSON value: only a string can be one)."""
    return isinstance(value, str) and is_valid_path(value)


def is_reference(value: Any) -> bool:
    """A ReferencePath (one node: names and indexes)."""
    return isinstance(value, str) and is_reference_path(value)


def state_reference_path(value: Any) -> bool:
    """A ReferencePath into the state's own data ($...), as ResultPath needs (not $$ or a variable)."""
    return is_reference(value) and parse_path(value).root == "$"


def jsonpath_fields(report: Report, kind: str, spec: Mapping[str, Any], where: Where) -> None:
    """Paths, ReferencePaths and templates of a JSONPath state; NO_PATH and PASS_RESULT_IS_STATIC hints."""
    for key in NULLABLE_PATH_FIELDS:
        if key in spec and spec[key] is not None and not is_path(spec[key]):
            report.schema(f"The value for the field '{key}' must be a valid JSONPath", loc(*where, key))
    for key in REFERENCE_PATH_FIELDS:
        if key in spec:
            value = spec[key]
            if key == "ResultPath" and value is None:
                continue
            valid = state_reference_path(value) if key == "ResultPath" else is_reference(value)
            if not valid:
                report.schema(
                    f"The value for the field '{key}' must be a valid ReferencePath", loc(*where, key)
                )
    for key in TEMPLATE_FIELDS:
        if key in spec:
            template(report, spec[key], (*where, key))
    result = spec.get("Result")
    if kind == StateType.PASS and isinstance(result, Mapping):
        for key in result:
            if isinstance(key, str) and key.endswith(".$"):
                report.warn(
                    "PASS_RESULT_IS_STATIC",
                    "The Result of a Pass state is static; paths in it are not evaluated",
                    loc(*where, "Result", key),
                )
    for key, value in spec.items():
        if (
            key not in _NOT_PATH_NAMES
            and not key.endswith("Path")
            and isinstance(value, str)
            and value.startswith("$.")
            and is_valid_path(value)
        ):
            report.warn(
                "NO_PATH",
                f"The field '{key}' looks like a path but its name does not end with 'Path'",
                loc(*where, key),
            )


def template(report: Report, value: Any, where: Where) -> None:
    """Payload template: values of '.$' keys are paths or intrinsic functions."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith(".$"):
                dynamic_value(report, item, (*where, key))
                continue
            if isinstance(item, str) and (
                is_intrinsic(item) or (item.startswith("$.") and is_valid_path(item))
            ):
                report.warn(
                    "NO_DOLLAR",
                    f"The field '{key}' looks like a JSONPath or an intrinsic "
                    "function but its name does not end with '.$'",
                    loc(*where, key),
                )
            template(report, item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            template(report, item, (*where, i))


def dynamic_value(report: Report, value: Any, where: Where) -> None:
    """The value of a '.$' key (or of ErrorPath/CausePath): a path or an intrinsic function call."""
    if isinstance(value, str) and is_intrinsic(value):
        problem = validate_intrinsic(value)
        if problem:
            report.schema(
                f"The value for the field '{where[-1]}' is not a valid intrinsic function: {problem}",
                loc(*where),
            )
    elif not isinstance(value, str) or not is_valid_path(value):
        report.schema(
            f"The value for the field '{where[-1]}' must be a valid JSONPath or a valid intrinsic "
            "function call",
            loc(*where),
        )


def jsonata_fields(report: Report, spec: Mapping[str, Any], where: Where) -> None:
    """Every `{% %}` string of a JSONata state's own fields parses."""
    for key, value in spec.items():
        if key not in _NOT_JSONATA_VALUES:
            jsonata_strings(report, value, (*where, key))


def jsonata_strings(report: Report, value: Any, where: Where) -> None:
    if isinstance(value, str):
        if is_jsonata_expression(value):
            problem = validate_jsonata(value)
            if problem:
                report.schema(f"The JSONata expression is not valid: {problem}", loc(*where))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            jsonata_strings(report, item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            jsonata_strings(report, item, (*where, i))


def assign(report: Report, value: Any, where: Where, language: str) -> None:
    """Assign: an object of variable names (JSONPath keys may end in '.$'), or one JSONata expression."""
    if language == JSONATA and is_jsonata_expression(value):
        jsonata_strings(report, value, where)
        return
    if not isinstance(value, Mapping):
        report.schema("The field 'Assign' must be an object", loc(*where))
        return
    for key in value:
        name = key[:-2] if language == JSONPATH and key.endswith(".$") else key
        if not _VARIABLE_NAME.fullmatch(name):
            report.schema(f"'{name}' is not a valid variable name", loc(*where, key))
    if language == JSONPATH:
        template(report, value, where)
    else:
        jsonata_strings(report, value, where)


def number_field(
    report: Report,
    spec: Mapping[str, Any],
    key: str,
    where: Where,
    language: str,
    *,
    minimum: float = 0,
    integer: bool = True,
    maximum: float | None = None,
) -> None:
    """A numeric field, if given: a number in range (or, in JSONata, an expression checked at run time)."""
    if key not in spec:
        return
    value = spec[key]
    if language == JSONATA and is_jsonata_expression(value):
        return
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (not integer or float(value).is_integer())
        and value >= minimum
        and (maximum is None or value <= maximum)
    )
    if not ok:
        kind = "an integer" if integer else "a number"
        bound = f" between {minimum} and {maximum}" if maximum is not None else f" >= {minimum}"
        report.schema(f"The field '{key}' must be {kind}{bound}", loc(*where, key))


def reference_path_field(report: Report, block: Mapping[str, Any], key: str, where: Where) -> None:
    """`key` (a *Path field of a nested block), if given, is a ReferencePath."""
    if key in block and not is_reference(block[key]):
        report.schema(f"{key} must be a valid ReferencePath", loc(*where, key))
