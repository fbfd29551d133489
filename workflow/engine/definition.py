"""Transitional names for the typed model of `workflow.engine.asl` (issue 12: parse once).

`parse_definition` is `asl.parse.parse_definition`; `Machine` and `StateDef` are `StateMachine` and the
base `State`, kept so callers can move to the new names one at a time. New code imports from
`workflow.engine.asl`.
"""

from __future__ import annotations

from workflow.engine.asl.parse import load_document, parse_definition, parse_state
from workflow.engine.asl.states import State, StateMachine
from workflow.engine.asl.vocabulary import JSONATA, JSONPATH, STATE_TYPES

Machine = StateMachine
StateDef = State

__all__ = [
    "JSONATA",
    "JSONPATH",
    "STATE_TYPES",
    "Machine",
    "StateDef",
    "load_document",
    "parse_definition",
    "parse_state",
]
