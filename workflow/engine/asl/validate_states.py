"""Rules every state follows (name, Type, QueryLanguage, the fields its type accepts in its language, Next
or End), and those of Pass, Task, Wait, Succeed, Fail and Parallel; Choice and Map have their own modules.

`STATE_RULES` is the table from state type to its specific rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from workflow.engine.asl.diagnostics import Report, Where, loc
from workflow.engine.asl.fields import EXCLUSIVE_FIELDS
from workflow.engine.asl.states import COMMON_FIELDS, STATE_CLASSES
from workflow.engine.asl.validate_choice import choice_state
from workflow.engine.asl.validate_errors import retry_catch, target
from workflow.engine.asl.validate_map import NestedCheck, StateCheck, map_state
from workflow.engine.asl.validate_values import (
    assign,
    dynamic_value,
    jsonata_fields,
    jsonpath_fields,
    number_field,
    positive_int,
)
from workflow.engine.asl.vocabulary import (
    JSONATA,
    JSONPATH,
    NO_TRANSITION_TYPES,
    STATE_TYPES,
    QueryLanguage,
    StateType,
)
from workflow.engine.choice import is_timestamp
from workflow.engine.jsonata_eval import is_jsonata_expression
from workflow.engine.quotas import NAME_LENGTH

StateRule = Callable[[StateCheck], None]


def state(
    report: Report,
    name: str,
    spec: Any,
    where: Where,
    inherited: QueryLanguage,
    siblings: Sequence[str],
    nested: NestedCheck,
) -> None:
    """All the rules of one state, in the order AWS reports them."""
    here = loc(*where)
    if name in report.state_names:
        report.add("DUPLICATE_STATE_NAME", f"Duplicate State name: {name}", here)
    else:
        report.state_names[name] = here
    if not name or len(name) > NAME_LENGTH:
        report.add("INVALID_STATE_NAME", f"State names must be 1 to {NAME_LENGTH} characters long", here)
    if not isinstance(spec, Mapping):
        report.schema("A state must be a JSON object", here)
        return
    kind = spec.get("Type")
    if kind not in STATE_TYPES:
        report.schema(f"The field 'Type' must be one of {', '.join(STATE_TYPES)}", loc(*where, "Type"))
        return
    kind = StateType(kind)
    language = _language(report, spec, where, inherited)
    _fields(report, kind, spec, where, language)
    _flow(report, kind, spec, where, siblings)
    for a, b in EXCLUSIVE_FIELDS:
        if a in spec and b in spec:
            report.schema(f"The fields '{a}' and '{b}' cannot be used together", loc(*where, b))
    if language == JSONPATH:
        jsonpath_fields(report, kind, spec, where)
    else:
        jsonata_fields(report, spec, where)
    if "Assign" in spec:
        assign(report, spec["Assign"], (*where, "Assign"), language)
    STATE_RULES[kind](StateCheck(report, spec, where, language, siblings, nested))


def _language(
    report: Report, spec: Mapping[str, Any], where: Where, inherited: QueryLanguage
) -> QueryLanguage:
    """The state's effective QueryLanguage (a JSONata machine cannot hold a JSONPath state)."""
    if "QueryLanguage" not in spec:
        return inherited
    own = spec["QueryLanguage"]
    if own not in (JSONPATH, JSONATA):
        report.schema(f"QueryLanguage must be JSONPath or JSONata, not {own!r}", loc(*where, "QueryLanguage"))
        return inherited
    if inherited == JSONATA and own == JSONPATH:
        report.schema(
            "A state cannot use JSONPath when the state machine uses JSONata", loc(*where, "QueryLanguage")
        )
    return QueryLanguage(own)


def _fields(
    report: Report, kind: StateType, spec: Mapping[str, Any], where: Where, language: QueryLanguage
) -> None:
    """Only the fields the state type takes in its language (the model's `FIELDS` table)."""
    fields = STATE_CLASSES[kind].FIELDS
    other = JSONATA if language == JSONPATH else JSONPATH
    for key in spec:
        if key in COMMON_FIELDS or key in fields[language]:
            continue
        if key in fields[other]:
            report.schema(f"The field '{key}' is not supported in {language} states", loc(*where, key))
        else:
            report.schema(
                f"The field '{key}' is not supported by Step Functions for {kind} states", loc(*where, key)
            )


