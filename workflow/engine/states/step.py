"""What a state's runner gets and returns: one entry into the state (StateRun) and its Outcome.

A runner is `(state, raw_input, scope, run) -> Outcome`: it does the state's own work and its I/O
processing; the interpreter (interpreter.py) does what every state shares (history's entered/exited events,
Retry, Catch, the payload limit). `runners.RUNNERS` maps each state type to its runner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.engine.asl import State
from workflow.engine.asl.vocabulary import StateType
from workflow.engine.states.data_flow import context_object
from workflow.engine.states.runtime import Scope

# The state types that have Retry and Catch (and so `$$.State.RetryCount`).
RETRYABLE = frozenset({StateType.TASK, StateType.PARALLEL, StateType.MAP})


@dataclass
class Outcome:
    output: Any
    next: str | None  # None: the (sub-)machine ends here


@dataclass
class StateRun:
    """One entry into a state: when it was entered, its retries so far and its task token."""

    state: State
    entered: datetime
    retry_count: int = 0
    token: str | None = None
    fanout_started: bool = False  # this attempt wrote Map/ParallelStateStarted

    def context(self, scope: Scope) -> dict[str, Any]:
        retry_count = self.retry_count if self.state.type in RETRYABLE else None
        return context_object(scope, self.state.name, self.entered, retry_count, self.token)


Runner = Callable[[State, Any, Scope, StateRun], Outcome]


def next_of(state: State) -> str | None:
    """The state to go to after this one: None when it ends its machine."""
    return None if state.end else state.next


def wait(scope: Scope, seconds: float | None, event: threading.Event | None = None) -> bool:
    """Wait `seconds` of virtual time, or until `event` (default: cancellation) is set; honours the execution
    deadline (TimeoutSeconds). Returns True if the event was set. Raises Aborted when cancelled."""
    engine, ex = scope.engine, scope.execution
    target = event if event is not None else scope.cancel.event
    limit = seconds
    deadline = engine.deadline_of(ex)
    if deadline is not None:
        remaining = (deadline - engine.clock.now()).total_seconds()
        limit = remaining if limit is None else min(limit, remaining)
    woke = engine.clock.wait(target, max(limit, 0.0) if limit is not None else None)
    engine.check_deadline(ex)
    scope.cancel.check()
    return woke
