"""Run-time records shared by the state implementations: executions, scopes, variables, cancellation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from workflow.engine.asl import StateMachine
from workflow.engine.history import History
from workflow.engine.statuses import ExecutionStatus

if TYPE_CHECKING:
    from workflow.engine.states.engine_view import EngineView

_Job = TypeVar("_Job")


MAX_THREADS = 32  # local bound; a MaxConcurrency above it still works, with fewer threads at a time


def run_concurrently(
    work: Callable[[_Job], None], jobs: Iterable[_Job], max_concurrency: int | None, name: str
) -> None:
    """Run `work` over `jobs` on at most `max_concurrency` threads (0/None: as many as MAX_THREADS allows);
    inline when one thread would do, so a sequential Map or Parallel costs no pool."""
    todo = list(jobs)
    workers = max(1, min(max_concurrency or MAX_THREADS, MAX_THREADS, len(todo) or 1))
    if workers == 1:
        for job in todo:
            work(job)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        list(pool.map(work, todo))


class Aborted(Exception):
    """The execution (or this branch) was stopped: StopExecution, execution timeout, or a failed sibling."""


class CancelToken:
    """A cancellation flag that cascades to child tokens and wakes whatever waits on it."""

    def __init__(self, parent: CancelToken | None = None) -> None:
        self.event = threading.Event()
        self.parent = parent
        # the event a failed sibling ended on: AWS points the aborted siblings' events at it
        self.abort_anchor: int | None = None
        self._children: dict[int, CancelToken] = {}  # by id(): a finished child detaches itself
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        if parent is not None:
            parent._add_child(self)

    def _add_child(self, child: CancelToken) -> None:
        with self._lock:
            self._children[id(child)] = child
            cancelled = self.event.is_set()
        if cancelled:
            child.cancel()

    def child(self) -> CancelToken:
        return CancelToken(self)

    def detach(self) -> None:
        """Leave the parent's children (a finished Map child: the parent need not cancel it any more)."""
        if self.parent is not None:
            with self.parent._lock:
                self.parent._children.pop(id(self), None)

    def on_cancel(self, hook: Callable[[], None]) -> None:
        with self._lock:
            self._hooks.append(hook)
            cancelled = self.event.is_set()
        if cancelled:
            hook()

    def cancel(self) -> None:
        with self._lock:
            if self.event.is_set():
                return
            self.event.set()
            children, hooks = list(self._children.values()), list(self._hooks)
        for hook in hooks:
            hook()
        for child in children:
            child.cancel()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()

    def anchor(self) -> int | None:
        """The abort anchor of the nearest enclosing Map/Parallel that failed, if any."""
        token: CancelToken | None = self
        while token is not None:
            if token.abort_anchor is not None:
                return token.abort_anchor
            token = token.parent
        return None

    def check(self) -> None:
        if self.event.is_set():
            raise Aborted()


class Variables:
    """Workflow variables of one scope; outer scopes are visible read-only (AWS's variable scoping)."""

    def __init__(self, parent: Variables | None = None, values: Mapping[str, Any] | None = None) -> None:
        self.parent = parent
        self.local: dict[str, Any] = dict(values or {})
        self._lock = threading.Lock()

    def child(self) -> Variables:
        return Variables(self)

    def snapshot(self) -> dict[str, Any]:
        merged = self.parent.snapshot() if self.parent is not None else {}
        with self._lock:
            merged.update(self.local)
        return merged

    def assign(self, values: Mapping[str, Any]) -> None:
        with self._lock:
            self.local.update(values)


@dataclass
class ExecutionRecord:
    """Everything the API reports about an execution, and what redrive needs to continue it."""

    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    machine: StateMachine
    definition_text: str
    input: Any
    input_text: str
    role_arn: str
    type: str  # STANDARD | EXPRESS
    start_date: datetime
    history: History
    status: ExecutionStatus = "RUNNING"
    stop_date: datetime | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    redrive_count: int = 0
    redrive_date: datetime | None = None
    map_run_arn: str | None = None  # set for child executions of a Distributed Map
    # A finished Map child whose history, input and output moved to the engine's HistoryStore
    # (Engine.archive): read them through History.events() and Engine.io_text()/output_of().
    archived: bool = False
    input_key: str | None = None  # the store's key of the input text, once it is there
    label: str | None = None
    trace_header: str | None = None
    test_case: str | None = None
    state_machine_version_arn: str | None = None
    # run-time
    cancel: CancelToken = field(default_factory=CancelToken)
    done: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    timed_out: bool = False
    stop_error: str | None = None
    stop_cause: str | None = None
    variables: Variables = field(default_factory=Variables)
    # redrive bookkeeping: where the last attempt failed and with which input
    failed_state: str | None = None
    failed_input: Any = None
    not_redrivable_reason: str | None = None
    completed_branches: dict[str, Any] = field(default_factory=dict)
    # True while a redrive re-runs the state that failed: only then are the results kept from the failed
    # attempt (branches, iterations, Map Runs) reused; a Retry or a loop runs the state afresh
    redriving: bool = False
    map_runs: dict[str, str] = field(default_factory=dict)  # state path -> map run ARN
    mock_invocations: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def finished(self) -> bool:
        return self.status != "RUNNING"

    def next_mock_invocation(self, state_name: str) -> int:
        with self.lock:
            n = self.mock_invocations.get(state_name, 0)
            self.mock_invocations[state_name] = n + 1
            return n


@dataclass
class Scope:
    """Where a state runs: its execution, variables, cancellation, Map item and history position."""

    engine: EngineView
    execution: ExecutionRecord
    variables: Variables
    cancel: CancelToken
    path: str = ""  # position in nested branches/iterations, for redrive bookkeeping
    map_item: dict[str, Any] | None = None
    last_event: int | None = None
    assigned: dict[str, Any] | None = None  # what the running state's Assign set (its StateExited shows it)

    def child(
        self, path: str, *, map_item: dict[str, Any] | None = None, variables: Variables | None = None
    ) -> Scope:
        return Scope(
            self.engine,
            self.execution,
            variables or self.variables.child(),
            self.cancel.child(),
            path=path,
            map_item=map_item,
            last_event=self.last_event,
        )

    def event(
        self,
        event_type: str,
        details: dict[str, Any] | None = None,
        *,
        side: bool = False,
        previous: int | None = None,
    ) -> int:
        """Append to the execution's history, chaining previousEventId along this branch.

        `side`: the event points back at the chain but the chain does not move on to it, as AWS records
        ExecutionStarted (the first state event has previousEventId 0), MapIterationSucceeded/Failed and
        Map/ParallelStateSucceeded (the next event points past them). `previous` overrides the back pointer.
        """
        back = self.last_event if previous is None else previous
        event_id = self.execution.history.append(event_type, details, previous=back)
        if not side:
            self.last_event = event_id
        return event_id
