"""The I/O pipeline of a state, in one place, for both query languages.

JSONPath: InputPath -> Parameters/ItemSelector -> (work) -> ResultSelector -> ResultPath -> OutputPath.
JSONata: `$states.input` -> Arguments -> (work) -> `$states.result` -> Output; Assign in both (evaluated
with the variables as they were when the state started, then applied). The context object (`$$` /
`$states.context`) is built here too, and the 256 KiB payload limit is enforced here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Dynamic, Payload, State
from workflow.engine.asl.fields import NumberOrExpression
from workflow.engine.errors import StatesError
from workflow.engine.json_format import compact_json
from workflow.engine.jsonata_eval import evaluate_jsonata_template
from workflow.engine.paths import (
    MISSING,
    apply_input_path,
    apply_output_path,
    apply_result_path,
    evaluate_path,
)
from workflow.engine.quotas import PAYLOAD_BYTES
from workflow.engine.states.runtime import Scope
from workflow.engine.template import evaluate_template
from workflow.engine.time_format import iso_millis


def context_object(
    scope: Scope,
    state_name: str,
    entered: datetime,
    retry_count: int | None = 0,
    token: str | None = None,
) -> dict[str, Any]:
    """The context object as AWS documents it ($$.Execution, $$.State, $$.StateMachine, $$.Task, $$.Map).

    `retry_count` None: the state cannot retry, and `$$.State` has no RetryCount, as recorded for a Pass
    state (context_object/test_context_object.py::test_input_path[$$])."""
    ex = scope.execution
    execution: dict[str, Any] = {
        "Id": ex.arn,
        "Input": ex.input,
        "Name": ex.name,
        "RoleArn": ex.role_arn,
        "StartTime": iso_millis(ex.start_date),
        "RedriveCount": ex.redrive_count,
    }
    if ex.redrive_date is not None:
        execution["RedriveTime"] = iso_millis(ex.redrive_date)
    ctx: dict[str, Any] = {
        "Execution": execution,
        "State": {"EnteredTime": iso_millis(entered), "Name": state_name},
        "StateMachine": {"Id": ex.state_machine_arn, "Name": ex.state_machine_name},
    }
    if retry_count is not None:
        ctx["State"]["RetryCount"] = retry_count
    if token is not None:
        ctx["Task"] = {"Token": token}
    if scope.map_item is not None:
        ctx["Map"] = {"Item": scope.map_item}
    return ctx


def check_size(value: Any, state_name: str) -> str:
    """States.DataLimitExceeded for a state/task result over 256 KiB, in AWS's wording; else the result's
    compact JSON, which the StateExited event reuses (each output is encoded once)."""
    text = compact_json(value)
    if (len(text) if text.isascii() else len(text.encode("utf-8"))) > PAYLOAD_BYTES:
        raise StatesError(
            errors.DATA_LIMIT_EXCEEDED,
            f"The state/task '{state_name}' returned a result with a size exceeding the maximum number "
            "of bytes service limit.",
        )
    return text


# ---------------------------------------------------------------------------------------------- JSONata


def states_var(raw_input: Any, ctx: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The `$states` reserved variable: input, context and, when they exist, result / errorOutput."""
    out: dict[str, Any] = {"input": raw_input, "context": ctx}
    out.update({k: v for k, v in extra.items() if v is not MISSING})
    return out


def jsonata(value: Any, states: Mapping[str, Any], variables: Mapping[str, Any], field: str = "") -> Any:
    """Evaluate a JSONata field (an expression string `{% ... %}` or a structure containing some);
    `field` is the ASL field's name, which AWS's causes and EvaluationFailed events name (`Assign/result`)."""
    return evaluate_jsonata_template(value, states=dict(states), variables=dict(variables), field=field)


# ---------------------------------------------------------------------------------------------- JSONPath


