"""One frozen dataclass per state type, and the machine that holds them.

`State` carries what every state has (name, type, effective QueryLanguage, flow, Assign, both languages'
I/O groups, Retry/Catch, nested machines); each subclass adds its own fields. `FIELDS` on each class is the
set of ASL fields that state type accepts in each query language: the validator's table, kept here so a
field is added to the model and to the table together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workflow.engine.asl.choice_rules import ChoiceRule
from workflow.engine.asl.fields import (
    Catcher,
    Dynamic,
    JsonataIO,
    JsonPathIO,
    NumberOrExpression,
    Payload,
    Retrier,
    TaskTiming,
)
from workflow.engine.asl.map_fields import ItemBatcher, ItemReader, ProcessorConfig, ResultWriter
from workflow.engine.asl.vocabulary import (
    JSONATA,
    JSONPATH,
    ExecutionType,
    ProcessorMode,
    QueryLanguage,
    StateType,
)

FieldTable = Mapping[QueryLanguage, frozenset[str]]

COMMON_FIELDS = frozenset({"Type", "Comment", "QueryLanguage"})
FLOW_FIELDS = frozenset({"Next", "End"})
_RESULT = frozenset({"ResultPath", "ResultSelector"})
_ERRORS = frozenset({"Retry", "Catch"})


@dataclass(frozen=True)
class State:
    """Fields common to all states. `raw` is the state's JSON as written (history events echo it)."""

    name: str
    type: StateType
    raw: Mapping[str, Any]
    query_language: QueryLanguage
    next: str | None = None
    end: bool = False
    """End: true, or a Succeed/Fail state."""
    comment: str | None = None
    assign: Payload | None = None
    jsonpath_io: JsonPathIO = field(default_factory=JsonPathIO)
    jsonata_io: JsonataIO = field(default_factory=JsonataIO)
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    branches: tuple[StateMachine, ...] = ()
    """Parallel: its branches (empty for the other types)."""
    processor: StateMachine | None = None
    """Map: its ItemProcessor (or legacy Iterator); None for the other types."""

    FIELDS: ClassVar[FieldTable] = {}

    @property
    def jsonata(self) -> bool:
        return self.query_language == JSONATA

    @property
    def distributed(self) -> bool:
        return False

    @property
    def execution_type(self) -> ExecutionType:
        return ExecutionType.STANDARD

    def machines(self) -> tuple[StateMachine, ...]:
        """The nested machines: Parallel branches, a Map's processor."""
        return (*self.branches, *((self.processor,) if self.processor is not None else ()))


@dataclass(frozen=True, kw_only=True)
class Pass(State):
    result: Payload | None = None

    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset({"InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign"})
        | FLOW_FIELDS,
        JSONATA: frozenset({"Output", "Assign"}) | FLOW_FIELDS,
    }


@dataclass(frozen=True, kw_only=True)
class Task(State):
    resource: str
    timing: TaskTiming = field(default_factory=TaskTiming)
    credentials: Payload | None = None

    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset(
            {
                "Resource",
                "InputPath",
                "OutputPath",
                "Parameters",
                "TimeoutSeconds",
                "TimeoutSecondsPath",
                "HeartbeatSeconds",
                "HeartbeatSecondsPath",
                "Credentials",
                "Assign",
            }
        )
        | _RESULT
        | _ERRORS
        | FLOW_FIELDS,
        JSONATA: frozenset(
            {"Resource", "Arguments", "Output", "TimeoutSeconds", "HeartbeatSeconds", "Credentials", "Assign"}
        )
        | _ERRORS
        | FLOW_FIELDS,
    }


@dataclass(frozen=True, kw_only=True)
class Choice(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None

    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset({"Choices", "Default", "InputPath", "OutputPath", "Assign"}),
        JSONATA: frozenset({"Choices", "Default", "Output", "Assign"}),
    }


@dataclass(frozen=True, kw_only=True)
class Wait(State):
    seconds: Dynamic[NumberOrExpression] = field(default_factory=lambda: Dynamic("Seconds"))
    timestamp: Dynamic[str] = field(default_factory=lambda: Dynamic("Timestamp"))

    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset(
            {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "InputPath", "OutputPath", "Assign"}
        )
        | FLOW_FIELDS,
        JSONATA: frozenset({"Seconds", "Timestamp", "Output", "Assign"}) | FLOW_FIELDS,
    }


