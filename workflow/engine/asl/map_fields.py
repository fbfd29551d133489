"""The field groups of a Map state: ProcessorConfig, and a Distributed Map's ItemReader, ItemBatcher and
ResultWriter ("Map state", "ItemReader", "ItemBatcher", "ResultWriter" in the Step Functions guide).

Blocks that are evaluated as a whole at run time (their Parameters/Arguments may build any field) also keep
their raw JSON (`raw`), which is what the runner evaluates; the typed fields say what was written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workflow.engine.asl.fields import Dynamic, NumberOrExpression, Payload
from workflow.engine.asl.vocabulary import (
    CSV_DELIMITERS,
    JSONATA,
    JSONPATH,
    CSVHeaderLocation,
    ExecutionType,
    ProcessorMode,
    QueryLanguage,
    ReaderInputType,
)

FieldTable = Mapping[QueryLanguage, frozenset[str]]
ARGUMENTS_FIELD: Mapping[QueryLanguage, str] = {JSONPATH: "Parameters", JSONATA: "Arguments"}
"""The field of ItemReader and ResultWriter that builds the API call's arguments, per query language."""


@dataclass(frozen=True)
class ProcessorConfig:
    """ItemProcessor.ProcessorConfig (AWS accepts it in the legacy Iterator too)."""

    mode: ProcessorMode = ProcessorMode.INLINE
    execution_type: ExecutionType = ExecutionType.STANDARD

    FIELDS: ClassVar[frozenset[str]] = frozenset({"Mode", "ExecutionType"})


@dataclass(frozen=True)
class ReaderConfig:
    """ItemReader.ReaderConfig."""

    input_type: ReaderInputType | None = None
    csv_header_location: CSVHeaderLocation = CSVHeaderLocation.FIRST_ROW
    csv_headers: tuple[str, ...] | None = None
    csv_delimiter: str = "COMMA"
    max_items: Dynamic[NumberOrExpression] = field(default_factory=lambda: Dynamic("MaxItems"))
    manifest_type: str | None = None
    transformation: str | None = None

    FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "MaxItemsPath",
            "ManifestType",
            "Transformation",
        }
    )

    @property
    def delimiter(self) -> str:
        """The character CSVDelimiter names (a comma by default)."""
        return CSV_DELIMITERS.get(self.csv_delimiter, ",")


@dataclass(frozen=True)
class ItemReader:
    """Where a Distributed Map reads its items: a Resource (s3:getObject, s3:listObjectsV2), its
    Parameters (JSONPath) or Arguments (JSONata) and ReaderConfig."""

    resource: str
    reader_config: ReaderConfig = field(default_factory=ReaderConfig)
    parameters: Payload | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    FIELDS: ClassVar[FieldTable] = {
        language: frozenset({"Resource", "ReaderConfig", ARGUMENTS_FIELD[language]})
        for language in (JSONPATH, JSONATA)
    }


@dataclass(frozen=True)
class ItemBatcher:
    """Groups items into batches: MaxItemsPerBatch(Path), MaxInputBytesPerBatch(Path), BatchInput."""

    max_items_per_batch: Dynamic[NumberOrExpression] = field(
        default_factory=lambda: Dynamic("MaxItemsPerBatch")
    )
    max_input_bytes_per_batch: Dynamic[NumberOrExpression] = field(
        default_factory=lambda: Dynamic("MaxInputBytesPerBatch")
    )
    batch_input: Payload | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    LIMITS: ClassVar[tuple[str, ...]] = ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
    FIELDS: ClassVar[FieldTable] = {
        JSONPATH: frozenset({*LIMITS, "BatchInput", *(limit + "Path" for limit in LIMITS)}),
        JSONATA: frozenset({*LIMITS, "BatchInput"}),
    }


@dataclass(frozen=True)
class ResultWriter:
    """Where a Distributed Map writes its results: Resource (s3:putObject) and Parameters/Arguments, and/or
    WriterConfig (OutputType, Transformation)."""

    resource: str | None = None
    parameters: Payload | None = None
    writer_config: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    FIELDS: ClassVar[FieldTable] = {
        language: frozenset({"Resource", "WriterConfig", ARGUMENTS_FIELD[language]})
        for language in (JSONPATH, JSONATA)
    }
