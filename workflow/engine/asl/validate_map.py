"""Rules of a Map state ("Map state", inline and distributed): its processor and ProcessorConfig, the
fields only a Distributed Map takes, and its ItemReader, ItemBatcher and ResultWriter blocks."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.engine.asl.diagnostics import Report, Where, loc
from workflow.engine.asl.map_fields import (
    ARGUMENTS_FIELD,
    ItemBatcher,
    ItemReader,
    ProcessorConfig,
    ReaderConfig,
    ResultWriter,
)
from workflow.engine.asl.states import DISTRIBUTED_ONLY_FIELDS
from workflow.engine.asl.validate_errors import retry_catch
from workflow.engine.asl.validate_values import number_field, reference_path_field, template
from workflow.engine.asl.vocabulary import (
    CSV_DELIMITERS,
    JSONATA,
    JSONPATH,
    MAX_LABEL,
    TOLERATED_PERCENTAGE_MAX,
    CSVHeaderLocation,
    ExecutionType,
    ProcessorMode,
    QueryLanguage,
    ReaderInputType,
    is_member,
)

NestedCheck = Callable[[Mapping[str, Any], Where, QueryLanguage], None]
"""Validates a nested machine (a Map's processor, a Parallel branch) in the given inherited language."""


@dataclass(frozen=True)
class StateCheck:
    """What the rules of one state type are given: the report to add to, the state's JSON and where it
    stands, its effective language, its sibling state names (Next/Catch targets), and the check of a
    nested machine."""

    report: Report
    spec: Mapping[str, Any]
    where: Where
    language: QueryLanguage
    names: Sequence[str]
    nested: NestedCheck


# ...except that AWS accepts a JSONata ToleratedFailureCount/Percentage on an inline Map, where it does
# nothing (recorded: evaluate_jsonata/test_base_evaluate_expressions.py::test_base_map_from_input); a
# JSONPath inline Map with a tolerance stays refused, as the docs say (not contradicted by a recording).
_INLINE_JSONATA_OK = ("ToleratedFailurePercentage", "ToleratedFailureCount")
_LABEL_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def map_state(check: StateCheck) -> None:
    report, spec, where, language = check.report, check.spec, check.where, check.language
    mode = _processor(report, spec, where, language, check.nested)
    if mode != ProcessorMode.DISTRIBUTED:
        for key in DISTRIBUTED_ONLY_FIELDS:
            if language == JSONATA and key in _INLINE_JSONATA_OK:
                continue
            if key in spec:
                report.schema(
                    f"The field '{key}' is only supported by DISTRIBUTED Map states", loc(*where, key)
                )
    if "ItemSelector" in spec and "Parameters" in spec:
        report.schema(
            "The fields 'ItemSelector' and 'Parameters' cannot be used together", loc(*where, "Parameters")
        )
    if "ItemReader" in spec and ("ItemsPath" in spec or "Items" in spec):
        report.schema("ItemsPath/Items cannot be used with ItemReader", loc(*where, "ItemReader"))
    number_field(report, spec, "MaxConcurrency", where, language)
    number_field(
        report,
        spec,
        "ToleratedFailurePercentage",
        where,
        language,
        integer=False,
        maximum=TOLERATED_PERCENTAGE_MAX,
    )
    number_field(report, spec, "ToleratedFailureCount", where, language)
    label = spec.get("Label")
    if "Label" in spec and (
        not isinstance(label, str) or len(label) > MAX_LABEL or _LABEL_FORBIDDEN.search(label)
    ):
        report.schema(
            f"Label must be at most {MAX_LABEL} characters without whitespace or special characters",
            loc(*where, "Label"),
        )
    if "ItemReader" in spec:
        _item_reader(report, spec["ItemReader"], (*where, "ItemReader"), language)
    if "ItemBatcher" in spec:
        _item_batcher(report, spec["ItemBatcher"], (*where, "ItemBatcher"), language)
    if "ResultWriter" in spec:
        _result_writer(report, spec["ResultWriter"], (*where, "ResultWriter"), language)
    retry_catch(report, spec, where, language, check.names)


def _processor(
    report: Report, spec: Mapping[str, Any], where: Where, language: QueryLanguage, nested: NestedCheck
) -> Any:
    """Checks ItemProcessor (or the legacy Iterator) and its ProcessorConfig; the Mode as written."""
    processor_key = "ItemProcessor" if "ItemProcessor" in spec else "Iterator"
    if "ItemProcessor" in spec and "Iterator" in spec:
        report.schema(
            "The fields 'ItemProcessor' and 'Iterator' cannot be used together", loc(*where, "Iterator")
        )
    processor = spec.get(processor_key)
    if not isinstance(processor, Mapping):
        report.schema("These fields are required: [ItemProcessor]", loc(*where))
        return ProcessorMode.INLINE
    # AWS accepts ProcessorConfig in the legacy Iterator too (recorded: test_base_scenarios.py::
    # test_map_state_legacy_config_distributed / _inline)
    config = processor.get("ProcessorConfig", {})
    config_where = (*where, processor_key, "ProcessorConfig")
    mode: Any = ProcessorMode.INLINE
    if not isinstance(config, Mapping):
        report.schema("ProcessorConfig must be an object", loc(*config_where))
    else:
        mode = config.get("Mode", ProcessorMode.INLINE)
        for key in config:
            if key not in ProcessorConfig.FIELDS:
                report.schema(
                    f"The field '{key}' is not supported in ProcessorConfig", loc(*config_where, key)
                )
        if not is_member(ProcessorMode, mode):
            report.schema("ProcessorConfig.Mode must be INLINE or DISTRIBUTED", loc(*config_where, "Mode"))
        execution_type = config.get("ExecutionType")
        if mode == ProcessorMode.DISTRIBUTED and not is_member(ExecutionType, execution_type):
            report.schema(
                "A DISTRIBUTED Map needs ProcessorConfig.ExecutionType STANDARD or EXPRESS",
                loc(*config_where, "ExecutionType"),
            )
        elif mode == ProcessorMode.INLINE and "ExecutionType" in config:
            report.schema(
                "ExecutionType is only supported for DISTRIBUTED Maps", loc(*config_where, "ExecutionType")
            )
    nested(processor, (*where, processor_key), language)
    return mode


def _item_reader(report: Report, reader: Any, where: Where, language: QueryLanguage) -> None:
    if not isinstance(reader, Mapping):
        report.schema("ItemReader must be an object", loc(*where))
        return
    for key in reader:
        if key not in ItemReader.FIELDS[language]:
            report.schema(f"The field '{key}' is not supported in ItemReader", loc(*where, key))
    resource = reader.get("Resource")
    if not isinstance(resource, str) or not resource.startswith("arn:"):
        report.add("INVALID_RESOURCE", "ItemReader needs a Resource ARN", loc(*where, "Resource"))
    config = reader.get("ReaderConfig", {})
    if not isinstance(config, Mapping):
        report.schema("ReaderConfig must be an object", loc(*where, "ReaderConfig"))
        return
    _reader_config(report, config, (*where, "ReaderConfig"), language)
    args = ARGUMENTS_FIELD[language]
    if language == JSONPATH and args in reader:
        template(report, reader[args], (*where, args))


def _reader_config(report: Report, config: Mapping[str, Any], where: Where, language: QueryLanguage) -> None:
    for key in config:
        if key not in ReaderConfig.FIELDS:
            report.schema(f"The field '{key}' is not supported in ReaderConfig", loc(*where, key))
    if "InputType" in config and not is_member(ReaderInputType, config["InputType"]):
        report.schema(
            f"InputType must be one of {', '.join(sorted(ReaderInputType))}", loc(*where, "InputType")
        )
    location = config.get("CSVHeaderLocation")
    if location is not None and not is_member(CSVHeaderLocation, location):
        report.schema("CSVHeaderLocation must be FIRST_ROW or GIVEN", loc(*where, "CSVHeaderLocation"))
    if location == CSVHeaderLocation.GIVEN and not isinstance(config.get("CSVHeaders"), list):
        report.schema("CSVHeaderLocation GIVEN needs CSVHeaders", loc(*where))
    if "CSVDelimiter" in config and not _delimiter(config["CSVDelimiter"]):
        names = list(CSV_DELIMITERS)
        report.schema(
            f"CSVDelimiter must be {', '.join(names[:-1])} or {names[-1]}", loc(*where, "CSVDelimiter")
        )
    number_field(report, config, "MaxItems", where, language)
    reference_path_field(report, config, "MaxItemsPath", where)


def _delimiter(value: Any) -> bool:
    return isinstance(value, str) and value in CSV_DELIMITERS


def _item_batcher(report: Report, batcher: Any, where: Where, language: QueryLanguage) -> None:
    if not isinstance(batcher, Mapping):
        report.schema("ItemBatcher must be an object", loc(*where))
        return
    for key in batcher:
        if key not in ItemBatcher.FIELDS[language]:
            report.schema(f"The field '{key}' is not supported in ItemBatcher", loc(*where, key))
    for key in ItemBatcher.LIMITS:
        number_field(report, batcher, key, where, language, minimum=1)
        if key in batcher and key + "Path" in batcher:
            report.schema(f"The fields '{key}' and '{key}Path' cannot be used together", loc(*where, key))
        reference_path_field(report, batcher, key + "Path", where)
    if not any(k in batcher for limit in ItemBatcher.LIMITS for k in (limit, limit + "Path")):
        report.schema(
            "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)", loc(*where)
        )
    if language == JSONPATH and "BatchInput" in batcher:
        template(report, batcher["BatchInput"], (*where, "BatchInput"))


def _result_writer(report: Report, writer: Any, where: Where, language: QueryLanguage) -> None:
    if not isinstance(writer, Mapping):
        report.schema("ResultWriter must be an object", loc(*where))
        return
    for key in writer:
        if key not in ResultWriter.FIELDS[language]:
            report.schema(f"The field '{key}' is not supported in ResultWriter", loc(*where, key))
    if "Resource" not in writer and "WriterConfig" not in writer:
        report.schema("ResultWriter needs a Resource or a WriterConfig", loc(*where))
    resource = writer.get("Resource")
    if "Resource" in writer and (not isinstance(resource, str) or not resource.startswith("arn:")):
        report.add("INVALID_RESOURCE", "ResultWriter needs a Resource ARN", loc(*where, "Resource"))
    args = ARGUMENTS_FIELD[language]
    if language == JSONPATH and args in writer:
        template(report, writer[args], (*where, args))
