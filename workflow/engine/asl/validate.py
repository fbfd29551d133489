"""Definition checks shaped like the ValidateStateMachineDefinition API's diagnostics.

Codes are AWS's (INVALID_JSON_DESCRIPTION, MISSING_DESCRIPTION, SCHEMA_VALIDATION_FAILED, INVALID_RESOURCE,
MISSING_END_STATE, DUPLICATE_STATE_NAME, INVALID_STATE_NAME, MISSING_TRANSITION_TARGET, warnings NO_DOLLAR,
NO_PATH, PASS_RESULT_IS_STATIC). The executor refuses definitions with ERROR diagnostics, so every check is
one AWS also makes: a false alarm would block a definition AWS accepts.

The rules read the JSON as written, since what they report (a wrong type, an unknown field) is what the
typed model cannot hold; what they check against (the fields of each state type and block, the enums, the
operators, the limits) is declared once by the model. This module walks machines; the rules of states are in
`validate_states` (common, simple types), `validate_choice`, `validate_map`, `validate_errors` and
`validate_values`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workflow.engine.asl.diagnostics import ERROR, WARNING, Diagnostic, Report, Where, loc
from workflow.engine.asl.states import StateMachine
from workflow.engine.asl.validate_states import state
from workflow.engine.asl.validate_values import positive_int
from workflow.engine.asl.vocabulary import JSONATA, JSONPATH, TERMINAL_TYPES, QueryLanguage


class _Object(dict[str, Any]):
    """A JSON object that remembers keys given more than once (json keeps the last silently)."""

    duplicates: tuple[str, ...] = ()


def _pairs_with_duplicates(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    duplicates: list[str] = []
    for key, value in pairs:
        if key in obj:
            duplicates.append(key)
        obj[key] = value
    obj.duplicates = tuple(duplicates)
    return obj


def validate_definition(
    definition: str | Mapping[str, Any] | None, *, severity: str = ERROR
) -> list[Diagnostic]:
    """AWS-shaped diagnostics for a definition; an empty list means it is valid.

    `severity` is the minimum level reported, as in the API: "ERROR" (default) or "WARNING" (both).
    """
    report = Report()
    if definition is None or (isinstance(definition, str) and not definition.strip()):
        report.add("MISSING_DESCRIPTION", "Received a null or empty definition", "/")
        return report.diagnostics
    doc: Any = definition
    if isinstance(definition, str):
        try:
            doc = json.loads(definition, object_pairs_hook=_pairs_with_duplicates)
        except ValueError as exc:
            report.add("INVALID_JSON_DESCRIPTION", f"The definition is not valid JSON: {exc}", "/")
            return report.diagnostics
    if not isinstance(doc, Mapping):
        report.schema("The definition must be a JSON object", "/")
        return report.diagnostics
    language = doc.get("QueryLanguage", JSONPATH)
    top = QueryLanguage(language) if language in (JSONPATH, JSONATA) else JSONPATH
    _Walk(report).machine(doc, (), top, top=True)
    levels = {ERROR: {ERROR}, WARNING: {ERROR, WARNING}}.get(severity.upper(), {ERROR})
    return [d for d in report.diagnostics if d["severity"] in levels]


class _Walk:
    """Walks a definition's machines, nested ones included, adding to one report."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def nested(self, doc: Mapping[str, Any], where: Where, inherited: QueryLanguage) -> None:
        self.machine(doc, where, inherited, top=False)

    def machine(self, doc: Mapping[str, Any], where: Where, inherited: QueryLanguage, *, top: bool) -> None:
        report = self.report
        allowed = StateMachine.FIELDS if top else StateMachine.NESTED_FIELDS
        for key in doc:
            if key not in allowed:
                report.schema(f"The field '{key}' is not supported by Step Functions", loc(*where, key))
        language = doc.get("QueryLanguage", inherited)
        if "QueryLanguage" in doc and language not in (JSONPATH, JSONATA):
            report.schema(
                f"QueryLanguage must be JSONPath or JSONata, not {language!r}", loc(*where, "QueryLanguage")
            )
            language = inherited
        if top and "TimeoutSeconds" in doc and not positive_int(doc["TimeoutSeconds"]):
            report.schema("TimeoutSeconds must be a positive integer", loc(*where, "TimeoutSeconds"))
        if top and "Version" in doc and not isinstance(doc["Version"], str):
            report.schema("Version must be a string", loc(*where, "Version"))
        states = doc.get("States")
        start_at = doc.get("StartAt")
        if not isinstance(states, Mapping) or not states:
            report.schema("These fields are required: [States] (a non-empty object)", loc(*where, "States"))
            return
        for name in getattr(states, "duplicates", ()):
            report.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", loc(*where, "States", name))
        if not isinstance(start_at, str):
            report.schema("These fields are required: [StartAt] (a string)", loc(*where, "StartAt"))
        elif start_at not in states:
            report.add(
                "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start_at}", loc(*where, "StartAt")
            )
        names = list(states)
        for name in names:
            state(
                report,
                name,
                states[name],
                (*where, "States", name),
                QueryLanguage(language),
                names,
                self.nested,
            )
        _graph(report, doc, names, where)


def _graph(report: Report, doc: Mapping[str, Any], names: Sequence[str], where: Where) -> None:
    """A terminal state is present; every state is reachable from StartAt."""
    states = doc["States"]
    terminal = [
        n
        for n in names
        if isinstance(states[n], Mapping)
        and (states[n].get("End") is True or states[n].get("Type") in TERMINAL_TYPES)
    ]
    if not terminal:
        report.add("MISSING_END_STATE", "Workflow has no terminal state", loc(*where) if where else "/")
    start = doc.get("StartAt")
    seen: set[str] = {start} if isinstance(start, str) and start in states else set()
    todo = list(seen)
    while todo:
        spec = states.get(todo.pop())
        for target in _transitions(spec) if isinstance(spec, Mapping) else []:
            if target in states and target not in seen:
                seen.add(target)
                todo.append(target)
    for name in names:
        if name not in seen:  # AWS reports these with the same code as a missing target
            report.add(
                "MISSING_TRANSITION_TARGET", f'State "{name}" is not reachable.', loc(*where, "States", name)
            )


def _transitions(spec: Mapping[str, Any]) -> Iterable[str]:
    """The states a state may go to: Next, Default, and the Next of its Choices and Catchers."""
    if isinstance(spec.get("Next"), str):
        yield spec["Next"]
    if isinstance(spec.get("Default"), str):
        yield spec["Default"]
    for key in ("Choices", "Catch"):
        entries = spec.get(key)
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, Mapping) and isinstance(entry.get("Next"), str):
                    yield entry["Next"]
