"""The TestState API: run one state on its own and report its output and, by inspection level, the data
after each step of its I/O pipeline (InputPath, Parameters, result, ResultSelector, ResultPath).

As AWS documents: no retries are attempted (a matching retrier gives status RETRIABLE), a matching catcher
gives CAUGHT_ERROR with the catcher's Next, and a Wait state does not actually wait.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from workflow.engine.clock import ManualClock
from workflow.engine.definition import JSONATA, JSONPATH, STATE_TYPES, Machine, StateDef
from workflow.engine.errors import ServiceError, StatesError
from workflow.engine.history import History
from workflow.engine.paths import MISSING, apply_input_path, apply_result_path
from workflow.engine.states import io, retry
from workflow.engine.states.base import HANDLERS, StateRun
from workflow.engine.states.runtime import Aborted, CancelToken, ExecutionRecord, Scope, Variables
from workflow.engine.template import evaluate_template

TEST_STATE_NAME = "TestState"


def _load_state(definition: Any) -> dict[str, Any]:
    try:
        spec = json.loads(definition) if isinstance(definition, str) else dict(definition)
    except (TypeError, ValueError) as exc:
        raise ServiceError("InvalidDefinition", f"Invalid State Definition: '{exc}'") from exc
    if not isinstance(spec, dict) or spec.get("Type") not in STATE_TYPES:
        raise ServiceError("InvalidDefinition", "Invalid State Definition: 'Type' must be a state type")
    if spec["Type"] in ("Map", "Parallel"):
        raise ServiceError("ValidationException", f"TestState does not support {spec['Type']} states locally")
    return spec


def _inspection(
    state: StateDef, raw_input: Any, ctx: dict[str, Any], variables: dict[str, Any], result: Any
) -> dict[str, Any]:
    """Data after each JSONPath step, recomputed from the state's input and its raw result."""
    data: dict[str, Any] = {"input": json.dumps(raw_input)}
    if state.jsonata:
        data["variables"] = json.dumps(variables)
        if result is not MISSING:
            data["result"] = json.dumps(result)
        return data
    after_input = apply_input_path(
        raw_input, state.spec.get("InputPath", MISSING), context=ctx, variables=variables
    )
    data["afterInputPath"] = json.dumps(after_input)
    parameters = after_input
    if "Parameters" in state.spec:
        parameters = evaluate_template(
            state.spec["Parameters"], after_input, context=ctx, variables=variables
        )
        data["afterParameters"] = json.dumps(parameters)
    if result is MISSING and state.type == "Pass":  # a Pass state's result is its effective input
        result = parameters
    if result is not MISSING:
        data["result"] = json.dumps(result)
        selected = io.select_result(state, result, ctx, variables)
        data["afterResultSelector"] = json.dumps(selected)
        data["afterResultPath"] = json.dumps(
            apply_result_path(raw_input, selected, state.spec.get("ResultPath", MISSING))
        )
    if variables:
        data["variables"] = json.dumps(variables)
    return data


def run_test_state(
    engine: Any,
    *,
    definition: Any,
    role_arn: str | None,
    input_text: str | None,
    inspection_level: str = "INFO",
    variables_text: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    spec = _load_state(definition)
    try:
        raw_input = json.loads(input_text) if input_text else {}
        variables = json.loads(variables_text) if variables_text else {}
    except ValueError as exc:
        raise ServiceError("InvalidExecutionInput", f"Invalid input: '{exc}'") from exc
    language = spec.get("QueryLanguage", JSONPATH)
    state = StateDef(
        TEST_STATE_NAME, spec["Type"], spec, language if language in (JSONPATH, JSONATA) else JSONPATH
    )
    machine = Machine(TEST_STATE_NAME, {TEST_STATE_NAME: state}, state.query_language)
    # A Wait state does not wait in TestState; other states keep the engine's clock (Task timeouts hold).
    clock = ManualClock(engine.clock.now()) if state.type == "Wait" else engine.clock
    sandbox = _Sandbox(engine, clock)
    arn = engine.arn("execution", f"TestState:{uuid.uuid4()}")
    record = ExecutionRecord(
        arn=arn,
        name=arn.rsplit(":", 1)[1],
        state_machine_arn=engine.arn("stateMachine", "TestState"),
        state_machine_name="TestState",
        machine=machine,
        definition_text=json.dumps(spec),
        input=raw_input,
        input_text=json.dumps(raw_input),
        role_arn=role_arn or "",
        type="STANDARD",
        start_date=clock.now(),
        history=History(arn, clock.now),
        variables=Variables(values=variables),
    )
    scope = Scope(sandbox, record, record.variables, CancelToken())  # type: ignore[arg-type]
    run = StateRun(state, clock.now())
    ctx = run.context(scope)
    out: dict[str, Any] = {}
    result: Any = MISSING
    try:
        outcome = HANDLERS[state.type](state, raw_input, scope, run)
        out.update(status="SUCCEEDED", output=json.dumps(outcome.output))
        if outcome.next:
            out["nextState"] = outcome.next
        result = _raw_result(record, state, raw_input)
    except StatesError as err:
        out.update(error=err.error, cause=err.cause)
        found_retry = retry.find(spec.get("Retry"), err.error) if state.type == "Task" else None
        caught = retry.find(spec.get("Catch"), err.error) if state.type == "Task" else None
        if found_retry is not None and retry.max_attempts(found_retry[1]) > 0:
            out["status"] = "RETRIABLE"
        elif caught is not None:
            out["status"] = "CAUGHT_ERROR"
            out["nextState"] = caught[1]["Next"]
            out["output"] = json.dumps(
                apply_result_path(raw_input, err.to_output(), caught[1].get("ResultPath", MISSING))
            )
        else:
            out["status"] = "FAILED"
    except Aborted:
        out.update(status="FAILED", error="States.Runtime", cause="The state was aborted")
    if inspection_level in ("DEBUG", "TRACE"):
        out["inspectionData"] = _inspection(state, raw_input, ctx, variables, result)
    return out


def _raw_result(record: ExecutionRecord, state: StateDef, raw_input: Any) -> Any:
    for event in reversed(record.history.events()):
        details = event.get("taskSucceededEventDetails") or event.get("lambdaFunctionSucceededEventDetails")
        if details:
            return json.loads(details["output"])
    if state.type == "Pass":
        return state.spec.get("Result", MISSING)
    return MISSING


class _Sandbox:
    """The engine as seen by one TestState run: same backend, no mocks, no execution deadline."""

    def __init__(self, engine: Any, clock: Any) -> None:
        self._engine = engine
        self.clock = clock
        self.backend = engine.backend
        self.region = engine.region
        self.account = engine.account
        self.tokens = engine.tokens
        self.rng = engine.rng
        self.mock_config = None

    def deadline_of(self, record: ExecutionRecord) -> None:
        return None

    def check_deadline(self, record: ExecutionRecord) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
