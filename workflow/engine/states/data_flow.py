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
from workflow.engine.clock import iso_millis
from workflow.engine.definition import StateDef
from workflow.engine.errors import StatesError
from workflow.engine.jsonata_eval import evaluate_jsonata_template
from workflow.engine.paths import (
    MISSING,
    apply_input_path,
    apply_output_path,
    apply_result_path,
    evaluate_path,
)
from workflow.engine.states.runtime import Scope
from workflow.engine.template import evaluate_template

MAX_PAYLOAD_BYTES = 262_144


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
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if (len(text) if text.isascii() else len(text.encode("utf-8"))) > MAX_PAYLOAD_BYTES:
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


def effective_input(
    state: StateDef,
    raw_input: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    template_field: str = "Parameters",
) -> Any:
    """InputPath then Parameters (or ItemSelector ...): what the state's work receives."""
    spec = state.spec
    data = apply_input_path(raw_input, spec.get("InputPath", MISSING), context=ctx, variables=variables)
    if template_field in spec:
        # AWS (and Step Functions Local) fail an unresolvable `.$` path with States.Runtime, which States.ALL
        # does not catch, not with the States.ParameterPathFailure the error table lists.
        data = evaluate_template(
            spec[template_field], data, context=ctx, variables=variables, error=errors.RUNTIME
        )
    return data


def select_result(state: StateDef, result: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    if "ResultSelector" in state.spec:
        return evaluate_template(
            state.spec["ResultSelector"], result, context=ctx, variables=variables, error=errors.RUNTIME
        )
    return result


def place_result(
    state: StateDef, raw_input: Any, result: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """ResultPath then OutputPath."""
    combined = apply_result_path(raw_input, result, state.spec.get("ResultPath", MISSING))
    output_path = state.spec.get("OutputPath", MISSING)
    return apply_output_path(combined, output_path, context=ctx, variables=variables)


def assign(
    spec: Mapping[str, Any],
    scope: Scope,
    *,
    jsonata_mode: bool,
    data: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    states: Mapping[str, Any] | None = None,
) -> None:
    """Evaluate `Assign` against the variables as they were (all at once) and store the new values."""
    if "Assign" not in spec:
        return
    template = spec["Assign"]
    if jsonata_mode:
        values = jsonata(template, states or {}, variables, "Assign")
    else:
        values = evaluate_template(template, data, context=ctx, variables=variables, error=errors.RUNTIME)
    if not isinstance(values, Mapping):
        raise StatesError(errors.RUNTIME, "Assign must evaluate to a JSON object")
    scope.variables.assign(values)
    scope.assigned = dict(values)


def finish(
    state: StateDef,
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
        if "Output" in state.spec:
            output = jsonata(state.spec["Output"], states, variables, "Output")
        else:
            output = result if default_output == "result" else raw_input
        assign(state.spec, scope, jsonata_mode=True, data=None, ctx=ctx, variables=variables, states=states)
        return output
    selected = select_result(state, result, ctx, variables)
    output = place_result(state, raw_input, selected, ctx, variables)
    assign(state.spec, scope, jsonata_mode=False, data=selected, ctx=ctx, variables=variables)
    return output


def passthrough(
    state: StateDef, scope: Scope, *, raw_input: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> Any:
    """Output of Wait/Succeed/Choice: InputPath -> OutputPath, or JSONata Output."""
    if state.jsonata:
        states = states_var(raw_input, ctx)
        output = (
            jsonata(state.spec["Output"], states, variables, "Output")
            if "Output" in state.spec
            else raw_input
        )
        assign(state.spec, scope, jsonata_mode=True, data=None, ctx=ctx, variables=variables, states=states)
        return output
    data = apply_input_path(raw_input, state.spec.get("InputPath", MISSING), context=ctx, variables=variables)
    assign(state.spec, scope, jsonata_mode=False, data=data, ctx=ctx, variables=variables)
    return apply_output_path(data, state.spec.get("OutputPath", MISSING), context=ctx, variables=variables)


def dynamic_number(
    state: StateDef,
    field: str,
    data: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    raw_input: Any = None,
    default: float | None = None,
) -> float | None:
    """A number given as `Field` (JSONata expression allowed) or `FieldPath` (JSONPath, incl. variables)."""
    spec = state.spec
    value: Any
    if field in spec:
        value = spec[field]
        if state.jsonata and isinstance(value, str):
            value = jsonata(value, states_var(raw_input, ctx), variables, field)
    elif field + "Path" in spec:
        value = evaluate_path(spec[field + "Path"], data, context=ctx, variables=variables)
    else:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatesError(errors.RUNTIME, f"The value of {field} must be a number, got {json.dumps(value)}")
    return value
