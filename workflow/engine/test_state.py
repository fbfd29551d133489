"""The TestState API: run one state on its own and report its output and, by inspection level, the data
after each step of its I/O pipeline (InputPath, Parameters, result, ResultSelector, ResultPath).

As AWS documents: no retries are attempted (a matching retrier gives status RETRIABLE), a matching catcher
gives CAUGHT_ERROR with the catcher's Next, and a Wait state does not actually wait.

The 19 November 2025 additions: `stateName` (test one state of a whole state machine definition), `mock`
(test_state_mock.py; Map and Parallel states are tested with a mocked result or error), `context` (values
merged into the context object), `stateConfiguration.retrierRetryCount` (retries already made: a retrier
whose MaxAttempts are used up no longer makes the result RETRIABLE), inspection level TRACE (as DEBUG).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from workflow.engine import errors
from workflow.engine.asl import JSONPATH, STATE_TYPES, Map, Pass, State, StateMachine
from workflow.engine.asl.parse import parse_state
from workflow.engine.clock import ManualClock
from workflow.engine.errors import ServiceError, StatesError
from workflow.engine.history import History
from workflow.engine.mock_config import MockSource
from workflow.engine.paths import MISSING, apply_input_path, apply_result_path, evaluate_path
from workflow.engine.states import data_flow, retry
from workflow.engine.states.runners import RUNNERS
from workflow.engine.states.runtime import Aborted, CancelToken, ExecutionRecord, Scope, Variables
from workflow.engine.states.step import Outcome, StateRun
from workflow.engine.template import evaluate_template
from workflow.engine.test_state_mock import SingleMock, check_state_takes_mock, mocked_response

TEST_STATE_NAME = "TestState"


def _find_state(states: Any, name: str, language: str) -> dict[str, Any] | None:
    """The state called `name` anywhere in a States object (branches and item processors included), with
    the query language it inherits."""
    if not isinstance(states, dict):
        return None
    if isinstance(states.get(name), dict):
        return {"QueryLanguage": language, **states[name]}
    for spec in states.values():
        if not isinstance(spec, dict):
            continue
        inner_language = spec.get("QueryLanguage", language)
        for machine in [*(spec.get("Branches") or []), spec.get("ItemProcessor"), spec.get("Iterator")]:
            if isinstance(machine, dict):
                language_of = str(machine.get("QueryLanguage", inner_language))
                found = _find_state(machine.get("States"), name, language_of)
                if found is not None:
                    return found
    return None


def _load_state(definition: Any, state_name: str | None = None) -> dict[str, Any]:
    try:
        spec = json.loads(definition) if isinstance(definition, str) else dict(definition)
    except (TypeError, ValueError) as exc:
        raise ServiceError("InvalidDefinition", f"Invalid State Definition: '{exc}'") from exc
    if state_name is not None:
        if not isinstance(spec, dict) or not isinstance(spec.get("States"), dict):
            raise ServiceError("InvalidDefinition", "With stateName, the definition is a state machine's")
        found = _find_state(spec["States"], state_name, str(spec.get("QueryLanguage", JSONPATH)))
        if found is None:
            raise ServiceError(
                "ValidationException", f"State '{state_name}' does not exist in the definition"
            )
        spec = found
    if not isinstance(spec, dict) or spec.get("Type") not in STATE_TYPES:
        raise ServiceError("InvalidDefinition", "Invalid State Definition: 'Type' must be a state type")
    return spec


def _merge(base: dict[str, Any], extra: Any) -> dict[str, Any]:
    """`base` with the objects of `extra` merged in, recursively (TestState's `context`)."""
    out = dict(base)
    for key, value in (extra or {}).items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


class _TestStateRun(StateRun):
    """A StateRun whose context object carries TestState's `context` values."""

    context_overrides: dict[str, Any] | None = None

    def context(self, scope: Scope) -> dict[str, Any]:
        return _merge(super().context(scope), self.context_overrides)


def _inspection(
    state: State, raw_input: Any, ctx: dict[str, Any], variables: dict[str, Any], result: Any
) -> dict[str, Any]:
    """Data after each JSONPath step, recomputed from the state's input and its raw result."""
    data: dict[str, Any] = {"input": json.dumps(raw_input)}
    if state.jsonata:
        data["variables"] = json.dumps(variables)
        if result is not MISSING:
            data["result"] = json.dumps(result)
        return data
    io = state.jsonpath_io
    after_input = apply_input_path(raw_input, io.input_path, context=ctx, variables=variables)
    data["afterInputPath"] = json.dumps(after_input)
    if isinstance(state, Map):  # the Map fields TestState reports (test_state_configuration.snapshot.json)
        items = evaluate_path(state.items_path or "$", after_input, context=ctx, variables=variables)
        data["afterItemsPath"] = json.dumps(items)
        data["maxConcurrency"] = int(state.max_concurrency.value or 0)
        for tolerance_field in (state.tolerated_failure_count, state.tolerated_failure_percentage):
            if tolerance_field.value is not None:
                name = tolerance_field.name
                data[name[:1].lower() + name[1:]] = tolerance_field.value
    parameters = after_input
    if io.parameters is not None:
        parameters = evaluate_template(io.parameters.value, after_input, context=ctx, variables=variables)
        data["afterParameters"] = json.dumps(parameters)
    if result is MISSING and state.type == "Pass":  # a Pass state's result is its effective input
        result = parameters
    if result is not MISSING:
        data["result"] = json.dumps(result)
        selected = data_flow.select_result(state, result, ctx, variables)
        data["afterResultSelector"] = json.dumps(selected)
        data["afterResultPath"] = json.dumps(apply_result_path(raw_input, selected, io.result_path))
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
    state_name: str | None = None,
    mock: Any = None,
    context_text: str | None = None,
    state_configuration: dict[str, Any] | None = None,
    reveal_secrets: bool = False,
    **_: Any,
) -> dict[str, Any]:
    spec = _load_state(definition, state_name)
    loaded_mock = check_state_takes_mock(spec, mock, reveal_secrets)
    mocked = mocked_response(spec, loaded_mock) if loaded_mock is not None else None
    if inspection_level not in ("INFO", "DEBUG", "TRACE"):
        raise ServiceError("ValidationException", "inspectionLevel must be one of [INFO, DEBUG, TRACE]")
    try:
        raw_input = json.loads(input_text) if input_text else {}
        variables = json.loads(variables_text) if variables_text else {}
        context_values = json.loads(context_text) if context_text else None
    except ValueError as exc:
        raise ServiceError("InvalidExecutionInput", f"Invalid input: '{exc}'") from exc
    retries_made = int((state_configuration or {}).get("retrierRetryCount", 0))
    state = parse_state(TEST_STATE_NAME, spec)  # its own QueryLanguage, else JSONPath
    machine = StateMachine(TEST_STATE_NAME, {TEST_STATE_NAME: state}, state.query_language)
    # A Wait state does not wait in TestState; other states keep the engine's clock (Task timeouts hold).
    clock = ManualClock(engine.clock.now()) if state.type == "Wait" else engine.clock
    sandbox = _Sandbox(engine, clock)
    if mocked is not None:
        sandbox.mock_config = SingleMock(mocked)
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
        test_case="TestState" if mocked is not None else None,
    )
    scope = Scope(sandbox, record, record.variables, CancelToken())
    run = _TestStateRun(state, clock.now(), retry_count=retries_made)
    run.context_overrides = context_values
    ctx = run.context(scope)
    out: dict[str, Any] = {}
    result: Any = MISSING
    retryable = state.type in ("Task", "Map", "Parallel")
    error_details: dict[str, Any] = {}  # inspectionData.errorDetails: the Retry/Catch that matched
    try:
        if mocked is not None and state.type in ("Map", "Parallel"):
            failures = int((state_configuration or {}).get("mapIterationFailureCount", 0))
            outcome = _mocked_fanout(state, raw_input, scope, run, mocked, failures)
            result = mocked.value
        else:
            outcome = RUNNERS[state.type](state, raw_input, scope, run)
        out.update(status="SUCCEEDED", output=json.dumps(outcome.output))
        if outcome.next:
            out["nextState"] = outcome.next
        if result is MISSING:
            result = _raw_result(record, state, raw_input)
    except StatesError as err:
        out.update(error=err.error, cause=err.cause)
        found_retry = retry.find(state.retry, err.error) if retryable else None
        caught = retry.find(state.catch, err.error) if retryable else None
        if found_retry is not None and retry.max_attempts(found_retry[1]) > retries_made:
            out["status"] = "RETRIABLE"
            error_details["retryIndex"] = found_retry[0]
            delay = retry.delay_seconds(found_retry[1], retries_made, jitter=False)
            error_details["retryBackoffIntervalSeconds"] = int(delay)
        elif caught is not None:
            out["status"] = "CAUGHT_ERROR"
            error_details["catchIndex"] = caught[0]
            out["nextState"] = caught[1].next
            out["output"] = json.dumps(apply_result_path(raw_input, err.to_output(), caught[1].result_path))
        else:
            out["status"] = "FAILED"
    except Aborted:
        out.update(status="FAILED", error="States.Runtime", cause="The state was aborted")
    if inspection_level in ("DEBUG", "TRACE"):
        out["inspectionData"] = _inspection(state, raw_input, ctx, variables, result)
        if error_details:
            out["inspectionData"]["errorDetails"] = error_details
    return out


