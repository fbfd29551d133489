"""Task: call the integration (or a mocked response), wait for a task token if asked, record AWS's events."""

from __future__ import annotations

from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Task
from workflow.engine.errors import StatesError
from workflow.engine.history import payload, payload_fields
from workflow.engine.integrations import (
    WAIT_FOR_TASK_TOKEN,
    ResourceRef,
    TaskCancelled,
    TaskRequest,
    parse_resource,
    run_task,
)
from workflow.engine.quotas import TASK_TIMEOUT_SECONDS
from workflow.engine.states import data_flow
from workflow.engine.states.runtime import Aborted, Scope
from workflow.engine.states.step import Outcome, StateRun, next_of, wait
from workflow.engine.states.tokens import TaskFailure, TaskSuccess, TokenWaiter


class _Events:
    """TaskScheduled/Started/... for service integrations, LambdaFunction* for plain function ARNs."""

    def __init__(self, scope: Scope, ref: ResourceRef) -> None:
        self.scope, self.ref = scope, ref

    def _ids(self) -> dict[str, str]:
        return {"resourceType": self.ref.resource_type, "resource": self.ref.resource}

    def scheduled(self, params: Any, timeout: float | None, heartbeat: float | None) -> None:
        if self.ref.is_lambda_arn:
            details: dict[str, Any] = {"resource": self.ref.resource, **payload_fields("input", params)}
            if timeout is not None:
                details["timeoutInSeconds"] = int(timeout)
            self.scope.event("LambdaFunctionScheduled", details)
            return
        details = {**self._ids(), "region": self.scope.engine.region, "parameters": payload(params)}
        if timeout is not None:
            details["timeoutInSeconds"] = int(timeout)
        if heartbeat is not None:
            details["heartbeatInSeconds"] = int(heartbeat)
        self.scope.event("TaskScheduled", details)

    def started(self) -> None:
        if self.ref.is_lambda_arn:
            self.scope.event("LambdaFunctionStarted")
        else:
            self.scope.event("TaskStarted", self._ids())

    def submitted(self, output: Any) -> None:
        self.scope.event("TaskSubmitted", {**self._ids(), **payload_fields("output", output)})

    def succeeded(self, output: Any) -> None:
        """`output`: the result, or its JSON text already encoded."""
        kind = "LambdaFunctionSucceeded" if self.ref.is_lambda_arn else "TaskSucceeded"
        extra = {} if self.ref.is_lambda_arn else self._ids()
        self.scope.event(kind, {**extra, **payload_fields("output", output)})

    def failed(self, err: StatesError) -> None:
        timed_out = err.error in (errors.TIMEOUT, errors.HEARTBEAT_TIMEOUT)
        # an empty cause is absent, as recorded (timeouts/test_timeouts: TaskTimedOut has only `error`)
        details = {"error": err.error, **({"cause": err.cause} if err.cause else {})}
        if self.ref.is_lambda_arn:
            kind = "LambdaFunctionTimedOut" if timed_out else "LambdaFunctionFailed"
            self.scope.event(kind, details)
        else:
            kind = "TaskTimedOut" if timed_out else "TaskFailed"
            self.scope.event(kind, {**self._ids(), **details})


