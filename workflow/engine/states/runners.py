"""Which code runs each state: the one table from state type (and Map mode) to its runner.

The interpreter (interpreter.py) looks a state's runner up here; TestState (test_state.py) does too. A new
state type, or a new Map mode, is one line here and one module beside this one.
"""

from __future__ import annotations

from typing import Any

from workflow.engine.definition import StateDef
from workflow.engine.states.map_distributed import run_distributed_map
from workflow.engine.states.map_inline import run_inline_map
from workflow.engine.states.parallel import run_parallel
from workflow.engine.states.runtime import Scope
from workflow.engine.states.simple import run_choice, run_fail, run_pass, run_succeed, run_wait
from workflow.engine.states.step import Outcome, Runner, StateRun
from workflow.engine.states.task import run_task_state

# Map's ItemProcessor.ProcessorConfig.Mode -> its runner (INLINE when absent).
MAP_RUNNERS: dict[str, Runner] = {
    "INLINE": run_inline_map,
    "DISTRIBUTED": run_distributed_map,
}


def run_map(state: StateDef, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """Map: the runner of its processor's mode."""
    return MAP_RUNNERS["DISTRIBUTED" if state.distributed else "INLINE"](state, raw_input, scope, run)


RUNNERS: dict[str, Runner] = {
    "Pass": run_pass,
    "Task": run_task_state,
    "Choice": run_choice,
    "Wait": run_wait,
    "Succeed": run_succeed,
    "Fail": run_fail,
    "Parallel": run_parallel,
    "Map": run_map,
}
