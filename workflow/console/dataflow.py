"""A state's data flow step by step (the AWS console's "advanced view"): InputPath -> Parameters -> result ->
ResultSelector -> ResultPath -> OutputPath, each with the value it gave.

The history records the state's input, a Task's effective parameters (TaskScheduled) and its result
(TaskSucceeded) and the state's output; the steps in between are recomputed from the definition with the
engine's own path and template functions (pure, so this works for AWS histories too). A step that needs the
context object (`$$`) or variables, which the history does not hold, says so instead of guessing; the last
step is compared with the recorded output.
"""

from __future__ import annotations

from typing import Any

from workflow.engine.paths import MISSING, apply_input_path, apply_output_path, apply_result_path
from workflow.engine.template import evaluate_template


def _step(name: str, expression: Any, value: Any = None, note: str | None = None) -> dict[str, Any]:
    step: dict[str, Any] = {"step": name, "expression": expression, "value": value}
    if note:
        step["note"] = note
    return step


def _template(template: Any, data: Any) -> Any:
    return evaluate_template(template, data, context={}, variables={})


def steps(state: dict[str, Any], detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSONPath data flow of one visit (`detail` as trace.visit_detail gives it); [] for JSONata."""
    if (state.get("QueryLanguage") or detail.get("query_language")) == "JSONata" or detail[
        "status"
    ] == "not_run":
        return []
    kind = state.get("Type")
    raw = detail.get("input")
    out = [_step("Input", None, raw)]
    try:
        effective = apply_input_path(raw, state.get("InputPath", MISSING))
    except Exception as exc:
        return [*out, _step("InputPath", state.get("InputPath"), note=f"cannot recompute: {exc}")]
    if "InputPath" in state:
        out.append(_step("InputPath", state["InputPath"], effective))
    if kind == "Task":
        if detail.get("parameters") is not None:
            out.append(
                _step(
                    "Parameters (effective)",
                    state.get("Parameters") or state.get("Arguments"),
                    detail["parameters"],
                )
            )
        result = detail.get("result")
        if result is None:
            return out
        out.append(_step("Result", state.get("Resource"), result))
    elif kind == "Pass":
        if "Parameters" in state:
            try:
                result = _template(state["Parameters"], effective)
            except Exception as exc:
                return [
                    *out,
                    _step("Parameters", state["Parameters"], note=f"needs what the history lacks: {exc}"),
                ]
            out.append(_step("Parameters", state["Parameters"], result))
        elif "Result" in state:
            result = state["Result"]
            out.append(_step("Result", state["Result"], result))
        else:
            result = effective
    elif kind in ("Choice", "Wait", "Succeed"):
        if "OutputPath" in state:
            out.append(_step("OutputPath", state["OutputPath"], detail.get("output")))
        return out
    else:  # Map, Parallel: their result (every branch's or item's output) is not in this history
        out.append(_step("Output (recorded)", None, detail.get("output")))
        return out
    try:
        if "ResultSelector" in state:
            result = _template(state["ResultSelector"], result)
            out.append(_step("ResultSelector", state["ResultSelector"], result))
        combined = apply_result_path(raw, result, state.get("ResultPath", MISSING))
        if "ResultPath" in state:
            out.append(_step("ResultPath", state["ResultPath"], combined))
        final = apply_output_path(combined, state.get("OutputPath", MISSING))
    except Exception as exc:
        return [*out, _step("ResultSelector/ResultPath/OutputPath", None, note=f"cannot recompute: {exc}")]
    if "OutputPath" in state:
        out.append(_step("OutputPath", state["OutputPath"], final))
    recorded = detail.get("output")
    note = (
        "matches the recorded output"
        if final == recorded
        else "differs from the recorded output (shown below)"
    )
    out[-1]["note"] = note
    return out