def run_task_state(state: Task, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    engine, ex = scope.engine, scope.execution
    ref = parse_resource(state.resource)
    waiter = engine.tokens.issue(ex.arn, state.name) if ref.pattern == WAIT_FOR_TASK_TOKEN else None
    run.token = waiter.token if waiter is not None else None
    ctx, variables = run.context(scope), scope.variables.snapshot()
    if state.jsonata:
        states = data_flow.states_var(raw_input, ctx)
        arguments = state.jsonata_io.arguments
        params = (
            data_flow.jsonata(arguments.value, states, variables, "Arguments")
            if arguments is not None
            else raw_input
        )
    else:
        params = data_flow.effective_input(state, raw_input, ctx, variables)
    timing = state.timing
    timeout = data_flow.dynamic_number(state, timing.timeout, raw_input, ctx, variables, raw_input=raw_input)
    heartbeat = data_flow.dynamic_number(
        state, timing.heartbeat, raw_input, ctx, variables, raw_input=raw_input
    )
    events = _Events(scope, ref)
    events.scheduled(params, timeout, heartbeat)
    events.started()
    try:
        result = _perform(state, params, scope, timeout, run.token)
        if waiter is not None and not isinstance(result, _Mocked):
            events.submitted(result if result is not None else {})
            result = _await_token(waiter, scope, timeout, heartbeat)
        if isinstance(result, _Mocked):
            result = result.value
        encoded = data_flow.check_size(result, state.name)
    except (TaskCancelled, Aborted) as exc:
        raise Aborted() from exc
    except StatesError as err:
        events.failed(err)
        raise
    except Exception as exc:  # an integration bug must fail the task visibly, not kill the execution thread
        failure = StatesError(errors.TASK_FAILED, f"{type(exc).__name__}: {exc}")
        events.failed(failure)
        raise failure from exc
    finally:
        if waiter is not None:
            engine.tokens.close(waiter)
    events.succeeded(encoded)  # the result's JSON from the size check: encoded once
    output = data_flow.finish(state, scope, raw_input=raw_input, result=result, ctx=ctx, variables=variables)
    return Outcome(output, next_of(state))


class _Mocked:
    """A response from the mock configuration (Step Functions Local's mocked service integrations)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _perform(state: Task, params: Any, scope: Scope, timeout: float | None, token: str | None) -> Any:
    engine, ex = scope.engine, scope.execution
    if engine.mock_config is not None and ex.test_case:
        invocation = ex.next_mock_invocation(state.name)
        machine_name = ex.state_machine_name.split("/")[0]  # children of a Distributed Map: the parent's
        mocked = engine.mock_config.response_for(machine_name, ex.test_case, state.name, invocation)
        if mocked is not None:
            if mocked.error is not None:
                raise StatesError(mocked.error, mocked.cause or "")
            return _Mocked(mocked.value)
    request = TaskRequest(
        resource=state.resource,
        parameters=params,
        execution_arn=ex.arn,
        state_name=state.name,
        task_token=None,
        timeout_s=timeout,
    )
    request.task_token = token
    return run_task(
        request,
        engine.backend,
        sleep=engine.clock.sleep,
        cancelled=lambda: scope.cancel.cancelled,
        wait=engine.clock.wait,
    )


def _await_token(waiter: TokenWaiter, scope: Scope, timeout: float | None, heartbeat: float | None) -> Any:
    """Wait for SendTaskSuccess/Failure; States.Timeout / States.HeartbeatTimeout as AWS raises them."""
    clock = scope.engine.clock
    scope.cancel.on_cancel(waiter.event.set)
    start = clock.now()
    last_beat, beats = start, 0
    limit = timeout if timeout is not None else TASK_TIMEOUT_SECONDS
    while True:
        with waiter.lock:
            outcome = waiter.outcome
            if waiter.beats != beats:
                beats, last_beat = waiter.beats, clock.now()
            waiter.event.clear()
        if isinstance(outcome, TaskSuccess):
            return outcome.output
        if isinstance(outcome, TaskFailure):
            raise StatesError(outcome.error, outcome.cause)
        scope.cancel.check()
        now = clock.now()
        remaining = limit - (now - start).total_seconds()
        kind_if_expired = errors.TIMEOUT
        if heartbeat is not None:
            beat_left = heartbeat - (now - last_beat).total_seconds()
            if beat_left < remaining:
                remaining, kind_if_expired = beat_left, errors.HEARTBEAT_TIMEOUT
        if remaining <= 0:
            raise StatesError(kind_if_expired, "")
        if waiter.outcome is None:
            wait(scope, remaining, waiter.event)