def after_input_path(
    state: State, raw_input: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """InputPath alone (Choice, Wait, Succeed, Map: a Map's Parameters select each item, not its input)."""
    return apply_input_path(raw_input, state.jsonpath_io.input_path, context=ctx, variables=variables)


def effective_input(
    state: State, raw_input: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """InputPath then Parameters: what the state's work receives (Pass, Task, Parallel)."""
    data = after_input_path(state, raw_input, ctx, variables)
    parameters = state.jsonpath_io.parameters
    if parameters is not None:
        # AWS (and Step Functions Local) fail an unresolvable `.$` path with States.Runtime, which States.ALL
        # does not catch, not with the States.ParameterPathFailure the error table lists.
        data = evaluate_template(
            parameters.value, data, context=ctx, variables=variables, error=errors.RUNTIME
        )
    return data


def select_result(state: State, result: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    selector = state.jsonpath_io.result_selector
    if selector is not None:
        return evaluate_template(
            selector.value, result, context=ctx, variables=variables, error=errors.RUNTIME
        )
    return result


def place_result(
    state: State, raw_input: Any, result: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """ResultPath then OutputPath."""
    combined = apply_result_path(raw_input, result, state.jsonpath_io.result_path)
    return apply_output_path(combined, state.jsonpath_io.output_path, context=ctx, variables=variables)


def assign(
    template: Payload | None,
    scope: Scope,
    *,
    jsonata_mode: bool,
    data: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    states: Mapping[str, Any] | None = None,
) -> None:
    """Evaluate an `Assign` (a state's, a Choice rule's or a catcher's) against the variables as they were
    (all at once) and store the new values."""
    if template is None:
        return
    if jsonata_mode:
        values = jsonata(template.value, states or {}, variables, "Assign")
    else:
        values = evaluate_template(
            template.value, data, context=ctx, variables=variables, error=errors.RUNTIME
        )
    if not isinstance(values, Mapping):
        raise StatesError(errors.RUNTIME, "Assign must evaluate to a JSON object")
    scope.variables.assign(values)
    scope.assigned = dict(values)


def output_or(
    output: Payload | None, default: Any, states: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """A JSONata `Output` field evaluated, or `default` when the state (or rule, or catcher) has none."""
    return default if output is None else jsonata(output.value, states, variables, "Output")


def finish(
    state: State,
    scope: Scope,
    *,
    raw_input: Any,
    result: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    default_output: str = "result",
) -> Any:
    """The state's output from its (raw) result, and its Assign, for Task/Map/Parallel/Pass.

    JSONPath: ResultSelector -> Assign($ = selected result) -> ResultPath -> OutputPath.
    JSONata: Output (default: the result, or the input for Pass) and Assign see `$states.result`.
    """
    if state.jsonata:
        states = states_var(raw_input, ctx, result=result)
        default = result if default_output == "result" else raw_input
        output = output_or(state.jsonata_io.output, default, states, variables)
        assign(state.assign, scope, jsonata_mode=True, data=None, ctx=ctx, variables=variables, states=states)
        return output
    selected = select_result(state, result, ctx, variables)
    output = place_result(state, raw_input, selected, ctx, variables)
    assign(state.assign, scope, jsonata_mode=False, data=selected, ctx=ctx, variables=variables)
    return output


def passthrough(
    state: State, scope: Scope, *, raw_input: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """Output of Wait/Succeed: InputPath -> OutputPath, or JSONata Output."""
    if state.jsonata:
        states = states_var(raw_input, ctx)
        output = output_or(state.jsonata_io.output, raw_input, states, variables)
        assign(state.assign, scope, jsonata_mode=True, data=None, ctx=ctx, variables=variables, states=states)
        return output
    data = after_input_path(state, raw_input, ctx, variables)
    assign(state.assign, scope, jsonata_mode=False, data=data, ctx=ctx, variables=variables)
    return apply_output_path(data, state.jsonpath_io.output_path, context=ctx, variables=variables)


def dynamic_number(
    state: State,
    field: Dynamic[NumberOrExpression],
    data: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    raw_input: Any = None,
    default: float | None = None,
) -> float | None:
    """A number given as `Field` (a JSONata expression allowed) or `FieldPath` (JSONPath, variables too)."""
    value: Any
    if field.value is not None:
        value = field.value
        if state.jsonata and isinstance(value, str):
            value = jsonata(value, states_var(raw_input, ctx), variables, field.name)
    elif field.path is not None:
        value = evaluate_path(field.path, data, context=ctx, variables=variables)
    else:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatesError(
            errors.RUNTIME, f"The value of {field.name} must be a number, got {json.dumps(value)}"
        )
    return value
