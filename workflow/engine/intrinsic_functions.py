"""The intrinsic functions themselves (`States.Format`, `States.ArrayRange`, ...): one implementation per
function, the `FUNCTIONS` table of names and arities, and the limits AWS puts on their arguments.

`intrinsics.py` parses a call and evaluates its arguments; this module does what each function does. A
misuse raises StatesError("States.IntrinsicFailure") naming the function, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from typing import Any

from workflow.engine import errors, quotas
from workflow.engine.errors import StatesError
from workflow.engine.json_format import compact_json, json_equal

# States.Hash's algorithms (and JSONata's $hash): name -> hashlib name
HASH_ALGORITHMS = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def fail(name: str, message: str) -> StatesError:
    """States.IntrinsicFailure for a misuse of function `name`."""
    return StatesError(errors.INTRINSIC_FAILURE, f"Invalid arguments in {name}: {message}")


def _is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _need(name: str, ok: bool, message: str) -> None:
    if not ok:
        raise fail(name, message)


def _need_short(name: str, text: str, what: str) -> None:
    limit = quotas.INTRINSIC_STRING
    _need(name, len(text) <= limit, f"{what} is longer than {limit} characters")


def format_string(args: list[Any], raw: str | None) -> str:
    name = "States.Format"
    template = args[0]
    _need(name, isinstance(template, str), "the first argument must be a string")
    # A template that came from a path has no escapes of its own: every '{}' is a placeholder.
    text = raw if raw is not None else template
    values = args[1:]
    out: list[str] = []
    i = used = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and raw is not None and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text.startswith("{}", i):
            _need(name, used < len(values), "more placeholders '{}' than arguments")
            out.append(_format_value(values[used]))
            used += 1
            i += 2
        else:
            out.append(c)
            i += 1
    _need(name, used == len(values), "fewer placeholders '{}' than arguments")
    return "".join(out)


def _format_value(value: Any) -> str:
    """A States.Format argument as text: strings as they are, anything else (objects and arrays too, which
    AWS accepts: issue 11) as compact JSON."""
    if isinstance(value, str):
        return value
    return compact_json(value)


def _string_to_json(name: str, args: list[Any]) -> Any:
    # Recorded on AWS (intrinsic_functions/test_json_manipulation.py::test_string_to_json): null, "" and
    # blank strings give null
    if args[0] is None or (isinstance(args[0], str) and not args[0].strip()):
        return None
    _need(name, isinstance(args[0], str), "the argument must be a string")
    try:
        return json.loads(args[0], parse_constant=_reject_constant)
    except ValueError as exc:
        raise fail(name, f"the string is not valid JSON ({exc})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_to_string(name: str, args: list[Any]) -> str:
    return compact_json(args[0])


def _array(name: str, args: list[Any]) -> list[Any]:
    return list(args)


def _array_partition(name: str, args: list[Any]) -> list[list[Any]]:
    array, size = args
    _need(name, isinstance(array, list), "the first argument must be an array")
    _need(name, _is_int(size) and size > 0, "the chunk size must be a positive integer")
    size = int(size)
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_contains(name: str, args: list[Any]) -> bool:
    array, value = args
    _need(name, isinstance(array, list), "the first argument must be an array")
    return any(json_equal(item, value) for item in array)


def _array_range(name: str, args: list[Any]) -> list[int]:
    start, end, step = args
    _need(name, all(_is_int(v) for v in args), "start, end and step must be integers")
    start, end, step = int(start), int(end), int(step)
    _need(name, step != 0, "the step must not be 0")
    result = list(range(start, end + (1 if step > 0 else -1), step))
    _need(
        name,
        len(result) <= quotas.ARRAY_RANGE_ITEMS,
        f"the range has more than {quotas.ARRAY_RANGE_ITEMS} items",
    )
    return result


def _array_get_item(name: str, args: list[Any]) -> Any:
    array, index = args
    _need(name, isinstance(array, list), "the first argument must be an array")
    _need(name, _is_int(index) and 0 <= index < len(array), f"index {index!r} is out of bounds")
    return array[int(index)]


def _array_length(name: str, args: list[Any]) -> int:
    _need(name, isinstance(args[0], list), "the argument must be an array")
    return len(args[0])


def _array_unique(name: str, args: list[Any]) -> list[Any]:
    _need(name, isinstance(args[0], list), "the argument must be an array")
    out: list[Any] = []
    for item in args[0]:
        if not any(json_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _base64_encode(name: str, args: list[Any]) -> str:
    value = args[0]
    _need(name, isinstance(value, str), "the argument must be a string")
    _need_short(name, value, "the string")
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _base64_decode(name: str, args: list[Any]) -> str:
    value = args[0]
    _need(name, isinstance(value, str), "the argument must be a string")
    _need_short(name, value, "the string")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise fail(name, f"not valid base64 text ({exc})") from None


def _hash(name: str, args: list[Any]) -> str:
    value, algorithm = args
    _need(name, isinstance(value, str), "the input data must be a string")
    _need(name, algorithm in HASH_ALGORITHMS, f"the algorithm must be one of {', '.join(HASH_ALGORITHMS)}")
    text = value
    _need_short(name, text, "the input")
    return hashlib.new(HASH_ALGORITHMS[algorithm], text.encode("utf-8")).hexdigest()


def _json_merge(name: str, args: list[Any]) -> dict[str, Any]:
    left, right, deep = args
    _need(name, isinstance(left, dict) and isinstance(right, dict), "the first two arguments must be objects")
    _need(name, deep is False, "only shallow merging is supported: the third argument must be false")
    return {**left, **right}


def _round_like_java(value: int | float) -> int:
    """Java's Math.round: AWS rounds non-integer MathAdd/MathRandom arguments to the nearest integer."""
    return value if isinstance(value, int) else math.floor(value + 0.5)


