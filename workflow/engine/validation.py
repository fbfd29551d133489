"""Definition checks shaped like the ValidateStateMachineDefinition API's diagnostics.

Each problem is `{"severity", "code", "message", "location"}` with AWS's codes (INVALID_JSON_DESCRIPTION,
MISSING_DESCRIPTION, SCHEMA_VALIDATION_FAILED, INVALID_RESOURCE, MISSING_END_STATE, DUPLICATE_STATE_NAME,
INVALID_STATE_NAME, MISSING_TRANSITION_TARGET, warnings NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC) and a
location like "/States/X/Next". The executor refuses definitions with ERROR diagnostics, so every check
here is one AWS also makes: a false alarm would block a definition AWS accepts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from workflow.engine.choice import ALL_OPERATORS, COMPARISON_OPERATORS, is_timestamp
from workflow.engine.intrinsics import is_intrinsic, validate_intrinsic
from workflow.engine.jsonata_eval import is_jsonata_expression, validate_jsonata
from workflow.engine.paths import is_reference_path, is_valid_path, parse_path

Where = tuple[Any, ...]  # a location as its parts: ("States", "X", "Next")
Spec = Mapping[str, Any]

ERROR, WARNING = "ERROR", "WARNING"
JSONPATH, JSONATA = "JSONPath", "JSONata"
MAX_STATE_NAME = 80

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
TOP_LEVEL_FIELDS = {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"}
COMMON_FIELDS = {"Type", "Comment", "QueryLanguage"}

# Fields each state type accepts, by query language ("States" in the ASL reference and the JSONata docs).
_FLOW = {"Next", "End"}
_RESULT_JSONPATH = {"ResultPath", "ResultSelector"}
FIELDS: dict[str, dict[str, set[str]]] = {
    "Pass": {
        JSONPATH: {"InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign", *_FLOW},
        JSONATA: {"Output", "Assign", *_FLOW},
    },
    "Task": {
        JSONPATH: {
            "Resource",
            "InputPath",
            "OutputPath",
            "Parameters",
            *_RESULT_JSONPATH,
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "TimeoutSecondsPath",
            "HeartbeatSeconds",
            "HeartbeatSecondsPath",
            "Credentials",
            "Assign",
            *_FLOW,
        },
        JSONATA: {
            "Resource",
            "Arguments",
            "Output",
            "Retry",
            "Catch",
            "TimeoutSeconds",
            "HeartbeatSeconds",
            "Credentials",
            "Assign",
            *_FLOW,
        },
    },
    "Choice": {
        JSONPATH: {"Choices", "Default", "InputPath", "OutputPath", "Assign"},
        JSONATA: {"Choices", "Default", "Output", "Assign"},
    },
    "Wait": {
        JSONPATH: {
            "Seconds",
            "SecondsPath",
            "Timestamp",
            "TimestampPath",
            "InputPath",
            "OutputPath",
            "Assign",
            *_FLOW,
        },
        JSONATA: {"Seconds", "Timestamp", "Output", "Assign", *_FLOW},
    },
    "Succeed": {JSONPATH: {"InputPath", "OutputPath"}, JSONATA: {"Output"}},
    "Fail": {JSONPATH: {"Error", "ErrorPath", "Cause", "CausePath"}, JSONATA: {"Error", "Cause"}},
    "Parallel": {
        JSONPATH: {
            "Branches",
            "InputPath",
            "OutputPath",
            "Parameters",
            *_RESULT_JSONPATH,
            "Retry",
            "Catch",
            "Assign",
            *_FLOW,
        },
        JSONATA: {"Branches", "Arguments", "Output", "Retry", "Catch", "Assign", *_FLOW},
    },
    "Map": {
        JSONPATH: {
            "ItemProcessor",
            "Iterator",
            "ItemsPath",
            "ItemSelector",
            "Parameters",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentage",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCount",
            "ToleratedFailureCountPath",
            "Label",
            "InputPath",
            "OutputPath",
            *_RESULT_JSONPATH,
            "Retry",
            "Catch",
            "Assign",
            *_FLOW,
        },
        JSONATA: {
            "ItemProcessor",
            "Items",
            "ItemSelector",
            "ItemReader",
            "ItemBatcher",
            "ResultWriter",
            "MaxConcurrency",
            "ToleratedFailurePercentage",
            "ToleratedFailureCount",
            "Label",
            "Output",
            "Retry",
            "Catch",
            "Assign",
            *_FLOW,
        },
    },
}
# Fields that hold a Path (may be null where noted) or a ReferencePath, in JSONPath states.
_NULLABLE_PATHS = ("InputPath", "OutputPath")
_REFERENCE_PATHS = (
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
_TEMPLATES = ("Parameters", "ResultSelector", "ItemSelector", "Credentials")
_EXCLUSIVE = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("Result", "Parameters"),
)
RETRIER_FIELDS = {
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
}
CATCHER_FIELDS = {
    JSONPATH: {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"},
    JSONATA: {"ErrorEquals", "Next", "Output", "Assign", "Comment"},
}
_DISTRIBUTED_ONLY = (
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
)
# ...except that AWS accepts a JSONata ToleratedFailureCount/Percentage on an inline Map, where it does
# nothing (recorded: evaluate_jsonata/test_base_evaluate_expressions.py::test_base_map_from_input); a
# JSONPath inline Map with a tolerance stays refused, as the docs say (not contradicted by a recording).
_INLINE_JSONATA_OK = ("ToleratedFailurePercentage", "ToleratedFailureCount")
_READER_INPUT_TYPES = {"CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"}
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _loc(*parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts if p != "") if parts else "/"


class _Object(dict):  # type: ignore[type-arg]
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


def _state_reference_path(value: Any) -> bool:
    """A ReferencePath into the state's own data ($...), as ResultPath needs (not $$ or a variable)."""
    return is_reference_path(value) and parse_path(value).root == "$"


