"""The JSONata query language as Step Functions uses it (`"{% expr %}"` strings), on jsonata-python.

Step Functions binds `$states` (input, result, errorOutput, context) and every workflow variable as
`$name`, adds its own functions ($partition, $range, $hash, $random with a seed, $uuid, $parse) and
removes `$eval`. A field whose expression yields *undefined* is an error, because JSON cannot carry
undefined: everything that goes wrong is States.QueryEvaluationError, as on AWS.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import jsonata
from jsonata import utils as jsonata_utils

from workflow.engine import errors, quotas
from workflow.engine.errors import StatesError
from workflow.engine.intrinsic_functions import HASH_ALGORITHMS

_OPEN, _CLOSE = "{%", "%}"


class _FunctionError(Exception):
    """Raised by the Step Functions-provided JSONata functions on bad arguments."""


def is_jsonata_expression(value: Any) -> bool:
    """A string that is exactly one `{% ... %}` expression (no text outside the delimiters)."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith(_OPEN) and value.endswith(_CLOSE)


def expression_body(value: str) -> str:
    """The JSONata text between `{%` and `%}`."""
    return value[len(_OPEN) : -len(_CLOSE)].strip()


# ------------------------------------------------------------------------ Step Functions' functions


def _seq(value: Any) -> list[Any]:
    if isinstance(value, list):
        return list(value)
    raise _FunctionError("expected an array")


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise _FunctionError(f"{what} must be an integer")
    return int(value)


def _partition(array: Any = None, size: Any = None) -> list[list[Any]]:
    items = _seq(array)
    n = _int(size, "the chunk size")
    if n <= 0:
        raise _FunctionError("the chunk size must be positive")
    return [items[i : i + n] for i in range(0, len(items), n)]


def _range(start: Any = None, end: Any = None, step: Any = None) -> list[int]:
    a, b, s = _int(start, "start"), _int(end, "end"), _int(step, "step")
    if s == 0:
        raise _FunctionError("the step must not be 0")
    out = list(range(a, b + (1 if s > 0 else -1), s))
    if len(out) > quotas.ARRAY_RANGE_ITEMS:
        raise _FunctionError(f"the range has more than {quotas.ARRAY_RANGE_ITEMS} items")
    return out


def _hash(data: Any = None, algorithm: Any = None) -> str:
    if not isinstance(data, str):
        raise _FunctionError("the data to hash must be a string")
    if algorithm not in HASH_ALGORITHMS:
        raise _FunctionError(f"the algorithm must be one of {', '.join(HASH_ALGORITHMS)}")
    return hashlib.new(HASH_ALGORITHMS[algorithm], data.encode("utf-8")).hexdigest()


def _random(*args: Any) -> float:
    if args and args[0] is not None:
        return random.Random(_int(args[0], "the seed")).random()
    return random.random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any = None) -> Any:
    if not isinstance(text, str):
        raise _FunctionError("$parse expects a string")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise _FunctionError(f"$parse: not valid JSON ({exc})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _eval_unsupported(*args: Any) -> Any:
    raise _FunctionError("$eval is not supported in Step Functions; use $parse")


_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
    "eval": _eval_unsupported,
}

# ------------------------------------------------------------------------------------- evaluation

_compiled: dict[str, jsonata.Jsonata] = {}
_lock = threading.Lock()


def compile_expression(body: str) -> jsonata.Jsonata:
    """Compile (and cache) a JSONata expression; raises StatesError on a syntax error."""
    with _lock:
        expr = _compiled.get(body)
    if expr is not None:
        return expr
    try:
        expr = jsonata.Jsonata(body)
    except Exception as exc:
        raise StatesError(
            errors.QUERY_EVALUATION_ERROR, f"The JSONata expression '{body}' is not valid: {exc}"
        ) from None
    expr.set_output_convert_nulls(False)
    for name, fn in _FUNCTIONS.items():
        expr.register_lambda(name, fn)
    with _lock:
        if len(_compiled) < 4096:
            _compiled[body] = expr
    return expr


def validate_jsonata(value: str) -> str | None:
    """The syntax error of a `{% %}` string, or None (for definition validation)."""
    try:
        compile_expression(expression_body(value))
    except StatesError as exc:
        return exc.cause
    return None


_PLAIN = frozenset({str, int, bool, type(None)})  # exact types that are JSON as they are


def _to_json(value: Any) -> Any:
    """jsonata-python values to plain JSON values (its null marker, sequences, integral floats)."""
    if value is jsonata_utils.Utils.NULL_VALUE:
        return None
    # values already plain are taken without a call (most of a batch of rows: issue 14)
    if isinstance(value, Mapping):
        return {str(k): v if type(v) in _PLAIN else _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else _to_json(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    # a function, a regex or another JSONata-only value cannot travel as JSON
    raise _FunctionError(f"the expression returned a value that is not JSON ({type(value).__name__})")


def evaluate_expression(
    value: str, *, states: Mapping[str, Any], variables: Mapping[str, Any] | None = None, field: str = ""
) -> Any:
    """Evaluate one `{% %}` string; undefined is an error naming the field."""
    body = expression_body(value)
    where = f" specified for the field '{field}'" if field else ""
    location = field or None
    expr = compile_expression(body)
    bindings: dict[str, Any] = dict(variables or {})
    bindings["states"] = dict(states)

    def failed(outcome: str) -> StatesError:
        return StatesError(
            errors.QUERY_EVALUATION_ERROR,
            f"The JSONata expression '{body}'{where} {outcome}",
            location=location,
        )

    try:
        result = expr.evaluate(None, bindings)
    except StatesError:
        raise
    # _FunctionError from our functions; jsonata-python raises JException and, on bad types, Python errors
    except Exception as exc:
        raise failed(f"returned an error: {exc}") from None
    if result is None:
        raise failed("returned nothing (undefined).")
    try:
        return _to_json(result)
    except _FunctionError as exc:
        raise failed(f"returned an error: {exc}") from None


def evaluate_jsonata_template(
    value: Any, *, states: Mapping[str, Any], variables: Mapping[str, Any] | None = None, field: str = ""
) -> Any:
    """Evaluate every `{% %}` string inside objects and arrays; other values are copied unchanged.

    `field` is the name of the ASL field being evaluated (e.g. "Arguments"), used in error causes.
    """
    if is_jsonata_expression(value):
        return evaluate_expression(value, states=states, variables=variables, field=field)
    if isinstance(value, Mapping):
        return {
            k: evaluate_jsonata_template(
                v, states=states, variables=variables, field=f"{field}/{k}" if field else str(k)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            evaluate_jsonata_template(
                v, states=states, variables=variables, field=f"{field}[{i}]" if field else f"[{i}]"
            )
            for i, v in enumerate(value)
        ]
    return value