def _mocked_fanout(
    state: State, raw_input: Any, scope: Scope, run: StateRun, mocked: Any, failures: int = 0
) -> Outcome:
    """A Map or Parallel state tested with a mock: the mocked result (or error) stands for its branches.

    `failures` (stateConfiguration.mapIterationFailureCount) failed iterations of a Map are weighed against
    its tolerance as a run would: past it, States.ExceedToleratedFailureThreshold (recorded:
    test_state_configuration.py::test_map_state_failure_count)."""
    from workflow.engine.states.map_distributed import THRESHOLD_CAUSE, MapInputs, tolerance
    from workflow.engine.states.step import next_of

    value = mocked.raise_if_error()
    ctx, variables = run.context(scope), scope.variables.snapshot()
    if isinstance(state, Map) and failures > 0:
        effective = (
            raw_input
            if state.jsonata
            else apply_input_path(raw_input, state.jsonpath_io.input_path, context=ctx, variables=variables)
        )
        pct, count, given = tolerance(MapInputs(state, raw_input, effective, ctx, variables))
        total = len(value) if isinstance(value, list) else failures
        if _exceeded(failures, total, pct, count, given):
            raise StatesError(errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE)
    output = data_flow.finish(state, scope, raw_input=raw_input, result=value, ctx=ctx, variables=variables)
    return Outcome(output, next_of(state))


def _exceeded(failed: int, total: int, pct: float, count: int, given: tuple[bool, bool]) -> bool:
    """MapRun.threshold_exceeded's rule for a given number of failed items."""
    pct_given, count_given = given
    if not pct_given and not count_given:
        return True
    if count_given and failed > count:
        return True
    return pct_given and failed * 100.0 / max(total, 1) > pct


def _raw_result(record: ExecutionRecord, state: State, raw_input: Any) -> Any:
    for event in reversed(record.history.events()):
        details = event.get("taskSucceededEventDetails") or event.get("lambdaFunctionSucceededEventDetails")
        if details:
            return json.loads(details["output"])
    if isinstance(state, Pass):
        return state.result.value if state.result is not None else MISSING
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
        self.mock_config: MockSource | None = None

    def deadline_of(self, record: ExecutionRecord) -> None:
        return None

    def check_deadline(self, record: ExecutionRecord) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)
