"""Field groups several state types share: JSON payloads, values given literally or by path, the I/O fields
of each query language, and error handling (Retry, Catch).

Absence is explicit: a JSON-valued field that was not given is `None`, a given one is a `Payload` (so
`"Result": null` stays distinguishable from no Result); the path fields default to `"$"`, which is what AWS
does when they are absent ("InputPath, Parameters and ResultSelector", "ResultPath", "OutputPath"), and
hold `None` for an explicit JSON null (which discards the data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Generic, TypeVar

from workflow.engine.asl.vocabulary import JSONATA, JSONPATH, JitterStrategy, QueryLanguage

T = TypeVar("T")
Number = int | float
NumberOrExpression = int | float | str
"""A number, or in a JSONata state a `{% ... %}` expression that yields one."""


@dataclass(frozen=True)
class Payload:
    """A JSON value given in the definition: a JSONPath payload template, a JSONata template, a literal."""

    value: Any


@dataclass(frozen=True)
class Dynamic(Generic[T]):
    """A value given as `Field` (literal; a JSONata expression in JSONata states) or as `FieldPath`.

    `name` is the ASL field name without "Path" (e.g. "TimeoutSeconds"), for error messages.
    """

    name: str
    value: T | None = None
    path: str | None = None

    @property
    def given(self) -> bool:
        return self.value is not None or self.path is not None


# What kind of value each JSONPath field holds (the validator's rules for them are in validate_values).
NULLABLE_PATH_FIELDS: Final = ("InputPath", "OutputPath")
"""Paths that may be null (the state then works on {})."""
REFERENCE_PATH_FIELDS: Final = (
    "ResultPath",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCountPath",
)
"""ReferencePaths (a single node); ResultPath may also be null."""
TEMPLATE_FIELDS: Final = ("Parameters", "ResultSelector", "ItemSelector", "Credentials")
"""Payload templates: keys ending in '.$' hold a path or an intrinsic function."""
EXCLUSIVE_FIELDS: Final = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("Result", "Parameters"),
)
"""Pairs of state fields that cannot be given together (a `Dynamic` is either its value or its path)."""


@dataclass(frozen=True)
class JsonPathIO:
    """InputPath, Parameters, ResultSelector, ResultPath, OutputPath (JSONPath states)."""

    input_path: str | None = "$"
    parameters: Payload | None = None
    result_selector: Payload | None = None
    result_path: str | None = "$"
    output_path: str | None = "$"


@dataclass(frozen=True)
class JsonataIO:
    """Arguments and Output (JSONata states); Assign is common to both languages (`State.assign`)."""

    arguments: Payload | None = None
    output: Payload | None = None


@dataclass(frozen=True)
class Retrier:
    """One entry of Retry, with AWS's defaults for the fields not given ("Retrying after an error")."""

    error_equals: tuple[str, ...]
    interval_seconds: Number = 1
    max_attempts: int = 3
    backoff_rate: Number = 2.0
    max_delay_seconds: Number | None = None
    jitter_strategy: JitterStrategy = JitterStrategy.NONE
    comment: str | None = None
    raw: Mapping[str, Any] | None = None

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        }
    )


@dataclass(frozen=True)
class Catcher:
    """One entry of Catch: the errors it matches, where it goes, and what the state passes on."""

    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"
    output: Payload | None = None
    assign: Payload | None = None
    comment: str | None = None
    raw: Mapping[str, Any] | None = None

    FIELDS: ClassVar[Mapping[QueryLanguage, frozenset[str]]] = {
        JSONPATH: frozenset({"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"}),
        JSONATA: frozenset({"ErrorEquals", "Next", "Output", "Assign", "Comment"}),
    }


@dataclass(frozen=True)
class TaskTiming:
    """TimeoutSeconds(Path) and HeartbeatSeconds(Path) of a Task."""

    timeout: Dynamic[NumberOrExpression] = field(default_factory=lambda: Dynamic("TimeoutSeconds"))
    heartbeat: Dynamic[NumberOrExpression] = field(default_factory=lambda: Dynamic("HeartbeatSeconds"))