@dataclass(frozen=True, kw_only=True)
class Succeed(State):
    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset({"InputPath", "OutputPath"}),
        JSONATA: frozenset({"Output"}),
    }


@dataclass(frozen=True, kw_only=True)
class Fail(State):
    error: Dynamic[str] = field(default_factory=lambda: Dynamic("Error"))
    cause: Dynamic[str] = field(default_factory=lambda: Dynamic("Cause"))

    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset({"Error", "ErrorPath", "Cause", "CausePath"}),
        JSONATA: frozenset({"Error", "Cause"}),
    }


@dataclass(frozen=True, kw_only=True)
class Parallel(State):
    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset({"Branches", "InputPath", "OutputPath", "Parameters", "Assign"})
        | _RESULT
        | _ERRORS
        | FLOW_FIELDS,
        JSONATA: frozenset({"Branches", "Arguments", "Output", "Assign"}) | _ERRORS | FLOW_FIELDS,
    }


_MAP_BOTH = frozenset(
    {
        "ItemProcessor",
        "ItemSelector",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "MaxConcurrency",
        "ToleratedFailurePercentage",
        "ToleratedFailureCount",
        "Label",
        "Assign",
    }
)
DISTRIBUTED_ONLY_FIELDS = (
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
)
"""Map fields AWS accepts only when ProcessorConfig.Mode is DISTRIBUTED."""


@dataclass(frozen=True, kw_only=True)
class Map(State):
    processor_config: ProcessorConfig = field(default_factory=ProcessorConfig)
    uses_iterator: bool = False
    """The processor was given as the legacy `Iterator` field."""
    items_path: str | None = "$"
    items: Payload | None = None
    """JSONata `Items`."""
    item_selector: Payload | None = None
    """ItemSelector, or the legacy `Parameters` of a Map (named by `item_selector_field`)."""
    item_selector_field: str = "ItemSelector"
    item_reader: ItemReader | None = None
    item_batcher: ItemBatcher | None = None
    result_writer: ResultWriter | None = None
    max_concurrency: Dynamic[NumberOrExpression] = field(default_factory=lambda: Dynamic("MaxConcurrency"))
    tolerated_failure_percentage: Dynamic[NumberOrExpression] = field(
        default_factory=lambda: Dynamic("ToleratedFailurePercentage")
    )
    tolerated_failure_count: Dynamic[NumberOrExpression] = field(
        default_factory=lambda: Dynamic("ToleratedFailureCount")
    )
    label: str | None = None

    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: _MAP_BOTH
        | frozenset(
            {
                "Iterator",
                "ItemsPath",
                "Parameters",
                "MaxConcurrencyPath",
                "ToleratedFailurePercentagePath",
                "ToleratedFailureCountPath",
                "InputPath",
                "OutputPath",
            }
        )
        | _RESULT
        | _ERRORS
        | FLOW_FIELDS,
        JSONATA: _MAP_BOTH | frozenset({"Items", "Output"}) | _ERRORS | FLOW_FIELDS,
    }

    @property
    def distributed(self) -> bool:
        return self.processor_config.mode == ProcessorMode.DISTRIBUTED

    @property
    def execution_type(self) -> ExecutionType:
        return self.processor_config.execution_type


STATE_CLASSES: Mapping[StateType, type[State]] = {
    StateType.PASS: Pass,
    StateType.TASK: Task,
    StateType.CHOICE: Choice,
    StateType.WAIT: Wait,
    StateType.SUCCEED: Succeed,
    StateType.FAIL: Fail,
    StateType.PARALLEL: Parallel,
    StateType.MAP: Map,
}


@dataclass(frozen=True)
class StateMachine:
    """A state machine, or a nested one (a Parallel branch, a Map's processor)."""

    start_at: str
    states: Mapping[str, State]
    query_language: QueryLanguage
    timeout_seconds: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    comment: str | None = None
    version: str | None = None

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"}
    )
    """The fields of a top-level machine."""
    NESTED_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"}
    )
    """The fields of a Parallel branch or a Map's processor."""

    def state(self, name: str) -> State:
        return self.states[name]

    def find(self, name: str) -> State | None:
        """A state by name anywhere in the tree (state names are unique in a whole definition)."""
        for state in self.walk():
            if state.name == name:
                return state
        return None

    def walk(self) -> Iterator[State]:
        """Every state of this machine and of the machines nested in it, depth first."""
        for state in self.states.values():
            yield state
            for inner in state.machines():
                yield from inner.walk()
