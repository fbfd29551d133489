"""Run branches or iterations concurrently in a bounded thread pool, failing fast like AWS.

Used by Parallel (one job per branch) and the Inline Map (one per item). The first failure cancels the
siblings and becomes the state's error. Jobs that succeeded are remembered on the execution so that a redrive
reruns "only the iterations and branches that failed or aborted" (RedriveExecution API reference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflow.engine.asl import StateMachine
from workflow.engine.errors import StatesError
from workflow.engine.states.runtime import Aborted, Scope, run_concurrently


@dataclass
class Job:
    key: str  # unique path of the branch/iteration within the execution
    machine: StateMachine
    input: Any
    index: int


def run_jobs(
    scope: Scope,
    jobs: list[Job],
    max_concurrency: int,
    on_start: Callable[[Scope, Job], None] | None = None,
    on_end: Callable[[Scope, Job, str], None] | None = None,
    *,
    chain_jobs: bool = False,
) -> list[Any]:
    """Outputs in job order; raises the first StatesError, or Aborted if the caller was cancelled.

    History chain as AWS records it: each job's first event points at the state's last event; with
    `chain_jobs` (Map iterations) a job started after another ended points at that job's last state event.
    On success the caller's chain continues from the last event written; on failure from the failed job's
    last state event (before its MapIterationFailed).
    """
    ex = scope.execution
    if not ex.redriving:
        with ex.lock:
            for job in jobs:
                ex.completed_branches.pop(job.key, None)
    group = scope.cancel.child()
    results: list[Any] = [None] * len(jobs)
    failure: list[BaseException] = []
    failed_at: list[int | None] = []

    def one(job: Job) -> None:
        with ex.lock:
            cached = job.key in ex.completed_branches
            value = ex.completed_branches.get(job.key)
        if cached:
            results[job.index] = value
            return
        if group.cancelled:
            return
        with ex.lock:
            child = scope.child(job.key)
        child.cancel = group.child()
        if on_start:
            on_start(child, job)
        try:
            results[job.index] = scope.engine.run_machine(job.machine, job.input, child)
        except StatesError as err:
            with ex.lock:
                failure.append(err)
                failed_at.append(child.last_event)
                first = len(failure) == 1
            if on_end:
                on_end(child, job, "Failed")
            if first:
                # the siblings' abort events point at the failed job's last event, as recorded
                # (timeouts/test_timeouts.py::test_service_lambda_map_timeout)
                group.abort_anchor = child.last_event
            group.cancel()
            return
        except Aborted:
            if on_end:
                on_end(child, job, "Aborted")
            return
        with ex.lock:
            ex.completed_branches[job.key] = results[job.index]
            if chain_jobs:
                scope.last_event = child.last_event
        if on_end:
            on_end(child, job, "Succeeded")

    chain_start = scope.last_event
    run_concurrently(one, jobs, max_concurrency, "sfn-fanout")
    scope.last_event = ex.history.last_id
    scope.cancel.check()
    if failure:
        scope.last_event = failed_at[0] if failed_at[0] is not None else chain_start
        raise failure[0]
    with ex.lock:  # the state completed: a later visit (a loop) must run its branches again
        for job in jobs:
            ex.completed_branches.pop(job.key, None)
    return results
