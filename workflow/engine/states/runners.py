"""Which code runs each state: the one table from state type (and Map mode) to its runner.

The interpreter (interpreter.py) looks a state's runner up here; TestState (test_state.py) does too. Each
runner takes its own class of the model (`asl.Pass`, `asl.Task`, ...); the table pairs them, and a state
of another class reaching a runner is an engine bug that fails loudly. A new state type, or a new Map mode,
is one row here and one module beside this one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from workflow.engine.asl import Choice, Fail, Map, Parallel, Pass, State, Succeed, Task, Wait
from workflow.engine.asl.vocabulary import ProcessorMode, StateType
from workflow.engine.states.map_distributed import run_distributed_map
from workflow.engine.states.map_inline import run_inline_map
from workflow.engine.states.parallel import run_parallel
from workflow.engine.states.runtime import Scope
from workflow.engine.states.simple import run_choice, run_fail, run_pass, run_succeed, run_wait
from workflow.engine.states.step import Outcome, Runner, StateRun
from workflow.engine.states.task import run_task_state

_S = TypeVar("_S", bound=State)


def _runner(kind: type[_S], run_kind: Callable[[_S, Any, Scope, StateRun], Outcome]) -> Runner:
    """A runner of any State that hands `kind` states to `run_kind`."""

    def runner(state: State, raw_input: Any, scope: Scope, state_run: StateRun) -> Outcome:
        if not isinstance(state, kind):
            raise TypeError(f"state {state.name!r} is a {type(state).__name__}, not a {kind.__name__}")
        return run_kind(state, raw_input, scope, state_run)

    runner.__name__ = runner.__qualname__ = run_kind.__name__
    return runner


MAP_RUNNERS: dict[ProcessorMode, Callable[[Map, Any, Scope, StateRun], Outcome]] = {
    ProcessorMode.INLINE: run_inline_map,
    ProcessorMode.DISTRIBUTED: run_distributed_map,
}
"""A Map's ItemProcessor.ProcessorConfig.Mode -> its runner."""


def run_map(state: Map, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """Map: the runner of its processor's mode."""
    return MAP_RUNNERS[state.processor_config.mode](state, raw_input, scope, run)


RUNNERS: dict[StateType, Runner] = {
    StateType.PASS: _runner(Pass, run_pass),
    StateType.TASK: _runner(Task, run_task_state),
    StateType.CHOICE: _runner(Choice, run_choice),
    StateType.WAIT: _runner(Wait, run_wait),
    StateType.SUCCEED: _runner(Succeed, run_succeed),
    StateType.FAIL: _runner(Fail, run_fail),
    StateType.PARALLEL: _runner(Parallel, run_parallel),
    StateType.MAP: _runner(Map, run_map),
}
"""Every state type -> its runner."""
