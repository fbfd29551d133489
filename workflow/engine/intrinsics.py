"""Intrinsic functions of the Amazon States Language (JSONPath mode): `States.Format(...)` and friends.

A small tokenizer and recursive-descent parser turn the expression into a tree (calls, string, number,
boolean and null literals, paths), which is then evaluated against the state's data, the context object
and the variables; `intrinsic_functions.py` implements the functions. Every misuse (wrong argument count
or type, limits from AWS's docs) raises StatesError("States.IntrinsicFailure") with a cause naming the
function, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow.engine import errors, quotas
from workflow.engine.errors import StatesError
from workflow.engine.intrinsic_functions import FUNCTIONS, fail, format_string
from workflow.engine.json_format import compact_json
from workflow.engine.paths import PathNotFound, PathSyntaxError, evaluate_path, parse_path


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
        if depth > quotas.INTRINSIC_NESTING:
            raise self.error(f"more than {quotas.INTRINSIC_NESTING} nested intrinsic functions")
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
                f"input '{compact_json(data)}'",
            ) from exc
    args = [_eval(arg, data, context, variables) for arg in node.args]
    impl, arity = FUNCTIONS[node.name]
    low, high = arity
    if not low <= len(args) <= (high if high is not None else len(args)):
        expected = f"{low}" if low == high else f"{low} to {high}" if high is not None else f"at least {low}"
        raise fail(node.name, f"expected {expected} arguments, got {len(args)}")
    if node.name == "States.Format":
        first = node.args[0] if node.args else None
        raw = first.raw if isinstance(first, Literal) and first.raw is not None else None
        return format_string(args, raw)
    return impl(node.name, args)