def _flow(
    report: Report, kind: StateType, spec: Mapping[str, Any], where: Where, siblings: Sequence[str]
) -> None:
    if kind in NO_TRANSITION_TYPES:
        for key in ("Next", "End"):
            if key in spec:
                report.schema(f"The field '{key}' is not supported for {kind} states", loc(*where, key))
        return
    has_next, end = "Next" in spec, spec.get("End")
    if "End" in spec and not isinstance(end, bool):
        report.schema("The field 'End' must be a boolean", loc(*where, "End"))
    if has_next and end is True:
        report.schema("The fields 'Next' and 'End' cannot both be set", loc(*where, "End"))
    elif not has_next and end is not True:
        report.schema("These fields are required: [Next] (or End: true)", loc(*where))
    if has_next:
        target(report, spec["Next"], siblings, (*where, "Next"), "Next")


# ------------------------------------------------------------------------------- state types


def _no_rules(check: StateCheck) -> None:
    """Pass and Succeed: nothing beyond the common rules."""


def _task(check: StateCheck) -> None:
    report, spec, where, language = check.report, check.spec, check.where, check.language
    resource = spec.get("Resource")
    if "Resource" not in spec:
        report.schema("These fields are required: [Resource]", loc(*where))
    elif not isinstance(resource, str) or not resource.startswith("arn:"):
        report.add(
            "INVALID_RESOURCE", f"Invalid resource: {resource!r} (expected an ARN)", loc(*where, "Resource")
        )
    number_field(report, spec, "TimeoutSeconds", where, language, minimum=1)
    number_field(report, spec, "HeartbeatSeconds", where, language, minimum=1)
    timeout, heartbeat = spec.get("TimeoutSeconds"), spec.get("HeartbeatSeconds")
    if positive_int(timeout) and positive_int(heartbeat) and heartbeat >= timeout:
        report.schema("HeartbeatSeconds must be smaller than TimeoutSeconds", loc(*where, "HeartbeatSeconds"))
    retry_catch(report, spec, where, language, check.names)


def _parallel(check: StateCheck) -> None:
    report, spec, where, language = check.report, check.spec, check.where, check.language
    branches = spec.get("Branches")
    if not isinstance(branches, list) or not branches:
        report.schema("These fields are required: [Branches] (a non-empty array)", loc(*where, "Branches"))
    else:
        for i, branch in enumerate(branches):
            if isinstance(branch, Mapping):
                check.nested(branch, (*where, "Branches", i), language)
            else:
                report.schema("A branch must be an object", loc(*where, "Branches", i))
    retry_catch(report, spec, where, language, check.names)


def _wait(check: StateCheck) -> None:
    report, spec, where, language = check.report, check.spec, check.where, check.language
    given = [k for k in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if k in spec]
    if len(given) != 1:
        report.schema(
            "A Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath", loc(*where)
        )
    number_field(report, spec, "Seconds", where, language)
    timestamp = spec.get("Timestamp")
    dynamic = language == JSONATA and is_jsonata_expression(timestamp)
    if "Timestamp" in spec and not dynamic and not is_timestamp(timestamp):
        report.schema(
            "Timestamp must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z", loc(*where, "Timestamp")
        )


def _fail(check: StateCheck) -> None:
    report, spec, where, language = check.report, check.spec, check.where, check.language
    for key in ("Error", "Cause"):
        if key in spec and not isinstance(spec[key], str):
            report.schema(f"The field '{key}' must be a string", loc(*where, key))
        if language == JSONPATH and key + "Path" in spec:
            dynamic_value(report, spec[key + "Path"], (*where, key + "Path"))


def _choice(check: StateCheck) -> None:
    choice_state(check.report, check.spec, check.where, check.language, check.names)


STATE_RULES: Mapping[StateType, StateRule] = {
    StateType.PASS: _no_rules,
    StateType.TASK: _task,
    StateType.CHOICE: _choice,
    StateType.WAIT: _wait,
    StateType.SUCCEED: _no_rules,
    StateType.FAIL: _fail,
    StateType.PARALLEL: _parallel,
    StateType.MAP: map_state,
}
