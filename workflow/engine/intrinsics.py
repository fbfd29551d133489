"""Intrinsic functions of the Amazon States Language (JSONPath mode): `States.Format(...)` and friends.

A small tokenizer and recursive-descent parser turn the expression into a tree (calls, string, number,
boolean and null literals, paths), which is then evaluated against the state's data, the context object
and the variables. Every misuse (wrong argument count or type, limits from AWS's docs) raises
StatesError("States.IntrinsicFailure") with a cause naming the function, as AWS does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.paths import PathNotFound, PathSyntaxError, dumps, evaluate_path, parse_path

MAX_NESTING = 10  # "You can nest up to 10 intrinsic functions within a field"
MAX_ARRAY_RANGE = 1000  # States.ArrayRange: at most 1000 items
MAX_STRING = 10_000  # Base64Encode/Base64Decode/Hash: input of at most 10,000 characters


class IntrinsicSyntaxError(ValueError):
    """The text is not a well-formed intrinsic function call (a definition error, not a runtime one)."""


# ------------------------------------------------------------------------------------------ syntax tree


@dataclass(frozen=True)
class Literal:
    value: Any
    raw: str | None = None  # for strings: the text between the quotes with its escapes (Format needs them)


@dataclass(frozen=True)
class PathArg:
    path: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Literal | PathArg | Call, ...]


Node = Literal | PathArg | Call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(
            f"invalid intrinsic function {self.text!r} at position {self.pos}: {message}"
        )

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def parse(self) -> Call:
        self.ws()
        call = self.parse_call(depth=1)
        self.ws()
        if self.pos != len(self.text):
            raise self.error("unexpected text after the function call")
        return call

    def parse_call(self, depth: int) -> Call:
        if depth > MAX_NESTING:
            raise self.error(f"more than {MAX_NESTING} nested intrinsic functions")
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "._"):
            self.pos += 1
        name = self.text[start : self.pos]
        if name not in FUNCTIONS:
            self.pos = start
            raise self.error(f"unknown intrinsic function {name!r}")
        self.ws()
        if self.text[self.pos : self.pos + 1] != "(":
            raise self.error("expected '('")
        self.pos += 1
        args: list[Node] = []
        self.ws()
        if self.text[self.pos : self.pos + 1] == ")":
            self.pos += 1
            return Call(name, ())
        while True:
            self.ws()
            args.append(self.parse_arg(depth))
            self.ws()
            c = self.text[self.pos : self.pos + 1]
            self.pos += 1
            if c == ")":
                return Call(name, tuple(args))
            if c != ",":
                self.pos -= 1
                raise self.error("expected ',' or ')'")

    def parse_arg(self, depth: int) -> Node:
        text = self.text
        if self.pos >= len(text):
            raise self.error("expected an argument")
        c = text[self.pos]
        if c == "'":
            return self.parse_string()
        if c == "$":
            return self.parse_path()
        if text.startswith("States.", self.pos):
            return self.parse_call(depth + 1)
        for word, value in (("null", None), ("true", True), ("false", False)):
            if text.startswith(word, self.pos):
                end = self.pos + len(word)
                if end >= len(text) or not (text[end].isalnum() or text[end] == "_"):
                    self.pos = end
                    return Literal(value)
        start = self.pos
        while self.pos < len(text) and text[self.pos] in "+-0123456789.eE":
            self.pos += 1
        token = text[start : self.pos]
        if not token:
            raise self.error("expected a string, number, boolean, null, path or function call")
        try:
            number = json.loads(token)
        except ValueError:
            self.pos = start
            raise self.error(f"bad number {token!r}") from None
        if not isinstance(number, int | float):
            raise self.error(f"bad number {token!r}")
        return Literal(number)

    def parse_string(self) -> Literal:
        self.pos += 1
        raw: list[str] = []
        value: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.error("unterminated string literal")
            c = self.text[self.pos]
            if c == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("dangling escape character")
                nxt = self.text[self.pos + 1]
                raw.append(c + nxt)
                value.append(nxt)
                self.pos += 2
                continue
            self.pos += 1
            if c == "'":
                return Literal("".join(value), "".join(raw))
            raw.append(c)
            value.append(c)

    def parse_path(self) -> PathArg:
        """A path runs until a ',' or ')' outside brackets, parentheses and quotes."""
        start = self.pos
        depth = 0
        quote = ""
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if quote:
                if c == "\\":
                    self.pos += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"" and depth > 0:
                quote = c
            elif c in "[(":
                depth += 1
            elif c in "])":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (c == "," or c.isspace()):
                break
            self.pos += 1
        path = text[start : self.pos]
        try:
            parse_path(path)
        except PathSyntaxError as exc:
            raise self.error(str(exc)) from None
        return PathArg(path)


_CACHE: dict[str, Call] = {}


def parse_intrinsic(expr: str) -> Call:
    """Parse (and cache) an intrinsic function call; raises IntrinsicSyntaxError."""
    cached = _CACHE.get(expr)
    if cached is None:
        cached = _Parser(expr).parse()
        if len(_CACHE) < 4096:
            _CACHE[expr] = cached
    return cached


def is_intrinsic(expr: Any) -> bool:
    """True for text that starts like an intrinsic call (`States.Name(`); it may still be malformed."""
    if not isinstance(expr, str):
        return False
    stripped = expr.strip()
    if not stripped.startswith("States."):
        return False
    head = stripped.split("(", 1)[0].strip()
    return "(" in stripped and head in FUNCTIONS


def validate_intrinsic(expr: str) -> str | None:
    """The syntax error message for a malformed call, or None (used by definition validation)."""
    try:
        parse_intrinsic(expr)
    except IntrinsicSyntaxError as exc:
        return str(exc)
    return None


# ------------------------------------------------------------------------------------------ evaluation


def _fail(name: str, message: str) -> StatesError:
    return StatesError(errors.INTRINSIC_FAILURE, f"Invalid arguments in {name}: {message}")


def evaluate_intrinsic(
    expr: str, data: Any, *, context: Any = None, variables: Mapping[str, Any] | None = None
) -> Any:
    """Evaluate an intrinsic call against the data; States.IntrinsicFailure on any misuse."""
    try:
        call = parse_intrinsic(expr)
    except IntrinsicSyntaxError as exc:
        raise StatesError(errors.INTRINSIC_FAILURE, str(exc)) from None
    return _eval(call, data, context, variables)


def _eval(node: Node, data: Any, context: Any, variables: Mapping[str, Any] | None) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArg):
        try:
            return evaluate_path(node.path, data, context=context, variables=variables)
        except PathNotFound as exc:
            raise StatesError(
                errors.INTRINSIC_FAILURE,
                f"The JsonPath argument for the field '{node.path}' could not be found in the "
                f"input '{dumps(data)}'",
            ) from exc
    args = [_eval(arg, data, context, variables) for arg in node.args]
    impl, arity = FUNCTIONS[node.name]
    low, high = arity
    if not low <= len(args) <= (high if high is not None else len(args)):
        expected = f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
        raise _fail(node.name, f"expected {expected} arguments, got {len(args)}")
    if node.name == "States.Format":
        first = node.args[0] if node.args else None
        raw = first.raw if isinstance(first, Literal) and first.raw is not None else None
        return _format(args, raw)
    return impl(node.name, args)


def _is_int(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _need(name: str, ok: bool, message: str) -> None:
    if not ok:
        raise _fail(name, message)


def _format(args: list[Any], raw: str | None) -> str:
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
    return dumps(value)


def _string_to_json(name: str, args: list[Any]) -> Any:
    # Recorded on AWS (intrinsic_functions/test_json_manipulation.py::test_string_to_json): null, "" and
    # blank strings give null
    if args[0] is None or (isinstance(args[0], str) and not args[0].strip()):
        return None
    _need(name, isinstance(args[0], str), "the argument must be a string")
    try:
        return json.loads(args[0], parse_constant=_reject_constant)
    except ValueError as exc:
        raise _fail(name, f"the string is not valid JSON ({exc})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_to_string(name: str, args: list[Any]) -> str:
    return dumps(args[0])


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
    return any(_json_equal(item, value) for item in array)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _array_range(name: str, args: list[Any]) -> list[int]:
    start, end, step = args
    _need(name, all(_is_int(v) for v in args), "start, end and step must be integers")
    start, end, step = int(start), int(end), int(step)
    _need(name, step != 0, "the step must not be 0")
    result = list(range(start, end + (1 if step > 0 else -1), step))
    _need(name, len(result) <= MAX_ARRAY_RANGE, f"the range has more than {MAX_ARRAY_RANGE} items")
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
        if not any(_json_equal(item, seen) for seen in out):
            out.append(item)
    return out


def _base64_encode(name: str, args: list[Any]) -> str:
    value = args[0]
    _need(name, isinstance(value, str), "the argument must be a string")
    _need(name, len(value) <= MAX_STRING, f"the string is longer than {MAX_STRING} characters")
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _base64_decode(name: str, args: list[Any]) -> str:
    value = args[0]
    _need(name, isinstance(value, str), "the argument must be a string")
    _need(name, len(value) <= MAX_STRING, f"the string is longer than {MAX_STRING} characters")
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _fail(name, f"not valid base64 text ({exc})") from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(name: str, args: list[Any]) -> str:
    value, algorithm = args
    _need(name, isinstance(value, str), "the input data must be a string")
    _need(name, algorithm in _HASHES, f"the algorithm must be one of {', '.join(_HASHES)}")
    text = value
    _need(name, len(text) <= MAX_STRING, f"the input is longer than {MAX_STRING} characters")
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8")).hexdigest()


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
