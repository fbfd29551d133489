"""Pass, Choice, Wait, Succeed and Fail: the states that do no outside work."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Choice, Fail, Pass, Succeed, Wait
from workflow.engine.choice import select_choice
from workflow.engine.errors import StatesError
from workflow.engine.json_format import compact_json
from workflow.engine.paths import apply_output_path, evaluate_path
from workflow.engine.states import data_flow
from workflow.engine.states.runtime import Scope
from workflow.engine.states.step import Outcome, StateRun, next_of, wait
from workflow.engine.template import evaluate_dynamic


def run_pass(state: Pass, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """Pass: Result (or the input after InputPath/Parameters) placed by ResultPath; JSONata: Output."""
    ctx, variables = run.context(scope), scope.variables.snapshot()
    if state.jsonata:
        output = data_flow.finish(
            state,
            scope,
            raw_input=raw_input,
            result=raw_input,
            ctx=ctx,
            variables=variables,
            default_output="input",
        )
        return Outcome(output, next_of(state))
    effective = data_flow.effective_input(state, raw_input, ctx, variables)
    result = state.result.value if state.result is not None else effective
    output = data_flow.place_result(state, raw_input, result, ctx, variables)
    data_flow.assign(state.assign, scope, jsonata_mode=False, data=result, ctx=ctx, variables=variables)
    return Outcome(output, next_of(state))


def run_succeed(state: Succeed, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    ctx, variables = run.context(scope), scope.variables.snapshot()
    return Outcome(
        data_flow.passthrough(state, scope, raw_input=raw_input, ctx=ctx, variables=variables), None
    )


def run_fail(state: Fail, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """Fail: Error/Cause, or ErrorPath/CausePath (paths or intrinsics); in JSONata both may be expressions."""
    ctx, variables = run.context(scope), scope.variables.snapshot()
    error: Any = state.error.value
    cause: Any = state.cause.value
    if state.jsonata:
        states = data_flow.states_var(raw_input, ctx)
        error = data_flow.jsonata(error, states, variables, "Error") if error is not None else None
        cause = data_flow.jsonata(cause, states, variables, "Cause") if cause is not None else None
    else:
        if state.error.path is not None:
            error = _dynamic("ErrorPath", state.error.path, raw_input, ctx, variables)
        if state.cause.path is not None:
            cause = _dynamic("CausePath", state.cause.path, raw_input, ctx, variables)
    for name, value in (("ErrorPath", error), ("CausePath", cause)):
        if value is not None and not isinstance(value, str):
            raise StatesError(errors.RUNTIME, f"The {name} of state '{state.name}' must resolve to a string")
    raise FailStateError(error or "", cause or "")


def _dynamic(field: str, expr: str, data: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    """A path or intrinsic function, evaluated as a `.$` field would be; AWS's causes name the field
    ("The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input ...")."""
    return evaluate_dynamic(field, expr, data, context=ctx, variables=variables)


class FailStateError(StatesError):
    """The error a Fail state ends its machine with (no Catch applies to a Fail state itself)."""

    raised_by_fail_state = True


def run_choice(state: Choice, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """Choice: the first matching rule's Next (else Default); the rule's Assign/Output, else the state's."""
    ctx, variables = run.context(scope), scope.variables.snapshot()
    if state.jsonata:
        states = data_flow.states_var(raw_input, ctx)
        next_name, rule = select_choice(state, raw_input, context=ctx, variables=variables)
        output_field = rule.output if rule is not None else state.jsonata_io.output
        output = data_flow.output_or(output_field, raw_input, states, variables)
        data_flow.assign(
            rule.assign if rule is not None else state.assign,
            scope,
            jsonata_mode=True,
            data=None,
            ctx=ctx,
            variables=variables,
            states=states,
        )
        return Outcome(output, next_name)
    data = data_flow.after_input_path(state, raw_input, ctx, variables)
    next_name, rule = select_choice(state, data, context=ctx, variables=variables)
    data_flow.assign(
        rule.assign if rule is not None else state.assign,
        scope,
        jsonata_mode=False,
        data=data,
        ctx=ctx,
        variables=variables,
    )
    return Outcome(
        apply_output_path(data, state.jsonpath_io.output_path, context=ctx, variables=variables), next_name
    )


