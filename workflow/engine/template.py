"""Payload templates in JSONPath mode: Parameters, ItemSelector, ResultSelector, BatchInput, Assign.

A key ending in ".$" takes its value from a path (`$.x`, `$$.Execution.Id`, `$var.x`) or an intrinsic
function, and loses the ".$" suffix; every other value is copied as it is, objects and arrays recursively.
The result never shares structure with the definition or the data, so callers may change it freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.intrinsics import evaluate_intrinsic, is_intrinsic
from workflow.engine.json_format import compact_json
from workflow.engine.paths import PathNotFound, PathSyntaxError, copy_json, evaluate_path, parse_path


def evaluate_template(
    template: Any,
    data: Any,
    *,
    context: Any = None,
    variables: Mapping[str, Any] | None = None,
    error: str = errors.RUNTIME,
) -> Any:
    """Build the payload a template describes.

    `error` names the error a path that selects nothing raises (callers pass
    States.ParameterPathFailure for Parameters/ItemSelector); intrinsic failures stay
    States.IntrinsicFailure as on AWS.
    """
    if isinstance(template, Mapping):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if isinstance(key, str) and key.endswith(".$"):
                out[key[:-2]] = _dynamic(key, value, data, context, variables, error)
            else:
                out[key] = evaluate_template(value, data, context=context, variables=variables, error=error)
        return out
    if isinstance(template, list):
        return [
            evaluate_template(item, data, context=context, variables=variables, error=error)
            for item in template
        ]
    return copy_json(template)


def evaluate_dynamic(
    field: str, expr: Any, data: Any, *, context: Any = None, variables: Mapping[str, Any] | None = None
) -> Any:
    """One path or intrinsic function given in a field of its own (a Fail state's ErrorPath/CausePath)."""
    return _dynamic(field, expr, data, context, variables, errors.RUNTIME)


def _dynamic(
    key: str, expr: Any, data: Any, context: Any, variables: Mapping[str, Any] | None, error: str
) -> Any:
    if not isinstance(expr, str):
        raise StatesError(
            error,
            f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
        )
    if is_intrinsic(expr):
        return evaluate_intrinsic(expr, data, context=context, variables=variables)
    try:
        parsed = parse_path(expr)
    except PathSyntaxError as exc:
        raise StatesError(
            error,
            f"The value for the field '{key}' must be a valid JSONPath or a valid "
            f"intrinsic function call: {exc}",
        ) from None
    try:
        value = evaluate_path(expr, data, context=context, variables=variables)
    except PathNotFound:
        if parsed.root == "$$":
            where = f"the context object '{compact_json(context)}'"
        elif parsed.variable is not None:
            if variables is None or parsed.variable not in variables:
                raise StatesError(
                    error,
                    f"The variable '{parsed.root}' referenced by the JSONPath '{expr}' "
                    f"specified for the field '{key}' is not defined",
                ) from None
            where = f"the variable '{parsed.root}' with value '{compact_json(variables[parsed.variable])}'"
        else:
            where = f"the input '{compact_json(data)}'"
        raise StatesError(
            error, f"The JSONPath '{expr}' specified for the field '{key}' could not be found in {where}"
        ) from None
    return copy_json(value)
