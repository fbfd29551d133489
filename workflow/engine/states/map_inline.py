"""Map in Inline mode: iterations run in this execution, their events in its history (MapIteration*)."""

from __future__ import annotations

from typing import Any

from workflow.engine.asl import Map
from workflow.engine.states import data_flow
from workflow.engine.states.fanout import Job, run_jobs
from workflow.engine.states.map_items import map_items, max_concurrency, select_item
from workflow.engine.states.runtime import Scope
from workflow.engine.states.step import Outcome, StateRun, next_of


def run_inline_map(state: Map, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    """The Inline Map: one iteration per item, in this execution and its history."""
    ctx, variables = run.context(scope), scope.variables.snapshot()
    effective = raw_input if state.jsonata else data_flow.after_input_path(state, raw_input, ctx, variables)
    items = map_items(state, raw_input, effective, ctx, variables)
    inputs = [
        select_item(state, raw_input, effective, ctx, variables, i, item) for i, item in enumerate(items)
    ]
    concurrency = max_concurrency(state, effective, ctx, variables, raw_input)
    scope.event("MapStateStarted", {"length": len(inputs)})
    run.fanout_started = True
    assert state.processor is not None

    def started(child: Scope, job: Job) -> None:
        child.event("MapIterationStarted", {"name": state.name, "index": job.index})

    def ended(child: Scope, job: Job, how: str) -> None:
        anchor = child.cancel.anchor() if how == "Aborted" else None
        child.event(
            f"MapIteration{how}", {"name": state.name, "index": job.index}, side=True, previous=anchor
        )

    jobs = [
        Job(f"{scope.path}/{state.name}[{i}]", state.processor, value, i) for i, value in enumerate(inputs)
    ]
    # MapStateFailed is written by run_state once no Retry applies (AWS: one per failed state, not attempt)
    results = run_jobs(scope, jobs, concurrency, started, ended, chain_jobs=True)
    scope.event("MapStateSucceeded", side=True)
    output = data_flow.finish(state, scope, raw_input=raw_input, result=results, ctx=ctx, variables=variables)
    return Outcome(output, next_of(state))