def run_wait(state: Wait, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """Wait: Seconds / Timestamp / SecondsPath / TimestampPath (JSONata: Seconds/Timestamp expressions)."""
    ctx, variables = run.context(scope), scope.variables.snapshot()
    data = raw_input if state.jsonata else data_flow.after_input_path(state, raw_input, ctx, variables)
    seconds: float | None = None
    timestamp: Any = None
    if state.seconds.path is not None and not state.jsonata:
        # AWS's causes (test_base_scenarios / wait: "The SecondsPath parameter references a negative value:
        # $.x == -1", "... cannot be parsed as a long value: $.x == 1.5")
        path = state.seconds.path
        value = evaluate_path(path, data, context=ctx, variables=variables)
        if isinstance(value, bool) or not isinstance(value, int):
            raise StatesError(
                errors.RUNTIME,
                f"The SecondsPath parameter cannot be parsed as a long value: {path} == {_show(value)}",
            )
        if value < 0:
            raise StatesError(
                errors.RUNTIME, f"The SecondsPath parameter references a negative value: {path} == {value}"
            )
        seconds = value
    elif state.seconds.value is not None:
        seconds = data_flow.dynamic_number(state, state.seconds, data, ctx, variables, raw_input=raw_input)
        if seconds is None or seconds < 0 or int(seconds) != seconds:
            raise StatesError(
                errors.RUNTIME,
                f"The Seconds of Wait state '{state.name}' must be a "
                f"non-negative integer, got {json.dumps(seconds)}",
            )
    elif state.timestamp.value is not None:
        timestamp = state.timestamp.value
        if state.jsonata:
            timestamp = data_flow.jsonata(
                timestamp, data_flow.states_var(raw_input, ctx), variables, "Timestamp"
            )
    elif state.timestamp.path is not None:
        path = state.timestamp.path
        timestamp = evaluate_path(path, data, context=ctx, variables=variables)
        if _timestamp_or_none(timestamp) is None:  # test_wait.py::test_wait_timestamppath
            raise StatesError(
                errors.RUNTIME,
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                f"format string: {path} == {_show(timestamp)}",
            )
    if timestamp is not None:
        written = state.timestamp.value if state.timestamp.value is not None else state.timestamp.path
        seconds = (_parse_timestamp(timestamp, written) - scope.engine.clock.now()).total_seconds()
    if seconds and seconds > 0:
        wait(scope, seconds)
    return Outcome(
        data_flow.passthrough(state, scope, raw_input=raw_input, ctx=ctx, variables=variables), next_of(state)
    )


def _show(value: Any) -> str:
    """A value as AWS's causes print it after `path ==`: strings bare, the rest as JSON."""
    return value if isinstance(value, str) else compact_json(value, ensure_ascii=True)


_ISO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})")


def _timestamp_or_none(value: Any) -> datetime | None:
    """An ISO-8601 extended offset date-time (`T` and a zone required, as AWS's recordings show: a timestamp
    without `Z` or without `T` fails); fractions of up to 9 digits are accepted and cut to microseconds."""
    if not isinstance(value, str) or not _ISO_OFFSET.fullmatch(value):
        return None
    text = re.sub(r"\.(\d{6})\d+", r".\1", value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _parse_timestamp(value: Any, written: Any) -> datetime:
    """The Timestamp as a datetime; else States.Runtime in the wording LocalStack reproduces from AWS
    ("... format string: <the field as written> == <value>"; not checked against a recording of ours)."""
    parsed = _timestamp_or_none(value)
    if parsed is not None:
        return parsed
    raise StatesError(
        errors.RUNTIME,
        "The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format "
        f"string: {written} == {_show(value)}",
    )
