"""Parse an Amazon States Language document into the typed model, once, for validation and execution.

`parse_definition` validates first (the rules of `asl.validate`; ERROR diagnostics reject the document as
AWS does) and then builds the tree. Building is lenient on field values (a value of the wrong type is
validation's to report) but keeps the structural checks the tree needs: a known Type and QueryLanguage,
a StartAt and Next targets that exist, a Map's processor.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workflow.engine.asl import map_fields, vocabulary
from workflow.engine.asl import states as model
from workflow.engine.asl.choice_rules import parse_rule
from workflow.engine.asl.fields import Catcher, Dynamic, JsonataIO, JsonPathIO, Payload, Retrier, TaskTiming
from workflow.engine.asl.states import Choice, Map, Parallel, State, StateMachine
from workflow.engine.asl.validate import validate_definition
from workflow.engine.asl.vocabulary import (
    JSONATA,
    JSONPATH,
    NO_TRANSITION_TYPES,
    STATE_TYPES,
    TERMINAL_TYPES,
    QueryLanguage,
    StateType,
    is_member,
    member_or,
)
from workflow.engine.errors import ServiceError

Raw = Mapping[str, Any]


def invalid(message: str) -> ServiceError:
    """The error CreateStateMachine/UpdateStateMachine answer for a definition AWS rejects."""
    return ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{message}'")


def load_document(definition: str | Mapping[str, Any]) -> dict[str, Any]:
    """The definition as a fresh JSON object (a copy, so the caller's mapping is never shared)."""
    if isinstance(definition, Mapping):
        copied: dict[str, Any] = json.loads(json.dumps(definition))
        return copied
    try:
        doc = json.loads(definition)
    except (TypeError, ValueError) as exc:
        raise invalid(f"INVALID_JSON_DESCRIPTION: {exc}") from exc
    if not isinstance(doc, dict):
        raise invalid("SCHEMA_VALIDATION_FAILED: the definition must be a JSON object")
    return doc


def parse_definition(definition: str | Mapping[str, Any], *, validate: bool = True) -> StateMachine:
    """The parsed machine; ServiceError("InvalidDefinition") for documents AWS would reject."""
    doc = load_document(definition)
    if validate:
        _reject_errors(doc)
    return parse_machine(doc, JSONPATH, "")


def _reject_errors(doc: dict[str, Any]) -> None:
    """The first ERROR diagnostic of the validator, as the InvalidDefinition message."""
    errors = validate_definition(doc)  # ERROR diagnostics only (the default severity)
    if errors:
        first = errors[0]
        where = first["location"]
        raise invalid(f"{first['code']}: {first['message']}" + (f" at {where}" if where else ""))


def parse_machine(doc: Raw, inherited: QueryLanguage, where: str) -> StateMachine:
    """A machine (top level, Parallel branch or Map processor) whose states inherit `inherited`."""
    language = doc.get("QueryLanguage", inherited)
    if language not in (JSONPATH, JSONATA):
        raise invalid(f"SCHEMA_VALIDATION_FAILED: unknown QueryLanguage {language!r} at {where}")
    language = QueryLanguage(language)
    states_doc = doc.get("States")
    start_at = doc.get("StartAt")
    if not isinstance(states_doc, Mapping) or not states_doc:
        raise invalid(f"SCHEMA_VALIDATION_FAILED: States is required at {where}")
    if not isinstance(start_at, str) or start_at not in states_doc:
        raise invalid(f"MISSING_TRANSITION_TARGET: StartAt {start_at!r} is not a state at {where}")
    states: dict[str, State] = {}
    for name, raw in states_doc.items():
        path = f"{where}/States/{name}"
        if not isinstance(raw, Mapping) or raw.get("Type") not in STATE_TYPES:
            raise invalid(f"SCHEMA_VALIDATION_FAILED: unknown state Type at {path}")
        _check_transitions(raw, states_doc, language, path)
        states[name] = parse_state(name, raw, language, where=path)
        _check_targets(raw, states_doc, path)
    timeout = doc.get("TimeoutSeconds")
    return StateMachine(
        start_at=start_at,
        states=states,
        query_language=language,
        timeout_seconds=float(timeout) if isinstance(timeout, int | float) else None,
        raw=dict(doc),
        comment=_str(doc, "Comment"),
        version=_str(doc, "Version"),
    )


def _check_transitions(raw: Raw, siblings: Raw, language: QueryLanguage, path: str) -> None:
    """Before the state is built: its language fits the machine's, its Next exists."""
    kind = raw["Type"]
    state_language = raw.get("QueryLanguage", language)
    if language == JSONATA and state_language == JSONPATH:
        raise invalid(f"SCHEMA_VALIDATION_FAILED: a JSONPath state in a JSONata machine at {path}")
    end = bool(raw.get("End")) or kind in TERMINAL_TYPES
    if kind not in NO_TRANSITION_TYPES and not end and raw.get("Next") not in siblings:
        raise invalid(f"MISSING_TRANSITION_TARGET: Next {raw.get('Next')!r} is not a state at {path}")


def _check_targets(raw: Raw, siblings: Raw, path: str) -> None:
    """After its nested machines: the Choice and Catch targets exist."""
    kind = raw["Type"]
    if kind == StateType.CHOICE:
        for i, rule in enumerate(raw.get("Choices") or []):
            if rule.get("Next") not in siblings:
                raise invalid(f"MISSING_TRANSITION_TARGET: Choices[{i}].Next at {path}")
        if "Default" in raw and raw["Default"] not in siblings:
            raise invalid(f"MISSING_TRANSITION_TARGET: Default at {path}")
    for i, catcher in enumerate(raw.get("Catch") or []):
        if catcher.get("Next") not in siblings:
            raise invalid(f"MISSING_TRANSITION_TARGET: Catch[{i}].Next at {path}")


def parse_state(name: str, raw: Raw, inherited: QueryLanguage | str = JSONPATH, *, where: str = "") -> State:
    """One state from its JSON; its QueryLanguage is its own or `inherited`. Nested machines are parsed
    (and checked) too. Used for whole definitions and for TestState's single state."""
    own = raw.get("QueryLanguage", inherited)
    language = QueryLanguage(own) if own in (JSONPATH, JSONATA) else QueryLanguage(inherited)
    kind = StateType(raw["Type"])
    common: dict[str, Any] = {
        "name": name,
        "type": kind,
        "raw": dict(raw),
        "query_language": language,
        "next": _str(raw, "Next"),
        "end": bool(raw.get("End")) or kind in TERMINAL_TYPES,
        "comment": _str(raw, "Comment"),
        "assign": _payload(raw, "Assign"),
        "jsonpath_io": JsonPathIO(
            input_path=_path(raw, "InputPath"),
            parameters=_payload(raw, "Parameters"),
            result_selector=_payload(raw, "ResultSelector"),
            result_path=_path(raw, "ResultPath"),
            output_path=_path(raw, "OutputPath"),
        ),
        "jsonata_io": JsonataIO(arguments=_payload(raw, "Arguments"), output=_payload(raw, "Output")),
        "retry": tuple(_retrier(r) for r in _list(raw, "Retry")),
        "catch": tuple(_catcher(c) for c in _list(raw, "Catch")),
    }
    if kind == StateType.PASS:
        return model.Pass(**common, result=_payload(raw, "Result"))
    if kind == StateType.TASK:
        timing = TaskTiming(_dynamic(raw, "TimeoutSeconds"), _dynamic(raw, "HeartbeatSeconds"))
        resource = raw.get("Resource")
        return model.Task(
            **common,
            resource=resource if isinstance(resource, str) else "",
            timing=timing,
            credentials=_payload(raw, "Credentials"),
        )
    if kind == StateType.CHOICE:
        choices = tuple(parse_rule(rule, top=True) for rule in _list(raw, "Choices"))
        return Choice(**common, choices=choices, default=_str(raw, "Default"))
    if kind == StateType.WAIT:
        return model.Wait(**common, seconds=_dynamic(raw, "Seconds"), timestamp=_dynamic(raw, "Timestamp"))
    if kind == StateType.SUCCEED:
        return model.Succeed(**common)
    if kind == StateType.FAIL:
        return model.Fail(**common, error=_dynamic(raw, "Error"), cause=_dynamic(raw, "Cause"))
    if kind == StateType.PARALLEL:
        branches = tuple(
            parse_machine(b, language, f"{where}/Branches[{i}]") for i, b in enumerate(_list(raw, "Branches"))
        )
        return Parallel(**common, branches=branches)
    return _map(raw, language, where, common)


def _map(raw: Raw, language: QueryLanguage, where: str, common: dict[str, Any]) -> Map:
    inner = raw.get("ItemProcessor") or raw.get("Iterator")
    if not isinstance(inner, Mapping):
        raise invalid(f"SCHEMA_VALIDATION_FAILED: Map needs ItemProcessor at {where}")
    # A Distributed Map's child executions start a new top-level machine; it inherits the language.
    processor = parse_machine(inner, language, f"{where}/ItemProcessor")
    config = inner.get("ProcessorConfig")
    config = config if isinstance(config, Mapping) else {}
    mode, execution = config.get("Mode"), config.get("ExecutionType")
    selector_field = "ItemSelector" if "ItemSelector" in raw or "Parameters" not in raw else "Parameters"
    return Map(
        **common,
        processor=processor,
        processor_config=map_fields.ProcessorConfig(
            mode=member_or(vocabulary.ProcessorMode, mode, vocabulary.ProcessorMode.INLINE),
            execution_type=member_or(vocabulary.ExecutionType, execution, vocabulary.ExecutionType.STANDARD),
        ),
        uses_iterator="ItemProcessor" not in raw,
        items_path=_path(raw, "ItemsPath"),
        items=_payload(raw, "Items"),
        item_selector=_payload(raw, selector_field),
        item_selector_field=selector_field,
        item_reader=_item_reader(raw.get("ItemReader"), language),
        item_batcher=_item_batcher(raw.get("ItemBatcher")),
        result_writer=_result_writer(raw.get("ResultWriter"), language),
        max_concurrency=_dynamic(raw, "MaxConcurrency"),
        tolerated_failure_percentage=_dynamic(raw, "ToleratedFailurePercentage"),
        tolerated_failure_count=_dynamic(raw, "ToleratedFailureCount"),
        label=_str(raw, "Label"),
    )


def _item_reader(raw: Any, language: QueryLanguage) -> map_fields.ItemReader | None:
    if not isinstance(raw, Mapping):
        return None
    config = raw.get("ReaderConfig")
    config = config if isinstance(config, Mapping) else {}
    input_type, location = config.get("InputType"), config.get("CSVHeaderLocation")
    headers = config.get("CSVHeaders")
    reader_config = map_fields.ReaderConfig(
        input_type=vocabulary.ReaderInputType(str(input_type))
        if is_member(vocabulary.ReaderInputType, input_type)
        else None,
        csv_header_location=member_or(
            vocabulary.CSVHeaderLocation, location, vocabulary.CSVHeaderLocation.FIRST_ROW
        ),
        csv_headers=tuple(str(h) for h in headers) if isinstance(headers, list) else None,
        csv_delimiter=str(config.get("CSVDelimiter", "COMMA")),
        max_items=_dynamic(config, "MaxItems"),
        manifest_type=_str(config, "ManifestType"),
        transformation=_str(config, "Transformation"),
    )
    return map_fields.ItemReader(
        resource=str(raw.get("Resource", "")),
        reader_config=reader_config,
        parameters=_payload(raw, "Parameters" if language == JSONPATH else "Arguments"),
        raw=dict(raw),
    )


def _item_batcher(raw: Any) -> map_fields.ItemBatcher | None:
    if not isinstance(raw, Mapping):
        return None
    return map_fields.ItemBatcher(
        max_items_per_batch=_dynamic(raw, "MaxItemsPerBatch"),
        max_input_bytes_per_batch=_dynamic(raw, "MaxInputBytesPerBatch"),
        batch_input=_payload(raw, "BatchInput"),
        raw=dict(raw),
    )


def _result_writer(raw: Any, language: QueryLanguage) -> map_fields.ResultWriter | None:
    if not isinstance(raw, Mapping):
        return None
    config = raw.get("WriterConfig")
    return map_fields.ResultWriter(
        resource=_str(raw, "Resource"),
        parameters=_payload(raw, "Parameters" if language == JSONPATH else "Arguments"),
        writer_config=dict(config) if isinstance(config, Mapping) else None,
        raw=dict(raw),
    )


def _retrier(raw: Any) -> Retrier:
    raw = raw if isinstance(raw, Mapping) else {}
    jitter = raw.get("JitterStrategy", "NONE")
    return Retrier(
        error_equals=_names(raw),
        interval_seconds=raw.get("IntervalSeconds", 1),
        max_attempts=raw.get("MaxAttempts", 3),
        backoff_rate=raw.get("BackoffRate", 2.0),
        max_delay_seconds=raw.get("MaxDelaySeconds"),
        jitter_strategy=member_or(vocabulary.JitterStrategy, jitter, vocabulary.JitterStrategy.NONE),
        comment=_str(raw, "Comment"),
        raw=dict(raw),
    )


def _catcher(raw: Any) -> Catcher:
    raw = raw if isinstance(raw, Mapping) else {}
    return Catcher(
        error_equals=_names(raw),
        next=str(raw.get("Next", "")),
        result_path=_path(raw, "ResultPath"),
        output=_payload(raw, "Output"),
        assign=_payload(raw, "Assign"),
        comment=_str(raw, "Comment"),
        raw=dict(raw),
    )


# ------------------------------------------------------------------------- lenient field readers


def _names(raw: Raw) -> tuple[str, ...]:
    return tuple(n for n in _list(raw, "ErrorEquals") if isinstance(n, str))


def _str(raw: Raw, key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) else None


def _list(raw: Raw, key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _payload(raw: Raw, key: str) -> Payload | None:
    return Payload(raw[key]) if key in raw else None


def _path(raw: Raw, key: str) -> str | None:
    """A path field: "$" when absent (AWS's default), None for an explicit null."""
    if key not in raw:
        return "$"
    value = raw[key]
    return value if isinstance(value, str) else None


def _dynamic(raw: Raw, name: str) -> Dynamic[Any]:
    path = raw.get(name + "Path")
    return Dynamic(name, raw.get(name), path if isinstance(path, str) else None)
