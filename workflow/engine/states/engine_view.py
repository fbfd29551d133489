"""The engine as the states see it: everything a runner may call on `scope.engine`, and nothing more.

`executor.Engine` provides it for executions; TestState's sandbox (test_state.py) provides it for one state
run on its own. Keeping it a Protocol keeps the runners free of the executor, and shows in one place what
running a state may touch: the clock and deadline, the backend, task tokens, mocks, nested machines and the
Distributed Map's Map Runs and child executions.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from workflow.engine.asl import Map, StateMachine
from workflow.engine.backend import Backend
from workflow.engine.clock import Clock
from workflow.engine.mock_config import MockedResponse
from workflow.engine.states.tokens import TokenRegistry
from workflow.engine.statuses import MapRunStatus

if TYPE_CHECKING:
    from workflow.engine.history_store import HistoryStore
    from workflow.engine.map_run import ChildSlot, MapRun
    from workflow.engine.states.runtime import CancelToken, ExecutionRecord, Scope


class MockResponses(Protocol):
    """Mocked service integrations (Step Functions Local's MockConfigFile, TestState's `mock`)."""

    def response_for(
        self, state_machine: str, test_case: str, state: str, invocation: int, /
    ) -> MockedResponse | None: ...


class EngineView(Protocol):
    """What a state's runner may use of the engine that runs it."""

    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def region(self) -> str: ...

    @property
    def backend(self) -> Backend: ...

    @property
    def tokens(self) -> TokenRegistry: ...

    @property
    def mock_config(self) -> MockResponses | None: ...

    def deadline_of(self, record: ExecutionRecord) -> datetime | None:
        """The execution's TimeoutSeconds deadline, if it has one."""
        ...

    def check_deadline(self, record: ExecutionRecord) -> None:
        """Raise Aborted (the execution TIMED_OUT) once past the deadline."""
        ...

    def run_machine(self, machine: StateMachine, state_input: Any, scope: Scope) -> Any:
        """Run a nested machine (a Parallel branch, an Inline Map iteration) to its end, in `scope`."""
        ...

    # the Distributed Map: its Map Runs, their child executions and the store that holds large runs

    @property
    def map_runs(self) -> dict[str, MapRun]: ...

    @property
    def store(self) -> HistoryStore: ...

    def create_map_run(
        self,
        parent: ExecutionRecord,
        state: Map,
        slots: list[ChildSlot],
        max_concurrency: int,
        tolerated_pct: float,
        tolerated_count: int,
        given: tuple[bool, bool],
        spilled: bool = False,
    ) -> MapRun: ...

    def redrive_map_run(self, map_run: MapRun) -> None: ...

    def finish_map_run(
        self, map_run: MapRun, status: MapRunStatus, error: str | None, cause: str | None
    ) -> None: ...

    def run_map_child(self, map_run: MapRun, slot: ChildSlot, group: CancelToken) -> None: ...

    def child_record(self, map_run: MapRun, index: int) -> ExecutionRecord | None: ...

    def output_of(self, record: ExecutionRecord) -> Any: ...

    def io_text(self, record: ExecutionRecord) -> tuple[str, str | None]: ...
