"""JSONPath as AWS Step Functions uses it: paths, reference paths, the context object and variables.

AWS evaluates paths with Jayway JsonPath, so its rules are followed here: a *definite* path (only names
and indexes) selects one node or fails; an *indefinite* path (wildcards, filters, slices, recursive
descent, unions) returns the list of everything it matched, silently skipping branches that do not exist.
The root is `$` (the data), `$$` (the context object) or `$name` (a variable set by `Assign`).

Longer than the project's usual module (about 700 lines) on purpose: it is one dialect, whose filter
predicates (`[?(@.x > $.y)]`) parse and evaluate paths themselves, so parser and evaluator are one
recursive unit; split, each half would import the other.
"""

from __future__ import annotations

import copy
import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.engine import errors
from workflow.engine.errors import StatesError
from workflow.engine.json_format import compact_json
from workflow.engine.json_format import json_equal as _json_equal


class _Missing:
    """The type of MISSING: a field that is absent, as opposed to JSON null (None)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class PathSyntaxError(ValueError):
    """The text is not a JSONPath this engine (and AWS) accepts."""


class PathNotFound(StatesError):
    """The path selected nothing. It is a States.Runtime error unless the caller maps it to another name."""

    def __init__(self, path: str, message: str = "") -> None:
        cause = f"Invalid path '{path}' : {message or 'No results for path: ' + path}"
        super().__init__(errors.RUNTIME, cause)
        self.path = path


_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars); several times faster than copy.deepcopy.

    Scalars are taken in the comprehensions without a call: a batch of rows is mostly scalars, and a
    call per scalar was most of the copy's cost (issue 14)."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_json(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else copy_json(v) for v in value]
    if kind in _SCALARS:
        return value
    if isinstance(value, Mapping | tuple):
        return copy.deepcopy(value)
    return value


# ---------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Child:
    name: str


@dataclass(frozen=True)
class Index:
    index: int


@dataclass(frozen=True)
class Union:
    keys: tuple[str | int, ...]


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True)
class Descend:
    """`..name`, `..*` or `..[...]`: the inner segment applied at every depth."""

    inner: Any


@dataclass(frozen=True)
class Filter:
    predicate: Any  # a compiled filter expression (see _FilterParser)
    text: str


Segment = Child | Index | Union | Wildcard | Slice | Descend | Filter


@dataclass(frozen=True)
class ParsedPath:
    """A parsed path: its root (`$`, `$$` or a variable name) and its segments."""

    text: str
    root: str  # "$", "$$" or "$name"
    segments: tuple[Segment, ...]

    @property
    def definite(self) -> bool:
        return all(isinstance(s, Child | Index) for s in self.segments)

    @property
    def variable(self) -> str | None:
        return self.root[1:] if self.root not in ("$", "$$") else None


_NAME_STOP = ".["
_FILTER_NAME_STOP = ".[]() \t\n=!<>&|,"
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _PathParser:
    def __init__(self, text: str, pos: int = 0, *, in_filter: bool = False) -> None:
        self.text = text
        self.pos = pos
        self.in_filter = in_filter

    def error(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(f"invalid JSONPath {self.text!r} at position {self.pos}: {message}")

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_ws(self) -> None:
        while not self.at_end() and self.text[self.pos].isspace():
            self.pos += 1

    def parse_root(self) -> str:
        if self.peek(2) == "$$":
            self.pos += 2
            return "$$"
        if self.peek() == "@" and self.in_filter:
            self.pos += 1
            return "@"
        if self.peek() != "$":
            raise self.error("a path starts with '$'")
        self.pos += 1
        m = _VAR_NAME.match(self.text, self.pos)
        if m and not self.in_filter:
            self.pos = m.end()
            return "$" + m.group(0)
        return "$"

    def parse_segments(self) -> list[Segment]:
        segments: list[Segment] = []
        while not self.at_end():
            c = self.peek()
            if self.peek(2) == "..":
                self.pos += 2
                if self.peek() == "[":
                    segments.append(Descend(self.parse_bracket()))
                elif self.peek() == "*":
                    self.pos += 1
                    segments.append(Descend(Wildcard()))
                else:
                    segments.append(Descend(Child(self.parse_name())))
            elif c == ".":
                self.pos += 1
                if self.peek() == "*":
                    self.pos += 1
                    segments.append(Wildcard())
                else:
                    segments.append(Child(self.parse_name()))
            elif c == "[":
                segments.append(self.parse_bracket())
            elif self.in_filter:
                break
            else:
                raise self.error(f"unexpected {c!r}")
        return segments

    def parse_name(self) -> str:
        stop = _FILTER_NAME_STOP if self.in_filter else _NAME_STOP
        start = self.pos
        while not self.at_end() and self.text[self.pos] not in stop:
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise self.error("empty property name")
        if name.endswith("()"):
            raise self.error("path functions are not supported")
        return name

    def parse_quoted(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while True:
            if self.at_end():
                raise self.error("unterminated string")
            c = self.text[self.pos]
            if c == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if c == quote:
                return "".join(out)
            out.append(c)

    def parse_int(self) -> int:
        m = re.compile(r"\s*(-?\d+)\s*").match(self.text, self.pos)
        if not m:
            raise self.error("expected an integer")
        self.pos = m.end()
        return int(m.group(1))

    def parse_bracket(self) -> Segment:
        self.pos += 1  # "["
        self.skip_ws()
        if self.at_end():
            raise self.error("unterminated '['")
        c = self.peek()
        if c == "*":
            self.pos += 1
            self.expect("]")
            return Wildcard()
        if c == "?":
            return self.parse_filter()
        if c in "'\"":
            names: list[str | int] = [self.parse_quoted()]
            self.skip_ws()
            while self.peek() == ",":
                self.pos += 1
                self.skip_ws()
                if self.peek() not in ("'", '"'):
                    raise self.error("expected a quoted name")
                names.append(self.parse_quoted())
                self.skip_ws()
            self.expect("]")
            return Child(str(names[0])) if len(names) == 1 else Union(tuple(names))
        # numbers: index, union of indexes or slice
        if c == ":" or re.match(r"\s*-?\d*\s*:", self.text[self.pos :]):
            parts: list[int | None] = []
            for _ in range(3):
                self.skip_ws()
                parts.append(self.parse_int() if self.peek() not in (":", "]") else None)
                self.skip_ws()
                if self.peek() == ":":
                    self.pos += 1
                    continue
                break
            self.expect("]")
            parts += [None] * (3 - len(parts))
            if parts[2] == 0:
                raise self.error("slice step cannot be zero")
            return Slice(parts[0], parts[1], parts[2])
        indexes: list[str | int] = [self.parse_int()]
        while self.peek() == ",":
            self.pos += 1
            indexes.append(self.parse_int())
        self.expect("]")
        return Index(int(indexes[0])) if len(indexes) == 1 else Union(tuple(indexes))

    def expect(self, s: str) -> None:
        self.skip_ws()
        if self.peek(len(s)) != s:
            raise self.error(f"expected {s!r}")
        self.pos += len(s)

    def parse_filter(self) -> Filter:
        self.pos += 1  # "?"
        self.skip_ws()
        self.expect("(")
        start = self.pos
        fp = _FilterParser(self.text, self.pos)
        predicate = fp.parse_or()
        self.pos = fp.pos
        self.skip_ws()
        text = self.text[start : self.pos]
        self.expect(")")
        self.expect("]")
        return Filter(predicate, text)


_CACHE: dict[str, ParsedPath] = {}


def parse_path(path: str) -> ParsedPath:
    """Parse (and cache) a path; raises PathSyntaxError for text that is not a JSONPath."""
    cached = _CACHE.get(path)
    if cached is not None:
        return cached
    if not isinstance(path, str):
        raise PathSyntaxError(f"a JSONPath must be a string, not {type(path).__name__}")
    parser = _PathParser(path)
    root = parser.parse_root()
    segments = tuple(parser.parse_segments())
    parsed = ParsedPath(path, root, segments)
    if len(_CACHE) < 4096:
        _CACHE[path] = parsed
    return parsed


def is_valid_path(path: Any) -> bool:
    """True for a syntactically valid Path (`$...`, `$$...` or `$var...`)."""
    try:
        parse_path(path)
    except PathSyntaxError:
        return False
    return True


def is_reference_path(path: Any) -> bool:
    """A ReferencePath: one node only (names and indexes), as ResultPath and the `Variable` field require."""
    try:
        return parse_path(path).definite
    except PathSyntaxError:
        return False


# ----------------------------------------------------------------------------------------- filters

_Pred = Callable[[Any, Any], Any]  # (current node "@", document root "$") -> value


class _FilterParser:
    """Jayway-style filter predicates: `@.x > 1 && (@.y == 'a' || !@.z)`, `=~ /re/i`, `in`, `nin`."""

    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def error(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(f"invalid JSONPath filter in {self.text!r} at position {self.pos}: {message}")

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, s: str) -> bool:
        self.ws()
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            return True
        return False

    def parse_or(self) -> _Pred:
        left = self.parse_and()
        while self.take("||"):
            right = self.parse_and()
            left = _either(left, right)
        return left

    def parse_and(self) -> _Pred:
        left = self.parse_unary()
        while self.take("&&"):
            right = self.parse_unary()
            left = _both(left, right)
        return left

    def parse_unary(self) -> _Pred:
        if self.take("!"):
            inner = self.parse_unary()
            return lambda cur, root: not _truthy(inner(cur, root))
        return self.parse_comparison()

    def parse_comparison(self) -> _Pred:
        self.ws()
        if self.take("("):
            inner = self.parse_or()
            if not self.take(")"):
                raise self.error("expected ')'")
            return inner
        left = self.parse_operand()
        self.ws()
        for op in ("==", "!=", "<=", ">=", "=~", "<", ">", " in ", " nin "):
            probe = op.strip()
            if op.startswith(" "):
                m = re.compile(rf"\s*{probe}\b").match(self.text, self.pos)
                if not m:
                    continue
                self.pos = m.end()
            elif not self.take(probe):
                continue
            right = self.parse_operand(regex=probe == "=~")
            return _comparison(probe, left, right)
        return lambda cur, root: left(cur, root) is not MISSING and _exists_truthy(left(cur, root))

    def parse_operand(self, *, regex: bool = False) -> _Pred:
        self.ws()
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("expected a value")
        c = text[pos]
        if c in "@$":
            p = _PathParser(text, pos, in_filter=True)
            root = p.parse_root()
            segments = tuple(p.parse_segments())
            self.pos = p.pos
            parsed = ParsedPath(text[pos : p.pos], root, segments)

            def operand(cur: Any, doc: Any) -> Any:
                base = cur if parsed.root == "@" else doc
                found = _walk(parsed, base, context=None, variables=None)
                if parsed.definite:
                    return found[0] if found else MISSING
                return found

            return operand
        if c in "'\"":
            p = _PathParser(text, pos)
            value = p.parse_quoted()
            self.pos = p.pos
            return lambda cur, root: value
        if c == "/" and regex:
            end = pos + 1
            while end < len(text) and text[end] != "/":
                end += 2 if text[end] == "\\" else 1
            if end >= len(text):
                raise self.error("unterminated regex")
            pattern = text[pos + 1 : end]
            self.pos = end + 1
            flags = 0
            while self.pos < len(text) and text[self.pos] in "imsx":
                flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[text[self.pos]]
                self.pos += 1
            compiled = re.compile(pattern, flags)
            return lambda cur, root: compiled
        if c == "[":
            end = _matching(text, pos, "[", "]")
            try:
                value = json.loads(text[pos : end + 1].replace("'", '"'))
            except ValueError as exc:
                raise self.error("bad list literal") from exc
            self.pos = end + 1
            return lambda cur, root: value
        m = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|true\b|false\b|null\b").match(text, pos)
        if not m:
            raise self.error("expected a value")
        self.pos = m.end()
        literal = json.loads(m.group(0))
        return lambda cur, root: literal


def _either(a: _Pred, b: _Pred) -> _Pred:
    return lambda cur, root: _truthy(a(cur, root)) or _truthy(b(cur, root))


def _both(a: _Pred, b: _Pred) -> _Pred:
    return lambda cur, root: _truthy(a(cur, root)) and _truthy(b(cur, root))


def _matching(text: str, pos: int, open_: str, close: str) -> int:
    depth = 0
    quote = ""
    for i in range(pos, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return i
    raise PathSyntaxError(f"unbalanced {open_!r} in {text!r}")


def _truthy(value: Any) -> bool:
    return value is not MISSING and value is not None and value is not False


def _exists_truthy(value: Any) -> bool:
    # `[?(@.x)]` in Jayway is an existence test; `[?(@.flag)]` on false is still "exists".
    return value is not MISSING


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _comparison(op: str, left: _Pred, right: _Pred) -> _Pred:
    def compare(cur: Any, root: Any) -> bool:
        a, b = left(cur, root), right(cur, root)
        if a is MISSING or b is MISSING:
            return op == "nin" and a is not MISSING
        if op == "=~":
            return isinstance(a, str) and isinstance(b, re.Pattern) and b.fullmatch(a) is not None
        if op in ("in", "nin"):
            found = isinstance(b, list) and any(_json_equal(a, x) for x in b)
            return found if op == "in" else not found
        if op == "==":
            return _json_equal(a, b)
        if op == "!=":
            return not _json_equal(a, b)
        if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return bool(_ORDER[op](a, b))
        return False

    return compare


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# -------------------------------------------------------------------------------------- evaluation


def _apply(segment: Segment, node: Any, root: Any, out: list[Any]) -> None:
    if isinstance(segment, Child):
        if (type(node) is dict or isinstance(node, Mapping)) and segment.name in node:
            out.append(node[segment.name])
    elif isinstance(segment, Index):
        if isinstance(node, list) and -len(node) <= segment.index < len(node):
            out.append(node[segment.index])
    elif isinstance(segment, Union):
        for key in segment.keys:
            if isinstance(key, str):
                if isinstance(node, Mapping) and key in node:
                    out.append(node[key])
            elif isinstance(node, list) and -len(node) <= key < len(node):
                out.append(node[key])
    elif isinstance(segment, Wildcard):
        if isinstance(node, Mapping):
            out.extend(node.values())
        elif isinstance(node, list):
            out.extend(node)
    elif isinstance(segment, Slice):
        if isinstance(node, list):
            out.extend(node[segment.start : segment.stop : segment.step])
    elif isinstance(segment, Filter):
        if isinstance(node, list):
            out.extend(item for item in node if _truthy(segment.predicate(item, root)))
        elif isinstance(node, Mapping) and _truthy(segment.predicate(node, root)):
            out.append(node)
    elif isinstance(segment, Descend):
        _descend(segment.inner, node, root, out)


def _descend(inner: Segment, node: Any, root: Any, out: list[Any]) -> None:
    _apply(inner, node, root, out)
    if isinstance(node, Mapping):
        for value in node.values():
            _descend(inner, value, root, out)
    elif isinstance(node, list):
        for value in node:
            _descend(inner, value, root, out)


def _walk(parsed: ParsedPath, data: Any, *, context: Any, variables: Mapping[str, Any] | None) -> list[Any]:
    if parsed.root == "$$":
        base = context
    elif parsed.root in ("$", "@"):
        base = data
    else:
        name = parsed.root[1:]
        if variables is None or name not in variables:
            return []
        base = variables[name]
    nodes = [base]
    for segment in parsed.segments:
        nxt: list[Any] = []
        for node in nodes:
            _apply(segment, node, data, nxt)
        nodes = nxt
        if not nodes:
            break
    return nodes


def evaluate_path(
    path: str, data: Any, *, context: Any = None, variables: Mapping[str, Any] | None = None
) -> Any:
    """The value a path selects: one node for a definite path, a list for one with wildcards or filters.

    Raises PathNotFound when a definite path selects nothing (also for an unknown variable), and
    PathSyntaxError for text that is not a path.
    """
    parsed = parse_path(path)
    if parsed.variable is not None and (variables is None or parsed.variable not in variables):
        raise PathNotFound(path, f"The variable '{parsed.root}' is not defined")
    found = _walk(parsed, data, context=context, variables=variables)
    if parsed.definite:
        if not found:
            raise PathNotFound(path, "No results for path: " + _canonical(parsed))
        return found[0]
    return found


def _canonical(parsed: ParsedPath) -> str:
    """Jayway's bracket form of a path (`$['a']['b'][0]`), used in AWS's error causes."""
    parts = [parsed.root]
    for s in parsed.segments:
        if isinstance(s, Child):
            parts.append(f"['{s.name}']")
        elif isinstance(s, Index):
            parts.append(f"[{s.index}]")
        else:
            return parsed.text
    return "".join(parts)


def apply_input_path(
    data: Any,
    input_path: str | None = MISSING,
    *,
    context: Any = None,
    variables: Mapping[str, Any] | None = None,
) -> Any:
    """InputPath: absent means "$" (the whole input); JSON null means an empty object `{}`."""
    if input_path is MISSING or input_path == "$":
        return data
    if input_path is None:
        return {}
    return evaluate_path(input_path, data, context=context, variables=variables)


def apply_output_path(
    data: Any,
    output_path: str | None = MISSING,
    *,
    context: Any = None,
    variables: Mapping[str, Any] | None = None,
) -> Any:
    """OutputPath: same rules as InputPath, applied to the state's output."""
    return apply_input_path(data, output_path, context=context, variables=variables)


