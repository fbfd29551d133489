"""The typed model of a definition (`workflow.engine.asl`): parsed once, fields typed as the ASL reference
describes them ("States", "Common state fields", "Map state", "ItemReader", "ItemBatcher", "Handling
errors", "Transforming data with JSONata"), and documents AWS rejects refused with the InvalidDefinition
messages CreateStateMachine answers."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from workflow.config import PipelineConfig, load_definition, local_substitutions, placeholder_names
from workflow.engine import item_formats, item_reader, quotas
from workflow.engine.asl import (
    STATE_CLASSES,
    Catcher,
    Choice,
    CSVHeaderLocation,
    Dynamic,
    ExecutionType,
    Fail,
    ItemBatcher,
    ItemReader,
    JitterStrategy,
    Map,
    Parallel,
    Pass,
    Payload,
    ProcessorConfig,
    ProcessorMode,
    QueryLanguage,
    ReaderConfig,
    ReaderInputType,
    ResultWriter,
    Retrier,
    StateMachine,
    StateType,
    Task,
    Wait,
    vocabulary,
)
from workflow.engine.asl.parse import parse_definition, parse_state
from workflow.engine.errors import ServiceError

CASES = Path(__file__).parents[1] / "conformance" / "cases"


def conformance_definition(topic: str, case_id: str) -> dict[str, Any]:
    for case in json.loads((CASES / f"{topic}.json").read_text()):
        if case["id"] == case_id:
            definition: dict[str, Any] = case["definition"]
            return definition
    raise LookupError(case_id)


@pytest.fixture(scope="module")
def project() -> StateMachine:
    subs = local_substitutions(PipelineConfig())
    subs.update({name: name for name in placeholder_names() - subs.keys()})
    return parse_definition(load_definition(subs))


# ------------------------------------------------------------------------------ the project's definition


def test_project_definition_parses_into_one_class_per_state_type(project: StateMachine) -> None:
    kinds = {state.name: type(state) for state in project.walk()}
    assert kinds["Configure"] is Pass and kinds["IsReplay"] is Choice and kinds["RegisterObject"] is Task
    assert kinds["ProcessRows"] is Map and kinds["Summarize"] is Task
    assert project.query_language is QueryLanguage.JSONPATH and project.start_at == "Configure"
    for state in project.walk():
        assert isinstance(state.type, StateType) and STATE_CLASSES[state.type] is type(state)
        assert state.raw["Type"] == state.type  # the JSON as written stays available for history events


def test_project_distributed_map_reader_and_batcher_are_typed(project: StateMachine) -> None:
    """ "ItemReader", "ReaderConfig", "ItemBatcher" (Distributed Map): typed config, *Path values kept."""
    state = project.find("ProcessRows")
    assert isinstance(state, Map) and state.distributed
    assert state.processor_config.mode is ProcessorMode.DISTRIBUTED
    assert state.execution_type is ExecutionType.STANDARD
    reader = state.item_reader
    assert reader is not None and reader.resource == "arn:aws:states:::s3:getObject"
    assert reader.reader_config.input_type is ReaderInputType.CSV
    assert reader.reader_config.csv_header_location is CSVHeaderLocation.FIRST_ROW
    assert reader.reader_config.delimiter == ","
    assert state.item_batcher is not None
    assert state.item_batcher.max_items_per_batch == Dynamic(
        "MaxItemsPerBatch", None, "$.config.maxItemsPerBatch"
    )
    assert state.max_concurrency.path == "$.config.maxConcurrency" and state.max_concurrency.value is None
    assert state.processor is not None and state.processor.find("Transform") is project.find("Transform")


def test_project_retry_and_catch_are_typed(project: StateMachine) -> None:
    """ "Retrying after an error" / "Fallback states": Retrier defaults, JitterStrategy, Catcher targets."""
    task = project.find("RegisterObject")
    assert isinstance(task, Task) and task.resource == "arn:aws:states:::dynamodb:updateItem"
    assert task.jsonpath_io.result_path is None  # "ResultPath": null discards the result
    assert task.jsonpath_io.input_path == "$"  # absent: the whole input
    assert isinstance(task.jsonpath_io.parameters, Payload)
    assert task.retry and all(isinstance(r.jitter_strategy, JitterStrategy) for r in task.retry)
    assert task.retry[0].jitter_strategy is JitterStrategy.FULL
    assert task.catch and all(isinstance(c, Catcher) and c.next in project.states for c in task.catch)


def test_project_choice_rules_are_a_tree(project: StateMachine) -> None:
    choice = project.find("IsReplay")
    assert isinstance(choice, Choice) and choice.default == "RegisterObject"
    rule = choice.choices[0]
    assert rule.next == "RegisterReplay" and rule.and_ is not None
    assert [(r.variable, r.operator, r.operand) for r in rule.and_] == [
        ("$.replay", "IsPresent", True),
        ("$.replay", "BooleanEquals", True),
    ]


# ------------------------------------------------------------------------------ conformance definitions


def test_given_csv_headers_and_map_without_reader() -> None:
    given = parse_definition(conformance_definition("map_distributed", "dmap-csv-given-headers")).state("S")
    assert isinstance(given, Map) and given.item_reader is not None
    assert given.item_reader.reader_config.csv_header_location is CSVHeaderLocation.GIVEN
    assert given.item_reader.reader_config.csv_headers == ("x", "y")
    assert given.item_reader.parameters == Payload({"Bucket": "data", "Key": "in.csv"})
    batched = parse_definition(conformance_definition("map_distributed", "dmap-item-batcher-max-items-path"))
    state = batched.state("S")
    assert isinstance(state, Map) and state.item_reader is None and state.items_path == "$.items"
    assert state.item_batcher is not None and state.item_batcher.max_items_per_batch.path == "$.size"


def test_legacy_iterator_and_parameters_of_an_inline_map() -> None:
    """ "Map state": Iterator and Parameters are the former names of ItemProcessor and ItemSelector."""
    machine = parse_definition(
        conformance_definition("map_inline", "map-inline-legacy-iterator-and-parameters")
    )
    state = machine.state("S")
    assert isinstance(state, Map) and not state.distributed and state.uses_iterator
    assert state.item_selector == Payload({"v.$": "$$.Map.Item.Value"})
    assert state.item_selector_field == "Parameters"
    assert state.processor is not None and list(state.processor.states) == ["P"]


def test_jsonata_task_fields() -> None:
    machine = parse_definition(conformance_definition("jsonata", "jsonata-task-arguments-and-output"))
    task = machine.state("S")
    assert isinstance(task, Task) and task.jsonata and task.query_language is QueryLanguage.JSONATA
    assert task.jsonata_io.output == Payload("{% $states.result.Payload %}")
    assert task.jsonata_io.arguments is not None and task.jsonata_io.arguments.value["FunctionName"] == "add"
    assert task.end and task.next is None


def test_fail_paths_wait_paths_and_parallel_branches() -> None:
    fail = parse_definition(conformance_definition("fail_succeed", "fail-errorpath-and-causepath")).state("S")
    assert isinstance(fail, Fail) and fail.end
    assert fail.error == Dynamic("Error", None, "$.e") and fail.cause == Dynamic("Cause", None, "$.c")
    wait = parse_definition(conformance_definition("wait", "wait-seconds-path")).states
    assert any(isinstance(s, Wait) and s.seconds.path for s in wait.values())
    parallel = parse_definition(conformance_definition("parallel", "parallel-nested-parallel"))
    outer = next(s for s in parallel.states.values() if isinstance(s, Parallel))
    assert outer.branches and all(isinstance(b, StateMachine) for b in outer.branches)
    assert outer.machines() == outer.branches


def test_absent_and_null_json_values_stay_distinct() -> None:
    """A Pass with "Result": null outputs null; without Result it passes its input ("Pass workflow state")."""
    doc = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Result": None, "Next": "B"}, "B": {"Type": "Pass", "End": True}},
    }
    machine = parse_definition(doc)
    first, second = machine.state("A"), machine.state("B")
    assert isinstance(first, Pass) and first.result == Payload(None)
    assert isinstance(second, Pass) and second.result is None


def test_parse_state_alone() -> None:
    """TestState runs one state: parse_state types it, flow fields included."""
    state = parse_state("T", {"Type": "Wait", "Seconds": 5, "Next": "X"}, "JSONPath")
    assert isinstance(state, Wait) and state.seconds.value == 5 and state.next == "X"
    fail = parse_state("F", {"Type": "Fail"}, "JSONPath")
    assert isinstance(fail, Fail) and fail.end and fail.raw == {"Type": "Fail"}


def test_item_reader_uses_the_vocabulary() -> None:
    """One home for CSVDelimiter names and the MaxItems limit ("ReaderConfig")."""
    assert item_formats.CSV_DELIMITERS is vocabulary.CSV_DELIMITERS
    assert item_reader.MAX_ITEMS is quotas.MAX_ITEMS == 100_000_000


# ------------------------------------------------------------------------------ rejected documents


def _machine(**states: Any) -> dict[str, Any]:
    return {
        "StartAt": "First",
        "States": {"First": {"Type": "Pass", "Next": "Last"}, "Last": {"Type": "Succeed"}, **states},
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Ghost"}}},
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: Ghost at /States/A/Next",
        ),
        (
            _machine(First={"Type": "Pass", "Next": "Last", "Bogus": 1}),
            "SCHEMA_VALIDATION_FAILED: The field 'Bogus' is not supported by Step Functions for Pass states "
            "at /States/First/Bogus",
        ),
        (
            {
                "QueryLanguage": "JSONata",
                **_machine(First={"Type": "Pass", "InputPath": "$", "Next": "Last"}),
            },
            "SCHEMA_VALIDATION_FAILED: The field 'InputPath' is not supported in JSONata states "
            "at /States/First/InputPath",
        ),
        (
            conformance_definition("csv_reader_options", "csv-delimiter-unknown-value-is-invalid-definition"),
            "SCHEMA_VALIDATION_FAILED: CSVDelimiter must be COMMA, PIPE, SEMICOLON, SPACE or TAB "
            "at /States/S/ItemReader/ReaderConfig/CSVDelimiter",
        ),
        (
            _machine(First={"Type": "Wait", "Next": "Last"}),
            "SCHEMA_VALIDATION_FAILED: A Wait state needs exactly one of Seconds, SecondsPath, Timestamp, "
            "TimestampPath at /States/First",
        ),
        (
            _machine(First={"Type": "Pass", "OutputPath": ["not", "a", "path"], "Next": "Last"}),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'OutputPath' must be a valid JSONPath "
            "at /States/First/OutputPath",
        ),
        ("{not json", None),
    ],
)
def test_rejected_definitions_answer_invalid_definition(document: Any, message: str | None) -> None:
    with pytest.raises(ServiceError) as caught:
        parse_definition(document)
    assert caught.value.code == "InvalidDefinition"
    if message is not None:
        assert caught.value.message == f"Invalid State Machine Definition: '{message}'"
    else:
        assert caught.value.message.startswith(
            "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "
        )


def test_every_state_type_declares_its_fields_in_both_languages() -> None:
    """The validator's field table lives on the model classes: one per state type, per query language."""
    assert set(STATE_CLASSES) == set(StateType)
    for cls in STATE_CLASSES.values():
        assert set(cls.FIELDS) == set(QueryLanguage)
    assert (
        "ItemReader" in Map.FIELDS[QueryLanguage.JSONATA]
        and "Items" not in Map.FIELDS[QueryLanguage.JSONPATH]
    )


