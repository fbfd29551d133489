"""The closed sets of names of the Amazon States Language and the limits its reference states.

Every other module (the model, the validation rules, the item reader) takes these names from here, so a
value the language gains is added once. The enums are `StrEnum`s: a member equals its ASL spelling
(`StateType.MAP == "Map"`) and JSON-encodes as it, so code holding plain strings keeps working.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, TypeVar

E = TypeVar("E", bound=StrEnum)


class StateType(StrEnum):
    PASS = "Pass"
    TASK = "Task"
    CHOICE = "Choice"
    WAIT = "Wait"
    SUCCEED = "Succeed"
    FAIL = "Fail"
    PARALLEL = "Parallel"
    MAP = "Map"


class QueryLanguage(StrEnum):
    JSONPATH = "JSONPath"
    JSONATA = "JSONata"


class ProcessorMode(StrEnum):
    """ProcessorConfig.Mode of a Map ("INLINE" when not given)."""

    INLINE = "INLINE"
    DISTRIBUTED = "DISTRIBUTED"


class ExecutionType(StrEnum):
    """ProcessorConfig.ExecutionType of a Distributed Map's child executions."""

    STANDARD = "STANDARD"
    EXPRESS = "EXPRESS"


class JitterStrategy(StrEnum):
    FULL = "FULL"
    NONE = "NONE"


class ReaderInputType(StrEnum):
    """ReaderConfig.InputType of a Distributed Map's ItemReader."""

    CSV = "CSV"
    JSON = "JSON"
    JSONL = "JSONL"
    MANIFEST = "MANIFEST"
    PARQUET = "PARQUET"


class CSVHeaderLocation(StrEnum):
    FIRST_ROW = "FIRST_ROW"
    GIVEN = "GIVEN"


JSONPATH: Final = QueryLanguage.JSONPATH
JSONATA: Final = QueryLanguage.JSONATA
STATE_TYPES: Final = tuple(StateType)
TERMINAL_TYPES: Final = (StateType.SUCCEED, StateType.FAIL)
"""States that end a machine without an End field."""
NO_TRANSITION_TYPES: Final = (StateType.CHOICE, StateType.SUCCEED, StateType.FAIL)
"""States that take neither Next nor End."""

CSV_DELIMITERS: Final[dict[str, str]] = {
    "COMMA": ",",
    "PIPE": "|",
    "SEMICOLON": ";",
    "SPACE": " ",
    "TAB": "\t",
}
"""ReaderConfig.CSVDelimiter names and the character each stands for ("ReaderConfig", Distributed Map)."""

MAX_LABEL: Final = 40
"""A Map's Label is at most 40 characters ("Map state", Label)."""
TOLERATED_PERCENTAGE_MAX: Final = 100


def is_member(kind: type[StrEnum], value: Any) -> bool:
    """Whether a JSON value is one of the enum's spellings (any JSON value: lists are not hashed)."""
    return any(value == member.value for member in kind)


def member_or(kind: type[E], value: Any, default: E) -> E:
    """The member a JSON value spells, or `default`."""
    return kind(value) if is_member(kind, value) else default