def _math_random(name: str, args: list[Any]) -> int:
    """A random integer from start (inclusive) to end (exclusive); the same seed gives the same number."""
    _need(name, all(_is_number(v) for v in args), "start, end and seed must be numbers")
    start, end = _round_like_java(args[0]), _round_like_java(args[1])
    _need(name, start < end, "start must be less than end")
    rng = random.Random(_round_like_java(args[2])) if len(args) == 3 else random.SystemRandom()
    return rng.randrange(start, end)


def _math_add(name: str, args: list[Any]) -> int:
    a, b = args
    _need(name, _is_number(a) and _is_number(b), "both arguments must be numbers")
    return _round_like_java(a) + _round_like_java(b)


def _string_split(name: str, args: list[Any]) -> list[str]:
    value, delimiters = args
    _need(name, isinstance(value, str) and isinstance(delimiters, str), "both arguments must be strings")
    _need(name, delimiters != "", "the delimiter must not be empty")
    # Every character of the second argument is a delimiter and empty tokens are dropped (Java's
    # StringTokenizer), which is what AWS's example "This.is+a,test=string" / ".+,=" shows.
    out: list[str] = []
    token: list[str] = []
    for c in value:
        if c in delimiters:
            if token:
                out.append("".join(token))
            token = []
        else:
            token.append(c)
    if token:
        out.append("".join(token))
    return out


def _uuid(name: str, args: list[Any]) -> str:
    return str(uuid.uuid4())


_Impl = Callable[[str, list[Any]], Any]

# name -> (implementation, (min args, max args or None for unbounded))
FUNCTIONS: dict[str, tuple[_Impl, tuple[int, int | None]]] = {
    "States.Format": (lambda name, args: None, (1, None)),
    "States.StringToJson": (_string_to_json, (1, 1)),
    "States.JsonToString": (_json_to_string, (1, 1)),
    "States.Array": (_array, (0, None)),
    "States.ArrayPartition": (_array_partition, (2, 2)),
    "States.ArrayContains": (_array_contains, (2, 2)),
    "States.ArrayRange": (_array_range, (3, 3)),
    "States.ArrayGetItem": (_array_get_item, (2, 2)),
    "States.ArrayLength": (_array_length, (1, 1)),
    "States.ArrayUnique": (_array_unique, (1, 1)),
    "States.Base64Encode": (_base64_encode, (1, 1)),
    "States.Base64Decode": (_base64_decode, (1, 1)),
    "States.Hash": (_hash, (2, 2)),
    "States.JsonMerge": (_json_merge, (3, 3)),
    "States.MathRandom": (_math_random, (2, 3)),
    "States.MathAdd": (_math_add, (2, 2)),
    "States.StringSplit": (_string_split, (2, 2)),
    "States.UUID": (_uuid, (0, 0)),
}