# ------------------------------------------------------------------------------ table and parser agree

_PROBES: dict[str, Any] = {
    "End": True,
    "Next": "X",
    "Default": "X",
    "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "X"}],
    "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}],
    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
    "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
    "Retry": [{"ErrorEquals": ["E"]}],
    "Catch": [{"ErrorEquals": ["E"], "Next": "X"}],
    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
    "ItemBatcher": {"MaxItemsPerBatch": 2},
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"},
    "Resource": "arn:aws:states:::lambda:invoke",
}
_BASES: dict[StateType, dict[str, Any]] = {
    StateType.MAP: {"ItemProcessor": _PROBES["ItemProcessor"]},
    StateType.PARALLEL: {"Branches": _PROBES["Branches"]},
    StateType.TASK: {"Resource": "arn:aws:states:::lambda:invoke:other"},
}


def _typed(node: Any) -> Any:
    """The parsed fields without the raw JSON, which holds every field whether the model reads it or not."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return {f.name: _typed(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "raw"}
    if isinstance(node, tuple | list):
        return [_typed(item) for item in node]
    if isinstance(node, dict):
        return {key: _typed(value) for key, value in node.items()}
    return node


@pytest.mark.parametrize("kind", list(StateType))
@pytest.mark.parametrize("language", list(QueryLanguage))
def test_every_field_the_validator_accepts_is_read_into_the_model(
    kind: StateType, language: QueryLanguage
) -> None:
    """No accepted field is left for the runners to read from `raw`: adding it changes the parsed state."""
    for field in sorted(STATE_CLASSES[kind].FIELDS[language]):
        base = {"Type": kind.value, **_BASES.get(kind, {})}
        if field in base:  # required (ItemProcessor, Branches, Resource): read into the nested machines
            assert parse_state("S", base, language).machines() or kind == StateType.TASK
            continue
        without = parse_state("S", base, language)
        if field == "Iterator":  # the legacy name of ItemProcessor, given instead of it
            base.pop("ItemProcessor")
        with_field = parse_state("S", {**base, field: _PROBES.get(field, "$.probe")}, language)
        assert _typed(with_field) != _typed(without), f"{kind} {language}: {field} is not in the model"


_BLOCK_PROBES: dict[str, Any] = {
    "JitterStrategy": "FULL",
    "InputType": "CSV",
    "CSVHeaderLocation": "GIVEN",
    "CSVHeaders": ["a"],
    "CSVDelimiter": "PIPE",
    "Mode": "DISTRIBUTED",
    "ExecutionType": "EXPRESS",
    "ReaderConfig": {"InputType": "JSON"},
    "WriterConfig": {"OutputType": "JSON"},
}
_PROCESSOR = {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}


def _blocks(language: QueryLanguage) -> list[tuple[str, frozenset[str], dict[str, Any], Any]]:
    """(block, the fields its table accepts, a minimal block, how to put a block into a state)."""

    def task(key: str) -> Any:
        return lambda block: {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", key: [block]}

    def map_state(key: str) -> Any:
        return lambda block: {"Type": "Map", "ItemProcessor": _PROCESSOR, key: block}

    def reader_config(block: dict[str, Any]) -> dict[str, Any]:
        return map_state("ItemReader")({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": block})

    def processor_config(block: dict[str, Any]) -> dict[str, Any]:
        return {"Type": "Map", "ItemProcessor": {**_PROCESSOR, "ProcessorConfig": block}}

    return [
        ("Retrier", Retrier.FIELDS, {"ErrorEquals": ["E"]}, task("Retry")),
        ("Catcher", Catcher.FIELDS[language], {"ErrorEquals": ["E"], "Next": "X"}, task("Catch")),
        ("ItemReader", ItemReader.FIELDS[language], {}, map_state("ItemReader")),
        ("ReaderConfig", ReaderConfig.FIELDS, {}, reader_config),
        ("ItemBatcher", ItemBatcher.FIELDS[language], {}, map_state("ItemBatcher")),
        ("ResultWriter", ResultWriter.FIELDS[language], {}, map_state("ResultWriter")),
        ("ProcessorConfig", ProcessorConfig.FIELDS, {}, processor_config),
    ]


@pytest.mark.parametrize("language", list(QueryLanguage))
def test_every_block_field_the_validator_accepts_is_read_into_the_model(language: QueryLanguage) -> None:
    """Retry, Catch, ItemReader (+ReaderConfig), ItemBatcher, ResultWriter, ProcessorConfig: same check."""
    for block, fields, base, embed in _blocks(language):
        for field in sorted(fields - base.keys()):
            without = parse_state("S", embed(base), language)
            with_field = parse_state(
                "S", embed({**base, field: _BLOCK_PROBES.get(field, "$.probe")}), language
            )
            assert _typed(with_field) != _typed(without), f"{block} {language}: {field} is not in the model"
