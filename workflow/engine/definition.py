"""Parse an Amazon States Language document into a tree of state definitions the executor walks.

States stay close to their JSON (`spec`) so the executor reads fields by their ASL names; parsing only
resolves what every run needs: the effective QueryLanguage of each state (a state's own field wins over the
top-level one, JSONPath by default) and the nested machines of Parallel branches and Map processors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.engine.errors import ServiceError

JSONPATH = "JSONPath"
JSONATA = "JSONata"
STATE_TYPES = {"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}


@dataclass
class StateDef:
    name: str
    type: str
    spec: dict[str, Any]
    query_language: str
    branches: list[Machine] = field(default_factory=list)  # Parallel
    processor: Machine | None = None  # Map (ItemProcessor or legacy Iterator)

    @property
    def next(self) -> str | None:
        return self.spec.get("Next")

    @property
    def end(self) -> bool:
        return bool(self.spec.get("End")) or self.type in ("Succeed", "Fail")

    @property
    def jsonata(self) -> bool:
        return self.query_language == JSONATA

    @property
    def _processor_config(self) -> dict[str, Any]:
        """ProcessorConfig of ItemProcessor, or of the legacy Iterator (AWS accepts it there too)."""
        processor = self.spec.get("ItemProcessor") or self.spec.get("Iterator") or {}
        return processor.get("ProcessorConfig") or {} if isinstance(processor, dict) else {}

    @property
    def distributed(self) -> bool:
        return self.type == "Map" and self._processor_config.get("Mode") == "DISTRIBUTED"

    @property
    def execution_type(self) -> str:
        return str(self._processor_config.get("ExecutionType", "STANDARD"))


@dataclass
class Machine:
    """A state machine or a nested one (Parallel branch, Map processor)."""

    start_at: str
    states: dict[str, StateDef]
    query_language: str
    timeout_seconds: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def state(self, name: str) -> StateDef:
        return self.states[name]

    def find(self, name: str) -> StateDef | None:
        """A state by name anywhere in the tree (state names are unique in a whole definition)."""
        if name in self.states:
            return self.states[name]
        for state in self.states.values():
            for inner in [*state.branches, *([state.processor] if state.processor else [])]:
                found = inner.find(name)
                if found is not None:
                    return found
        return None


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{message}'")


def load_document(definition: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(definition, Mapping):
        return json.loads(json.dumps(definition))
    try:
        doc = json.loads(definition)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"INVALID_JSON_DESCRIPTION: {exc}") from exc
    if not isinstance(doc, dict):
        raise _invalid("SCHEMA_VALIDATION_FAILED: the definition must be a JSON object")
    return doc


def _parse_machine(doc: Mapping[str, Any], inherited: str, where: str) -> Machine:
    language = doc.get("QueryLanguage", inherited)
    if language not in (JSONPATH, JSONATA):
        raise _invalid(f"SCHEMA_VALIDATION_FAILED: unknown QueryLanguage {language!r} at {where}")
    states_doc = doc.get("States")
    start_at = doc.get("StartAt")
    if not isinstance(states_doc, Mapping) or not states_doc:
        raise _invalid(f"SCHEMA_VALIDATION_FAILED: States is required at {where}")
    if not isinstance(start_at, str) or start_at not in states_doc:
        raise _invalid(f"MISSING_TRANSITION_TARGET: StartAt {start_at!r} is not a state at {where}")
    states: dict[str, StateDef] = {}
    for name, spec in states_doc.items():
        path = f"{where}/States/{name}"
        if not isinstance(spec, Mapping) or spec.get("Type") not in STATE_TYPES:
            raise _invalid(f"SCHEMA_VALIDATION_FAILED: unknown state Type at {path}")
        state_language = spec.get("QueryLanguage", language)
        if language == JSONATA and state_language == JSONPATH:
            raise _invalid(f"SCHEMA_VALIDATION_FAILED: a JSONPath state in a JSONata machine at {path}")
        state = StateDef(name=name, type=spec["Type"], spec=dict(spec), query_language=state_language)
        if state.type not in ("Choice", "Succeed", "Fail") and not state.end and state.next not in states_doc:
            raise _invalid(f"MISSING_TRANSITION_TARGET: Next {state.next!r} is not a state at {path}")
        if state.type == "Parallel":
            state.branches = [
                _parse_machine(b, state_language, f"{path}/Branches[{i}]")
                for i, b in enumerate(spec.get("Branches") or [])
            ]
        if state.type == "Map":
            inner = spec.get("ItemProcessor") or spec.get("Iterator")
            if not isinstance(inner, Mapping):
                raise _invalid(f"SCHEMA_VALIDATION_FAILED: Map needs ItemProcessor at {path}")
            # A Distributed Map's child executions start a new top-level machine; it inherits the language.
            state.processor = _parse_machine(inner, state_language, f"{path}/ItemProcessor")
        if state.type == "Choice":
            for i, rule in enumerate(spec.get("Choices") or []):
                if rule.get("Next") not in states_doc:
                    raise _invalid(f"MISSING_TRANSITION_TARGET: Choices[{i}].Next at {path}")
            if "Default" in spec and spec["Default"] not in states_doc:
                raise _invalid(f"MISSING_TRANSITION_TARGET: Default at {path}")
        for i, catcher in enumerate(spec.get("Catch") or []):
            if catcher.get("Next") not in states_doc:
                raise _invalid(f"MISSING_TRANSITION_TARGET: Catch[{i}].Next at {path}")
        states[name] = state
    timeout = doc.get("TimeoutSeconds")
    seconds = float(timeout) if isinstance(timeout, int | float) else None
    return Machine(
        start_at=start_at, states=states, query_language=language, timeout_seconds=seconds, raw=dict(doc)
    )


def _validate(doc: dict[str, Any]) -> None:
    """Run the language layer's validator when available; its ERROR diagnostics reject the definition."""
    try:
        from workflow.engine.validation import validate_definition
    except ImportError:  # the validator is optional for the executor
        return
    diagnostics = validate_definition(doc)
    errors = [d for d in diagnostics if str(d.get("severity", "ERROR")).upper() == "ERROR"]
    if errors:
        first = errors[0]
        where = first.get("location") or first.get("path") or ""
        raise _invalid(
            f"{first.get('code', 'SCHEMA_VALIDATION_FAILED')}: {first.get('message', '')}"
            + (f" at {where}" if where else "")
        )


def parse_definition(definition: str | Mapping[str, Any], *, validate: bool = True) -> Machine:
    """The parsed machine; ServiceError("InvalidDefinition") for documents AWS would reject."""
    doc = load_document(definition)
    if validate:
        _validate(doc)
    return _parse_machine(doc, JSONPATH, "")
