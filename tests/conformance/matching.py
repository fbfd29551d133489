"""Expected-value matching for conformance cases: exact JSON equality plus a few `$` matchers.

Matchers (a JSON object with one `$` key): `{"$any": true}`, `{"$type": "string|number|integer|object|array|
boolean|null"}`, `{"$regex": "..."}` (full match), `{"$contains": "..."}` (substring), `{"$json": <expected>}`
(a string holding JSON that matches), `{"$subset": {...}}` (an object with at least these keys),
`{"$len": n}` (array/string/object length), `{"$approx": x}` (number within 1e-6), `{"$each": <expected>}`
(a non-empty array whose every element matches).
"""

from __future__ import annotations

import json
import re
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "object": (dict,),
    "array": (list,),
    "boolean": (bool,),
    "null": (type(None),),
}


def mismatch(expected: Any, actual: Any, path: str = "$") -> str | None:
    """None when `actual` matches `expected`; else a description of the first difference."""
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)).startswith("$"):
        return _match_special(next(iter(expected)), next(iter(expected.values())), actual, path)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r:.200}"
        if set(expected) != set(actual):
            return f"{path}: keys {sorted(actual)} != expected {sorted(expected)}"
        for key, value in expected.items():
            if problem := mismatch(value, actual[key], f"{path}.{key}"):
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{path}: expected {len(expected)}-item array, got {actual!r:.300}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            if problem := mismatch(e, a, f"{path}[{i}]"):
                return problem
        return None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return None if expected is actual else f"{path}: {actual!r} != {expected!r}"
    if expected != actual or (type(expected) is str and type(actual) is not str):
        return f"{path}: {actual!r:.300} != expected {expected!r:.300}"
    return None


def _match_special(op: str, arg: Any, actual: Any, path: str) -> str | None:
    if op == "$any":
        return None
    if op == "$type":
        is_bool_as_number = arg in ("number", "integer") and isinstance(actual, bool)
        ok = isinstance(actual, _TYPES[arg]) and not is_bool_as_number
        return None if ok else f"{path}: {actual!r:.100} is not {arg}"
    if op == "$regex":
        ok = isinstance(actual, str) and re.fullmatch(arg, actual, re.DOTALL)
        return None if ok else f"{path}: {actual!r:.300} does not match /{arg}/"
    if op == "$contains":
        ok = isinstance(actual, str) and arg in actual
        return None if ok else f"{path}: {actual!r:.300} does not contain {arg!r}"
    if op == "$json":
        try:
            parsed = json.loads(actual)
        except (TypeError, ValueError):
            return f"{path}: {actual!r:.300} is not a JSON string"
        return mismatch(arg, parsed, f"{path}<json>")
    if op == "$subset":
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r:.200}"
        for key, value in arg.items():
            if key not in actual:
                return f"{path}: missing key {key!r} (has {sorted(actual)})"
            if problem := mismatch(value, actual[key], f"{path}.{key}"):
                return problem
        return None
    if op == "$len":
        ok = hasattr(actual, "__len__") and len(actual) == arg
        return None if ok else f"{path}: length of {actual!r:.200} is not {arg}"
    if op == "$each":
        if not isinstance(actual, list) or not actual:
            return f"{path}: expected a non-empty array, got {actual!r:.200}"
        for i, item in enumerate(actual):
            if problem := mismatch(arg, item, f"{path}[{i}]"):
                return problem
        return None
    if op == "$approx":
        ok = isinstance(actual, int | float) and abs(actual - arg) < 1e-6
        return None if ok else f"{path}: {actual!r} is not ~{arg}"
    raise ValueError(f"unknown matcher {op} at {path}")


def subsequence_mismatch(expected: list[Any], events: list[dict[str, Any]]) -> str | None:
    """Each expected entry (an event type, or an object matched as a subset) appears in order in `events`."""
    position = 0
    for want in expected:
        while position < len(events):
            event = events[position]
            position += 1
            if isinstance(want, str):
                if event.get("type") == want:
                    break
            elif mismatch({"$subset": want}, event) is None:
                break
        else:
            types = [e.get("type") for e in events]
            return f"history: {want!r:.300} not found in order in {types}"
    return None


_PAYLOAD_FIELDS = ("input", "output", "parameters", "result", "assignedVariables")


def _payload(value: Any) -> Any:
    """A history payload as JSON: recorded snapshots keep objects parsed and scalars/arrays as text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _normalized(event: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in event.items():
        if key == "timestamp":
            continue
        if isinstance(value, dict) and key.endswith("EventDetails"):
            value = {k: _payload(v) if k in _PAYLOAD_FIELDS else v for k, v in value.items()}
        out[key] = value
    return out


def history_events_mismatch(expected: list[dict[str, Any]], events: list[dict[str, Any]]) -> str | None:
    """The history is exactly `expected` (a recorded one): same count, each event's id, previousEventId,
    type and details equal (payload strings compared as JSON), timestamps ignored; `$` matchers allowed."""
    summary = [(e.get("id"), e.get("previousEventId"), e.get("type")) for e in events]
    if len(expected) != len(events):
        return f"history has {len(events)} events, recorded {len(expected)}: {summary}"
    for index, (want, got) in enumerate(zip(expected, events, strict=True)):
        if problem := mismatch(_normalized(want), _normalized(got), f"events[{index}]"):
            return f"{problem}\nhistory: {summary}"
    return None