def apply_result_path(state_input: Any, result: Any, result_path: str | None = MISSING) -> Any:
    """Combine a state's input and its result as ResultPath says.

    Absent or "$": the result replaces the input. null: the result is discarded and the input passes
    through. A reference path: the result is set at that place in a copy of the input, creating missing
    objects on the way; anything else (input not an object, an array in the way) is
    States.ResultPathMatchFailure, as on AWS.
    """
    if result_path is MISSING or result_path == "$":
        return result
    if result_path is None:
        return state_input
    try:
        parsed = parse_path(result_path)
    except PathSyntaxError as exc:
        raise StatesError(errors.RESULT_PATH_MATCH_FAILURE, str(exc)) from exc
    if parsed.root != "$" or not parsed.definite:
        raise StatesError(
            errors.RESULT_PATH_MATCH_FAILURE,
            f"ResultPath '{result_path}' is not a reference path on the state input",
        )
    failure = StatesError(
        errors.RESULT_PATH_MATCH_FAILURE,
        f'Unable to apply ResultPath "{result_path}" to input "{compact_json(state_input)}"',
    )
    if not isinstance(state_input, Mapping):
        raise failure
    output = copy_json(dict(state_input))
    node: Any = output
    segments: Sequence[Segment] = parsed.segments
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if isinstance(segment, Child):
            if not isinstance(node, dict):
                raise failure
            if last:
                node[segment.name] = result
            else:
                if segment.name not in node:
                    node[segment.name] = {}
                node = node[segment.name]
        else:
            assert isinstance(segment, Index)
            if not isinstance(node, list) or not -len(node) <= segment.index < len(node):
                raise failure
            if last:
                node[segment.index] = result
            else:
                node = node[segment.index]
    return output