class _Validator:
    def __init__(self) -> None:
        self.diagnostics: list[dict[str, str]] = []
        self.state_names: dict[str, str] = {}  # name -> location of first definition

    def add(self, code: str, message: str, location: str, severity: str = ERROR) -> None:
        self.diagnostics.append(
            {"severity": severity, "code": code, "message": message, "location": location}
        )

    def schema(self, message: str, location: str) -> None:
        self.add("SCHEMA_VALIDATION_FAILED", message, location)

    # ------------------------------------------------------------------------------ machine

    def machine(self, doc: Mapping[str, Any], where: Where, inherited: str, top: bool) -> None:
        allowed = (
            TOP_LEVEL_FIELDS if top else {"Comment", "StartAt", "States", "ProcessorConfig", "QueryLanguage"}
        )
        for key in doc:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported by Step Functions", _loc(*where, key))
        language = doc.get("QueryLanguage", inherited)
        if "QueryLanguage" in doc and language not in (JSONPATH, JSONATA):
            self.schema(
                f"QueryLanguage must be JSONPath or JSONata, not {language!r}", _loc(*where, "QueryLanguage")
            )
            language = inherited
        if top and "TimeoutSeconds" in doc and not _positive_int(doc["TimeoutSeconds"]):
            self.schema("TimeoutSeconds must be a positive integer", _loc(*where, "TimeoutSeconds"))
        if top and "Version" in doc and not isinstance(doc["Version"], str):
            self.schema("Version must be a string", _loc(*where, "Version"))
        states = doc.get("States")
        start_at = doc.get("StartAt")
        if not isinstance(states, Mapping) or not states:
            self.schema("These fields are required: [States] (a non-empty object)", _loc(*where, "States"))
            return
        for name in getattr(states, "duplicates", ()):
            self.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", _loc(*where, "States", name))
        if not isinstance(start_at, str):
            self.schema("These fields are required: [StartAt] (a string)", _loc(*where, "StartAt"))
        elif start_at not in states:
            self.add(
                "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start_at}", _loc(*where, "StartAt")
            )
        names = list(states)
        for name in names:
            self.state(name, states[name], (*where, "States", name), language, names)
        self.graph(doc, names, where)

    def graph(self, doc: Mapping[str, Any], names: list[str], where: Where) -> None:
        """Terminal state present; every state reachable from StartAt."""
        states = doc["States"]
        terminal = [
            n
            for n in names
            if isinstance(states[n], Mapping)
            and (states[n].get("End") is True or states[n].get("Type") in ("Succeed", "Fail"))
        ]
        if not terminal:
            self.add("MISSING_END_STATE", "Workflow has no terminal state", _loc(*where) if where else "/")
        start = doc.get("StartAt")
        seen: set[str] = {start} if start in states else set()
        todo = list(seen)
        while todo:
            spec = states.get(todo.pop())
            for target in _transitions(spec) if isinstance(spec, Mapping) else []:
                if target in states and target not in seen:
                    seen.add(target)
                    todo.append(target)
        for name in names:
            if name not in seen:  # AWS reports these with the same code as a missing target
                self.add(
                    "MISSING_TRANSITION_TARGET",
                    f'State "{name}" is not reachable.',
                    _loc(*where, "States", name),
                )

    # -------------------------------------------------------------------------------- states

    def state(self, name: str, spec: Any, where: Where, inherited: str, siblings: list[str]) -> None:
        loc = _loc(*where)
        if name in self.state_names:
            self.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", loc)
        else:
            self.state_names[name] = loc
        if not name or len(name) > MAX_STATE_NAME:
            self.add("INVALID_STATE_NAME", f"State names must be 1 to {MAX_STATE_NAME} characters long", loc)
        if not isinstance(spec, Mapping):
            self.schema("A state must be a JSON object", loc)
            return
        kind = spec.get("Type")
        if kind not in STATE_TYPES:
            self.schema(f"The field 'Type' must be one of {', '.join(STATE_TYPES)}", _loc(*where, "Type"))
            return
        language = spec.get("QueryLanguage", inherited)
        if "QueryLanguage" in spec:
            if language not in (JSONPATH, JSONATA):
                self.schema(
                    f"QueryLanguage must be JSONPath or JSONata, not {language!r}",
                    _loc(*where, "QueryLanguage"),
                )
                language = inherited
            elif inherited == JSONATA and language == JSONPATH:
                self.schema(
                    "A state cannot use JSONPath when the state machine uses JSONata",
                    _loc(*where, "QueryLanguage"),
                )
        fields = FIELDS[kind]
        other = JSONATA if language == JSONPATH else JSONPATH
        for key in spec:
            if key in COMMON_FIELDS or key in fields[language]:
                continue
            if key in fields[other]:
                self.schema(f"The field '{key}' is not supported in {language} states", _loc(*where, key))
            else:
                self.schema(
                    f"The field '{key}' is not supported by Step Functions for {kind} states",
                    _loc(*where, key),
                )
        self.flow(kind, spec, where, siblings)
        for a, b in _EXCLUSIVE:
            if a in spec and b in spec:
                self.schema(f"The fields '{a}' and '{b}' cannot be used together", _loc(*where, b))
        if language == JSONPATH:
            self.jsonpath_fields(kind, spec, where)
        else:
            self.jsonata_fields(kind, spec, where)
        if "Assign" in spec:
            self.assign(spec["Assign"], (*where, "Assign"), language)
        getattr(self, "state_" + kind.lower())(spec, where, language, siblings)

    def flow(self, kind: str, spec: Mapping[str, Any], where: Where, siblings: list[str]) -> None:
        if kind in ("Choice", "Succeed", "Fail"):
            for key in ("Next", "End"):
                if key in spec:
                    self.schema(f"The field '{key}' is not supported for {kind} states", _loc(*where, key))
            return
        has_next, end = "Next" in spec, spec.get("End")
        if "End" in spec and not isinstance(end, bool):
            self.schema("The field 'End' must be a boolean", _loc(*where, "End"))
        if has_next and end is True:
            self.schema("The fields 'Next' and 'End' cannot both be set", _loc(*where, "End"))
        elif not has_next and end is not True:
            self.schema("These fields are required: [Next] (or End: true)", _loc(*where))
        if has_next:
            self.target(spec["Next"], siblings, (*where, "Next"), "Next")

    def target(self, target: Any, siblings: list[str], where: Where, field: str) -> None:
        if not isinstance(target, str):
            self.schema(f"The field '{field}' must be a state name", _loc(*where))
        elif target not in siblings:  # AWS says 'Next' for Default and Catch targets too
            self.add("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", _loc(*where))

    # ------------------------------------------------------------------------ field syntax

    def jsonpath_fields(self, kind: str, spec: Mapping[str, Any], where: Where) -> None:
        for key in _NULLABLE_PATHS:
            if key in spec and spec[key] is not None and not is_valid_path(spec[key]):
                self.schema(f"The value for the field '{key}' must be a valid JSONPath", _loc(*where, key))
        for key in _REFERENCE_PATHS:
            if key in spec:
                value = spec[key]
                if key == "ResultPath" and value is None:
                    continue
                valid = _state_reference_path(value) if key == "ResultPath" else is_reference_path(value)
                if not valid:
                    self.schema(
                        f"The value for the field '{key}' must be a valid ReferencePath", _loc(*where, key)
                    )
        for key in _TEMPLATES:
            if key in spec:
                self.template(spec[key], (*where, key))
        if kind == "Pass" and isinstance(spec.get("Result"), Mapping):
            for key in spec["Result"]:
                if isinstance(key, str) and key.endswith(".$"):
                    self.add(
                        "PASS_RESULT_IS_STATIC",
                        "The Result of a Pass state is static; paths in it are not evaluated",
                        _loc(*where, "Result", key),
                        WARNING,
                    )
        for key, value in spec.items():
            if (
                key not in ("Comment", "Next", "Default", "Type", "Resource")
                and not key.endswith("Path")
                and isinstance(value, str)
                and value.startswith("$.")
                and is_valid_path(value)
            ):
                self.add(
                    "NO_PATH",
                    f"The field '{key}' looks like a path but its name does not end with 'Path'",
                    _loc(*where, key),
                    WARNING,
                )

    def template(self, template: Any, where: Where) -> None:
        """Payload template: values of '.$' keys are paths or intrinsic functions."""
        if isinstance(template, Mapping):
            for key, value in template.items():
                if isinstance(key, str) and key.endswith(".$"):
                    self.dynamic_value(value, (*where, key))
                else:
                    if isinstance(value, str) and (
                        is_intrinsic(value) or (value.startswith("$.") and is_valid_path(value))
                    ):
                        self.add(
                            "NO_DOLLAR",
                            f"The field '{key}' looks like a JSONPath or an intrinsic "
                            "function but its name does not end with '.$'",
                            _loc(*where, key),
                            WARNING,
                        )
                    self.template(value, (*where, key))
        elif isinstance(template, list):
            for i, item in enumerate(template):
                self.template(item, (*where, i))

    def dynamic_value(self, value: Any, where: Where, *, intrinsics: bool = True) -> None:
        if isinstance(value, str) and intrinsics and is_intrinsic(value):
            problem = validate_intrinsic(value)
            if problem:
                self.schema(
                    f"The value for the field '{where[-1]}' is not a valid intrinsic function: {problem}",
                    _loc(*where),
                )
        elif not isinstance(value, str) or not is_valid_path(value):
            what = "a valid JSONPath or a valid intrinsic function call" if intrinsics else "a valid JSONPath"
            self.schema(f"The value for the field '{where[-1]}' must be {what}", _loc(*where))

    def jsonata_fields(self, kind: str, spec: Mapping[str, Any], where: Where) -> None:
        for key, value in spec.items():
            if key in (
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Resource",
                "Choices",
                "Branches",
                "ItemProcessor",
                "Retry",
                "Catch",
                "Default",
                "Assign",
            ):
                continue
            self.jsonata_strings(value, (*where, key))

    def jsonata_strings(self, value: Any, where: Where) -> None:
        if isinstance(value, str):
            if is_jsonata_expression(value):
                problem = validate_jsonata(value)
                if problem:
                    self.schema(f"The JSONata expression is not valid: {problem}", _loc(*where))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                self.jsonata_strings(item, (*where, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.jsonata_strings(item, (*where, i))

    def assign(self, assign: Any, where: Where, language: str) -> None:
        if language == JSONATA and is_jsonata_expression(assign):
            self.jsonata_strings(assign, where)
            return
        if not isinstance(assign, Mapping):
            self.schema("The field 'Assign' must be an object", _loc(*where))
            return
        for key in assign:
            name = key[:-2] if language == JSONPATH and key.endswith(".$") else key
            if not _VARIABLE_NAME.fullmatch(name):
                self.schema(f"'{name}' is not a valid variable name", _loc(*where, key))
        if language == JSONPATH:
            self.template(assign, where)
        else:
            self.jsonata_strings(assign, where)

    def number_field(
        self,
        spec: Mapping[str, Any],
        key: str,
        where: Where,
        language: str,
        *,
        minimum: float = 0,
        integer: bool = True,
        maximum: float | None = None,
    ) -> None:
        if key not in spec:
            return
        value = spec[key]
        if language == JSONATA and is_jsonata_expression(value):
            return
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and (not integer or float(value).is_integer())
            and value >= minimum
            and (maximum is None or value <= maximum)
        )
        if not ok:
            kind = "an integer" if integer else "a number"
            bound = f" between {minimum} and {maximum}" if maximum is not None else f" >= {minimum}"
            self.schema(f"The field '{key}' must be {kind}{bound}", _loc(*where, key))

    # --------------------------------------------------------------------- state specifics

    def state_pass(self, spec: Spec, where: Where, language: str, names: list[str]) -> None:
        pass

    def state_succeed(self, spec: Mapping[str, Any], where: Where, language: str, names: list[str]) -> None:
        pass

    def state_task(self, spec: Spec, where: Where, language: str, names: list[str]) -> None:
        resource = spec.get("Resource")
        if "Resource" not in spec:
            self.schema("These fields are required: [Resource]", _loc(*where))
        elif not isinstance(resource, str) or not resource.startswith("arn:"):
            self.add(
                "INVALID_RESOURCE",
                f"Invalid resource: {resource!r} (expected an ARN)",
                _loc(*where, "Resource"),
            )
        self.number_field(spec, "TimeoutSeconds", where, language, minimum=1)
        self.number_field(spec, "HeartbeatSeconds", where, language, minimum=1)
        timeout, heartbeat = spec.get("TimeoutSeconds"), spec.get("HeartbeatSeconds")
        if _positive_int(timeout) and _positive_int(heartbeat) and heartbeat >= timeout:
            self.schema(
                "HeartbeatSeconds must be smaller than TimeoutSeconds", _loc(*where, "HeartbeatSeconds")
            )
        self.retry_catch(spec, where, language, names)

    def state_parallel(self, spec: Mapping[str, Any], where: Where, language: str, names: list[str]) -> None:
        branches = spec.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.schema("These fields are required: [Branches] (a non-empty array)", _loc(*where, "Branches"))
        else:
            for i, branch in enumerate(branches):
                if isinstance(branch, Mapping):
                    self.machine(branch, (*where, "Branches", i), language, top=False)
                else:
                    self.schema("A branch must be an object", _loc(*where, "Branches", i))
        self.retry_catch(spec, where, language, names)

    def state_map(self, spec: Spec, where: Where, language: str, names: list[str]) -> None:
        processor_key = "ItemProcessor" if "ItemProcessor" in spec else "Iterator"
        if "ItemProcessor" in spec and "Iterator" in spec:
            self.schema(
                "The fields 'ItemProcessor' and 'Iterator' cannot be used together", _loc(*where, "Iterator")
            )
        processor = spec.get(processor_key)
        mode = "INLINE"
        if not isinstance(processor, Mapping):
            self.schema("These fields are required: [ItemProcessor]", _loc(*where))
        else:
            # AWS accepts ProcessorConfig in the legacy Iterator too (recorded: test_base_scenarios.py::
            # test_map_state_legacy_config_distributed / _inline)
            config = processor.get("ProcessorConfig", {})
            if not isinstance(config, Mapping):
                self.schema(
                    "ProcessorConfig must be an object", _loc(*where, processor_key, "ProcessorConfig")
                )
            else:
                mode = config.get("Mode", "INLINE")
                for key in config:
                    if key not in ("Mode", "ExecutionType"):
                        self.schema(
                            f"The field '{key}' is not supported in ProcessorConfig",
                            _loc(*where, processor_key, "ProcessorConfig", key),
                        )
                if mode not in ("INLINE", "DISTRIBUTED"):
                    self.schema(
                        "ProcessorConfig.Mode must be INLINE or DISTRIBUTED",
                        _loc(*where, processor_key, "ProcessorConfig", "Mode"),
                    )
                execution_type = config.get("ExecutionType")
                if mode == "DISTRIBUTED" and execution_type not in ("STANDARD", "EXPRESS"):
                    self.schema(
                        "A DISTRIBUTED Map needs ProcessorConfig.ExecutionType STANDARD or EXPRESS",
                        _loc(*where, processor_key, "ProcessorConfig", "ExecutionType"),
                    )
                elif mode == "INLINE" and "ExecutionType" in config:
                    self.schema(
                        "ExecutionType is only supported for DISTRIBUTED Maps",
                        _loc(*where, processor_key, "ProcessorConfig", "ExecutionType"),
                    )
            self.machine(processor, (*where, processor_key), language, top=False)
        if mode != "DISTRIBUTED":
            for key in _DISTRIBUTED_ONLY:
                if language == JSONATA and key in _INLINE_JSONATA_OK:
                    continue
                if key in spec:
                    self.schema(
                        f"The field '{key}' is only supported by DISTRIBUTED Map states", _loc(*where, key)
                    )
        if "ItemSelector" in spec and "Parameters" in spec:
            self.schema(
                "The fields 'ItemSelector' and 'Parameters' cannot be used together",
                _loc(*where, "Parameters"),
            )
        if "ItemReader" in spec and ("ItemsPath" in spec or "Items" in spec):
            self.schema("ItemsPath/Items cannot be used with ItemReader", _loc(*where, "ItemReader"))
        self.number_field(spec, "MaxConcurrency", where, language)
        self.number_field(spec, "ToleratedFailurePercentage", where, language, integer=False, maximum=100)
        self.number_field(spec, "ToleratedFailureCount", where, language)
        if "Label" in spec and (
            not isinstance(spec["Label"], str)
            or len(spec["Label"]) > 40
            or re.search(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]", spec["Label"])
        ):
            self.schema(
                "Label must be at most 40 characters without whitespace or special characters",
                _loc(*where, "Label"),
            )
        if "ItemReader" in spec:
            self.item_reader(spec["ItemReader"], (*where, "ItemReader"), language)
        if "ItemBatcher" in spec:
            self.item_batcher(spec["ItemBatcher"], (*where, "ItemBatcher"), language)
        if "ResultWriter" in spec:
            self.result_writer(spec["ResultWriter"], (*where, "ResultWriter"), language)
        self.retry_catch(spec, where, language, names)

    def item_reader(self, reader: Any, where: Where, language: str) -> None:
        if not isinstance(reader, Mapping):
            self.schema("ItemReader must be an object", _loc(*where))
            return
        args = "Parameters" if language == JSONPATH else "Arguments"
        for key in reader:
            if key not in ("Resource", "ReaderConfig", args):
                self.schema(f"The field '{key}' is not supported in ItemReader", _loc(*where, key))
        if not isinstance(reader.get("Resource"), str) or not reader["Resource"].startswith("arn:"):
            self.add("INVALID_RESOURCE", "ItemReader needs a Resource ARN", _loc(*where, "Resource"))
        config = reader.get("ReaderConfig", {})
        if not isinstance(config, Mapping):
            self.schema("ReaderConfig must be an object", _loc(*where, "ReaderConfig"))
            return
        allowed = {
            "InputType",
            "CSVHeaderLocation",
            "CSVHeaders",
            "CSVDelimiter",
            "MaxItems",
            "MaxItemsPath",
            "ManifestType",
            "Transformation",
        }
        for key in config:
            if key not in allowed:
                self.schema(
                    f"The field '{key}' is not supported in ReaderConfig", _loc(*where, "ReaderConfig", key)
                )
        if "InputType" in config and config["InputType"] not in _READER_INPUT_TYPES:
            self.schema(
                f"InputType must be one of {', '.join(sorted(_READER_INPUT_TYPES))}",
                _loc(*where, "ReaderConfig", "InputType"),
            )
        location = config.get("CSVHeaderLocation")
        if location is not None and location not in ("FIRST_ROW", "GIVEN"):
            self.schema(
                "CSVHeaderLocation must be FIRST_ROW or GIVEN",
                _loc(*where, "ReaderConfig", "CSVHeaderLocation"),
            )
        if location == "GIVEN" and not isinstance(config.get("CSVHeaders"), list):
            self.schema("CSVHeaderLocation GIVEN needs CSVHeaders", _loc(*where, "ReaderConfig"))
        if "CSVDelimiter" in config and config["CSVDelimiter"] not in (
            "COMMA",
            "PIPE",
            "SEMICOLON",
            "SPACE",
            "TAB",
        ):
            self.schema(
                "CSVDelimiter must be COMMA, PIPE, SEMICOLON, SPACE or TAB",
                _loc(*where, "ReaderConfig", "CSVDelimiter"),
            )
        self.number_field(config, "MaxItems", (*where, "ReaderConfig"), language)
        if "MaxItemsPath" in config and not is_reference_path(config["MaxItemsPath"]):
            self.schema(
                "MaxItemsPath must be a valid ReferencePath", _loc(*where, "ReaderConfig", "MaxItemsPath")
            )
        if language == JSONPATH and args in reader:
            self.template(reader[args], (*where, args))

    def item_batcher(self, batcher: Any, where: Where, language: str) -> None:
        if not isinstance(batcher, Mapping):
            self.schema("ItemBatcher must be an object", _loc(*where))
            return
        allowed = {"MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"}
        if language == JSONPATH:
            allowed |= {"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"}
        for key in batcher:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported in ItemBatcher", _loc(*where, key))
        for key in ("MaxItemsPerBatch", "MaxInputBytesPerBatch"):
            self.number_field(batcher, key, where, language, minimum=1)
            if key in batcher and key + "Path" in batcher:
                self.schema(f"The fields '{key}' and '{key}Path' cannot be used together", _loc(*where, key))
            if key + "Path" in batcher and not is_reference_path(batcher[key + "Path"]):
                self.schema(f"{key}Path must be a valid ReferencePath", _loc(*where, key + "Path"))
        if not any(
            k in batcher
            for k in (
                "MaxItemsPerBatch",
                "MaxInputBytesPerBatch",
                "MaxItemsPerBatchPath",
                "MaxInputBytesPerBatchPath",
            )
        ):
            self.schema(
                "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path)", _loc(*where)
            )
        if language == JSONPATH and "BatchInput" in batcher:
            self.template(batcher["BatchInput"], (*where, "BatchInput"))

    def result_writer(self, writer: Any, where: Where, language: str) -> None:
        if not isinstance(writer, Mapping):
            self.schema("ResultWriter must be an object", _loc(*where))
            return
        args = "Parameters" if language == JSONPATH else "Arguments"
        for key in writer:
            if key not in ("Resource", "WriterConfig", args):
                self.schema(f"The field '{key}' is not supported in ResultWriter", _loc(*where, key))
        if "Resource" not in writer and "WriterConfig" not in writer:
            self.schema("ResultWriter needs a Resource or a WriterConfig", _loc(*where))
        if "Resource" in writer and (
            not isinstance(writer["Resource"], str) or not writer["Resource"].startswith("arn:")
        ):
            self.add("INVALID_RESOURCE", "ResultWriter needs a Resource ARN", _loc(*where, "Resource"))
        if language == JSONPATH and args in writer:
            self.template(writer[args], (*where, args))

    def state_wait(self, spec: Spec, where: Where, language: str, names: list[str]) -> None:
        given = [k for k in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if k in spec]
        if len(given) != 1:
            self.schema(
                "A Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
                _loc(*where),
            )
        self.number_field(spec, "Seconds", where, language)
        timestamp = spec.get("Timestamp")
        dynamic = language == JSONATA and is_jsonata_expression(timestamp)
        if "Timestamp" in spec and not dynamic and not is_timestamp(timestamp):
            self.schema(
                "Timestamp must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z",
                _loc(*where, "Timestamp"),
            )

    def state_fail(self, spec: Spec, where: Where, language: str, names: list[str]) -> None:
        for key in ("Error", "Cause"):
            value = spec.get(key)
            if key in spec and not isinstance(value, str):
                self.schema(f"The field '{key}' must be a string", _loc(*where, key))
            if language == JSONPATH and key + "Path" in spec:
                self.dynamic_value(spec[key + "Path"], (*where, key + "Path"))

    def state_choice(self, spec: Mapping[str, Any], where: Where, language: str, names: list[str]) -> None:
        choices = spec.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.schema("These fields are required: [Choices] (a non-empty array)", _loc(*where, "Choices"))
            choices = []
        for i, rule in enumerate(choices):
            rule_where = (*where, "Choices", i)
            if not isinstance(rule, Mapping):
                self.schema("A Choice rule must be an object", _loc(*rule_where))
                continue
            if "Next" not in rule:
                self.schema("These fields are required: [Next]", _loc(*rule_where))
            else:
                self.target(rule["Next"], names, (*rule_where, "Next"), "Next")
            if language == JSONATA:
                self.jsonata_rule(rule, rule_where)
            else:
                self.choice_rule(rule, rule_where, top=True)
            if "Assign" in rule:
                self.assign(rule["Assign"], (*rule_where, "Assign"), language)
        if "Default" in spec:
            self.target(spec["Default"], names, (*where, "Default"), "Default")

    def jsonata_rule(self, rule: Mapping[str, Any], where: Where) -> None:
        for key in rule:
            if key not in ("Condition", "Next", "Assign", "Output", "Comment"):
                self.schema(f"The field '{key}' is not supported in JSONata Choice rules", _loc(*where, key))
        condition = rule.get("Condition")
        if "Condition" not in rule:
            self.schema("These fields are required: [Condition]", _loc(*where))
        elif not isinstance(condition, bool) and not is_jsonata_expression(condition):
            self.schema("Condition must be a JSONata expression {% ... %}", _loc(*where, "Condition"))
        else:
            self.jsonata_strings(condition, (*where, "Condition"))
        if "Output" in rule:
            self.jsonata_strings(rule["Output"], (*where, "Output"))

    def choice_rule(self, rule: Mapping[str, Any], where: Where, *, top: bool) -> None:
        extra = {"Next", "Comment", "Assign"} if top else {"Comment"}
        boolean = [k for k in ("And", "Or", "Not") if k in rule]
        operators = [k for k in rule if k in ALL_OPERATORS]
        for key in rule:
            if key not in extra and key not in ("And", "Or", "Not", "Variable") and key not in ALL_OPERATORS:
                self.schema(f"The field '{key}' is not supported in Choice rules", _loc(*where, key))
        if len(boolean) + len(operators) != 1:
            self.schema(
                "A Choice rule needs exactly one comparison operator or one of And, Or, Not", _loc(*where)
            )
            return
        if boolean:
            op = boolean[0]
            if "Variable" in rule:
                self.schema(f"A rule with {op} cannot have a Variable", _loc(*where, "Variable"))
            inner = rule[op]
            if op == "Not":
                if isinstance(inner, Mapping):
                    self.choice_rule(inner, (*where, "Not"), top=False)
                else:
                    self.schema("Not takes one Choice rule (an object)", _loc(*where, "Not"))
            elif not isinstance(inner, list) or not inner:
                self.schema(f"{op} takes a non-empty array of Choice rules", _loc(*where, op))
            else:
                for i, item in enumerate(inner):
                    if isinstance(item, Mapping):
                        self.choice_rule(item, (*where, op, i), top=False)
                    else:
                        self.schema("A Choice rule must be an object", _loc(*where, op, i))
            return
        op = operators[0]
        if "Variable" not in rule:
            self.schema("These fields are required: [Variable]", _loc(*where))
        elif not is_valid_path(rule["Variable"]):
            self.schema(
                "The value for the field 'Variable' must be a valid JSONPath", _loc(*where, "Variable")
            )
        self.operand(op, rule[op], (*where, op))

    def operand(self, op: str, value: Any, where: Where) -> None:
        if op.endswith("Path") and op in COMPARISON_OPERATORS:
            ok, what = isinstance(value, str) and is_valid_path(value), "a valid JSONPath"
        elif op.startswith("Is") or op == "BooleanEquals":
            ok, what = isinstance(value, bool), "a boolean"
        elif op.startswith("Numeric"):
            ok, what = isinstance(value, int | float) and not isinstance(value, bool), "a number"
        elif op.startswith("Timestamp"):
            ok, what = is_timestamp(value), "an RFC 3339 timestamp"
        else:
            ok, what = isinstance(value, str), "a string"
        if not ok:
            self.schema(f"The value for the field '{op}' must be {what}", _loc(*where))

    def retry_catch(self, spec: Mapping[str, Any], where: Where, language: str, names: list[str]) -> None:
        for field in ("Retry", "Catch"):
            if field not in spec:
                continue
            entries = spec[field]
            if not isinstance(entries, list):
                self.schema(f"The field '{field}' must be an array", _loc(*where, field))
                continue
            for i, entry in enumerate(entries):
                entry_where = (*where, field, i)
                if not isinstance(entry, Mapping):
                    self.schema(f"A {field} entry must be an object", _loc(*entry_where))
                    continue
                self.error_equals(entry, entry_where, last=i == len(entries) - 1)
                if field == "Retry":
                    self.retrier(entry, entry_where)
                else:
                    self.catcher(entry, entry_where, language, names)

    def error_equals(self, entry: Mapping[str, Any], where: Where, *, last: bool) -> None:
        names = entry.get("ErrorEquals")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.schema(
                "These fields are required: [ErrorEquals] (a non-empty array of error names)",
                _loc(*where, "ErrorEquals"),
            )
            return
        if "States.ALL" in names and (len(names) > 1 or not last):
            self.schema(
                "States.ALL must appear alone, in the last Retrier or Catcher", _loc(*where, "ErrorEquals")
            )

    def retrier(self, entry: Mapping[str, Any], where: Where) -> None:
        for key in entry:
            if key not in RETRIER_FIELDS:
                self.schema(f"The field '{key}' is not supported in Retry", _loc(*where, key))
        self.number_field(entry, "IntervalSeconds", where, JSONPATH, minimum=1)
        self.number_field(entry, "MaxAttempts", where, JSONPATH, minimum=0)
        self.number_field(entry, "BackoffRate", where, JSONPATH, minimum=1, integer=False)
        self.number_field(entry, "MaxDelaySeconds", where, JSONPATH, minimum=1)
        if "JitterStrategy" in entry and entry["JitterStrategy"] not in ("FULL", "NONE"):
            self.schema("JitterStrategy must be FULL or NONE", _loc(*where, "JitterStrategy"))

    def catcher(self, entry: Mapping[str, Any], where: Where, language: str, names: list[str]) -> None:
        allowed = CATCHER_FIELDS[language]
        for key in entry:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported in {language} Catchers", _loc(*where, key))
        if "Next" not in entry:
            self.schema("These fields are required: [Next]", _loc(*where))
        else:
            self.target(entry["Next"], names, (*where, "Next"), "Next")
        if language == JSONPATH and "ResultPath" in entry and entry["ResultPath"] is not None:
            value = entry["ResultPath"]
            if not _state_reference_path(value):
                self.schema(
                    "The value for the field 'ResultPath' must be a valid ReferencePath",
                    _loc(*where, "ResultPath"),
                )
        if "Assign" in entry:
            self.assign(entry["Assign"], (*where, "Assign"), language)
        if language == JSONATA and "Output" in entry:
            self.jsonata_strings(entry["Output"], (*where, "Output"))


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _transitions(spec: Mapping[str, Any]) -> Iterable[str]:
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


def validate_definition(definition: str | Mapping[str, Any], *, severity: str = ERROR) -> list[dict]:
    """AWS-shaped diagnostics for a definition; an empty list means it is valid.

    `severity` is the minimum level reported, as in the API: "ERROR" (default) or "WARNING" (both).
    """
    validator = _Validator()
    if definition is None or (isinstance(definition, str) and not definition.strip()):
        validator.add("MISSING_DESCRIPTION", "Received a null or empty definition", "/")
        return validator.diagnostics
    if isinstance(definition, str):
        try:
            doc = json.loads(definition, object_pairs_hook=_pairs_with_duplicates)
        except ValueError as exc:
            validator.add("INVALID_JSON_DESCRIPTION", f"The definition is not valid JSON: {exc}", "/")
            return validator.diagnostics
    else:
        doc = definition
    if not isinstance(doc, Mapping):
        validator.schema("The definition must be a JSON object", "/")
        return validator.diagnostics
    language = doc.get("QueryLanguage", JSONPATH)
    validator.machine(doc, (), JSONPATH if language not in (JSONPATH, JSONATA) else language, top=True)
    levels = {ERROR: {ERROR}, WARNING: {ERROR, WARNING}}.get(severity.upper(), {ERROR})
    return [d for d in validator.diagnostics if d["severity"] in levels]
