"""The interpreter loop: enter a state, run it (Retry, Catch), exit it, follow Next; iterative, no recursion.

Each state type's runner is in the table `runners.RUNNERS`; this module owns what every state shares:
history's <Type>StateEntered/Exited events, retries (with their backoff waits visible in the history as
repeated attempts), catchers, the payload limit and the execution timeout.
"""

from __future__ import annotations

from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Catcher, State, StateMachine
from workflow.engine.asl.vocabulary import StateType
from workflow.engine.errors import StatesError
from workflow.engine.history import payload, payload_fields
from workflow.engine.paths import apply_result_path
from workflow.engine.states import data_flow, retry
from workflow.engine.states.runners import RUNNERS
from workflow.engine.states.runtime import Aborted, Scope
from workflow.engine.states.step import RETRYABLE, Outcome, StateRun, wait


def run_machine(
    machine: StateMachine,
    state_input: Any,
    scope: Scope,
    *,
    start_at: str | None = None,
    record_failure: bool = False,
) -> Any:
    """Run states from StartAt (or `start_at`) to an end; returns the output or raises StatesError/Aborted."""
    name = start_at or machine.start_at
    data = state_input
    while True:
        scope.engine.check_deadline(scope.execution)
        scope.cancel.check()
        state = machine.states[name]
        try:
            outcome = run_state(state, data, scope)
        except (StatesError, Aborted):
            if record_failure:
                scope.execution.failed_state = name
                scope.execution.failed_input = data
            raise
        if record_failure:
            scope.execution.redriving = False
        if outcome.next is None:
            return outcome.output
        data, name = outcome.output, outcome.next


def _error_of(exc: Exception) -> StatesError:
    if isinstance(exc, StatesError):
        return exc
    return StatesError(errors.RUNTIME, f"{type(exc).__name__}: {exc}")


# Errors of the state's own processing (paths, templates, intrinsics, JSONata) carry AWS's location prefix.
_LOCATED = {
    errors.RUNTIME,
    errors.RESULT_PATH_MATCH_FAILURE,
    errors.PARAMETER_PATH_FAILURE,
    errors.INTRINSIC_FAILURE,
    errors.QUERY_EVALUATION_ERROR,
}
_PREFIX = "An error occurred while executing the state"

# The states whose abort AWS records (<Type>StateAborted), and those that fan out (Map/ParallelStateFailed).
_ABORT_EVENTS = frozenset({StateType.TASK, StateType.MAP, StateType.PARALLEL, StateType.WAIT})
_FANOUT = frozenset({StateType.MAP, StateType.PARALLEL})


def _located(err: StatesError, state: State, entered_id: int) -> StatesError:
    """AWS's wording: `An error occurred while executing the state 'X' (entered at the event id #N). ...`"""
    if err.error not in _LOCATED or err.cause.startswith(_PREFIX) or err.raised_by_fail_state:
        return err
    where = f"{_PREFIX} '{state.name}' (entered at the event id #{entered_id})."
    return StatesError(err.error, f"{where} {err.cause}", location=err.location)


def run_state(state: State, raw_input: Any, scope: Scope) -> Outcome:
    engine = scope.engine
    run = StateRun(state, engine.clock.now())
    scope.assigned = None
    before_entered = scope.last_event
    entered_id = scope.event(
        f"{state.type}StateEntered", {"name": state.name, **payload_fields("input", raw_input)}
    )
    run_fn = RUNNERS[state.type]
    attempts: dict[int, int] = {}
    encoded: str | None = None  # the output's JSON, from the size check
    while True:
        try:
            outcome = run_fn(state, raw_input, scope, run)
            encoded = data_flow.check_size(outcome.output, state.name)
            break
        except Aborted:
            if state.type in _ABORT_EVENTS:
                anchor = scope.cancel.anchor()  # a failed sibling's last event, or None (StopExecution)
                scope.event(f"{state.type}StateAborted", side=anchor is not None, previous=anchor)
            raise
        except Exception as exc:  # StatesError, or an engine/integration bug surfaced as States.Runtime
            err = _located(_error_of(exc), state, entered_id)
            if err.error == errors.QUERY_EVALUATION_ERROR and err.location is not None:
                # AWS records the failed JSONata evaluation, pointing where the state's entry pointed
                # (test_assign_reference_variables.py::test_undefined_reference)
                details = {
                    "error": err.error,
                    "cause": err.cause,
                    "location": err.location,
                    "state": state.name,
                }
                scope.event("EvaluationFailed", details, previous=before_entered)
            if state.type not in RETRYABLE:
                raise err from exc
            found = retry.find(state.retry, err.error)
            if found is not None:
                index, retrier = found
                done = attempts.get(index, 0)
                if done < retry.max_attempts(retrier):
                    attempts[index] = done + 1
                    wait(scope, retry.delay_seconds(retrier, done, engine.rng))
                    run.retry_count += 1
                    run.fanout_started = False
                    continue
            if run.fanout_started and state.type in _FANOUT:
                # AWS records Map/ParallelStateFailed after the last attempt only, each attempt having its
                # own *StateStarted (test_base_scenarios.py::test_map_state_retry)
                scope.event(f"{state.type}StateFailed")
            caught = retry.find(state.catch, err.error)
            if caught is None:
                raise err from exc
            outcome = _catch(state, caught[1], err, raw_input, scope, run)
            break
    # a str output is passed as it is, as payload_fields always took it
    shown = encoded if encoded is not None and not isinstance(outcome.output, str) else outcome.output
    details = {"name": state.name, **payload_fields("output", shown)}
    if scope.assigned is not None:
        # each value as JSON text, as recorded (test_assign_reference_variables.py::test_reference_assign)
        assigned = {name: payload(value) for name, value in scope.assigned.items()}
        details.update(payload_fields("assignedVariables", payload(assigned)))
        details["assignedVariables"] = assigned
    scope.event(f"{state.type}StateExited", details)
    return outcome


def _catch(
    state: State, catcher: Catcher, err: StatesError, raw_input: Any, scope: Scope, run: StateRun
) -> Outcome:
    """A catcher's transition: JSONPath puts the error output at ResultPath; JSONata uses Output/Assign."""
    error_output = err.to_output()
    ctx = run.context(scope)
    variables = scope.variables.snapshot()
    if state.jsonata:
        states = data_flow.states_var(raw_input, ctx, errorOutput=error_output)
        output = data_flow.output_or(catcher.output, error_output, states, variables)
        data_flow.assign(
            catcher.assign, scope, jsonata_mode=True, data=None, ctx=ctx, variables=variables, states=states
        )
    else:
        output = apply_result_path(raw_input, error_output, catcher.result_path)
        data_flow.assign(
            catcher.assign, scope, jsonata_mode=False, data=error_output, ctx=ctx, variables=variables
        )
    return Outcome(output, catcher.next)
