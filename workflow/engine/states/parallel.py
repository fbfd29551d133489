"""Parallel: every branch gets the same input; the output is the array of branch outputs."""

from __future__ import annotations

from typing import Any

from workflow.engine.asl import Parallel
from workflow.engine.states import data_flow
from workflow.engine.states.fanout import Job, run_jobs
from workflow.engine.states.runtime import Scope
from workflow.engine.states.step import Outcome, StateRun, next_of


def run_parallel(state: Parallel, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    ctx, variables = run.context(scope), scope.variables.snapshot()
    if state.jsonata:
        states = data_flow.states_var(raw_input, ctx)
        arguments = state.jsonata_io.arguments
        branch_input = (
            data_flow.jsonata(arguments.value, states, variables, "Arguments")
            if arguments is not None
            else raw_input
        )
    else:
        branch_input = data_flow.effective_input(state, raw_input, ctx, variables)
    scope.event("ParallelStateStarted")
    run.fanout_started = True
    jobs = [
        Job(f"{scope.path}/{state.name}#{i}", branch, branch_input, i)
        for i, branch in enumerate(state.branches)
    ]
    # "If any branch fails ... the entire Parallel state fails": the branch's error is the state's error;
    # ParallelStateFailed is written by run_state once no Retry applies (one per failed state on AWS).
    results = run_jobs(scope, jobs, 0)
    scope.event("ParallelStateSucceeded", side=True)
    output = data_flow.finish(state, scope, raw_input=raw_input, result=results, ctx=ctx, variables=variables)
    return Outcome(output, next_of(state))
