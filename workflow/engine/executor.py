"""The engine: runs executions (one thread each), their Map runs and child executions, stop and redrive.

`service.StepFunctions` validates API input and shapes responses; everything that happens while an execution
runs lives here and in `states/`. Records are kept in start order, in memory, and succeeded children of a
large Map Run in the store (execution_table.py).
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Map, StateMachine
from workflow.engine.backend import Backend
from workflow.engine.clock import Clock, RealClock
from workflow.engine.errors import StatesError
from workflow.engine.execution_table import ExecutionTable
from workflow.engine.history import History, Listener, payload, payload_fields
from workflow.engine.history_store import HistoryStore
from workflow.engine.map_run import ChildSlot, MapRun, parked_slot
from workflow.engine.mock_config import MockSource
from workflow.engine.states import interpreter
from workflow.engine.states.runtime import Aborted, CancelToken, ExecutionRecord, Scope, Variables
from workflow.engine.states.tokens import TokenRegistry
from workflow.engine.statuses import END_EVENTS, UNSUCCESSFUL, ExecutionStatus, MapRunStatus

STOP_JOIN_SECONDS = 2.0  # real seconds StopExecution waits for the execution to unwind before answering


class Engine:
    def __init__(
        self,
        backend: Backend,
        *,
        clock: Clock | None = None,
        region: str = "us-east-1",
        account: str = "000000000000",
        mock_config: MockSource | None = None,
        seed: int | None = None,
    ) -> None:
        self.backend = backend
        self.clock: Clock = clock or RealClock()
        self.region = region
        self.account = account
        self.mock_config = mock_config
        self.rng = random.Random(seed)
        self.tokens = TokenRegistry()
        self.map_runs: dict[str, MapRun] = {}
        self.listeners: list[Listener] = []
        self.lock = threading.RLock()
        self._store: HistoryStore | None = None
        # running executions in memory, succeeded children of large Map Runs in the store
        self.executions = ExecutionTable(lambda: self._store, self.map_runs, self.clock.now, self.listeners)

    @property
    def store(self) -> HistoryStore:
        """The engine's on-disk store (history_store.py), created the first time a Map Run needs it."""
        with self.lock:
            if self._store is None:
                self._store = HistoryStore()
            return self._store

    def archive(self, record: ExecutionRecord) -> None:
        """Move a finished execution's history, input and output out of memory into the store."""
        store = self.store
        output_key = f"output|{record.arn}"
        store.put(output_key, payload(record.output))
        if record.input_key is None:
            store.put(f"input|{record.arn}", record.input_text)
        record.history.archive(store)
        with record.lock:
            record.input_key = record.input_key or f"input|{record.arn}"
            record.archived = True
            record.input = record.output = record.failed_input = None
            record.input_text = ""
            record.variables = Variables()

    def io_text(self, record: ExecutionRecord) -> tuple[str, str | None]:
        """The execution's input and (when SUCCEEDED) output as compact JSON, from memory or the store."""
        with record.lock:
            if not record.archived:
                output = payload(record.output) if record.status == "SUCCEEDED" else None
                return record.input_text, output
            input_key = record.input_key
        assert input_key is not None and self._store is not None
        return self._store.get(input_key) or "", self._store.get(f"output|{record.arn}")

    def child_record(self, map_run: MapRun, index: int) -> ExecutionRecord | None:
        """The record of a Map Run's child: in memory, or rebuilt from the store once it moved there."""
        slot = map_run.slots[index]
        if slot.record is None and slot.parked_status is not None:
            return self.executions.map_child(map_run.arn, index)
        return slot.record

    def output_of(self, record: ExecutionRecord) -> Any:
        """The execution's output value (None unless SUCCEEDED), from memory or the store."""
        with record.lock:
            if not record.archived:
                return record.output
        text = self.io_text(record)[1]
        return None if text is None else json.loads(text)

    # ------------------------------------------------------------------------------------------ records

    def arn(self, kind: str, rest: str) -> str:
        return f"arn:aws:states:{self.region}:{self.account}:{kind}:{rest}"

    def new_record(
        self,
        *,
        arn: str,
        name: str,
        state_machine_arn: str,
        state_machine_name: str,
        machine: StateMachine,
        definition_text: str,
        input_value: Any,
        input_text: str,
        role_arn: str,
        execution_type: str,
        **extra: Any,
    ) -> ExecutionRecord:
        record = ExecutionRecord(
            arn=arn,
            name=name,
            state_machine_arn=state_machine_arn,
            state_machine_name=state_machine_name,
            machine=machine,
            definition_text=definition_text,
            input=input_value,
            input_text=input_text,
            role_arn=role_arn,
            type=execution_type,
            start_date=self.clock.now(),
            history=History(arn, self.clock.now, self.listeners),
            **extra,
        )
        with self.lock:
            self.executions[arn] = record
        return record

    # ------------------------------------------------------------------------------------------ running

    def start(self, record: ExecutionRecord) -> None:
        """Run in a thread of its own (StartExecution)."""
        record.thread = threading.Thread(
            target=self._execute, args=(record,), daemon=True, name=f"sfn-{record.name[:40]}"
        )
        record.thread.start()

    def run_sync(self, record: ExecutionRecord) -> None:
        """Run in the calling thread (StartSyncExecution, child executions of a Distributed Map)."""
        self._execute(record)

    def _execute(self, record: ExecutionRecord, *, redrive: bool = False) -> None:
        scope = Scope(self, record, record.variables, record.cancel)
        start_at: str | None = None
        state_input = record.input
        if redrive:
            scope.last_event = record.history.last_id
            scope.event("ExecutionRedriven", {"redriveCount": record.redrive_count})
            start_at, state_input = record.failed_state, record.failed_input
            if start_at is None:
                state_input = record.input
        else:
            details: dict[str, Any] = {
                **payload_fields("input", record.input_text),
                "roleArn": record.role_arn,
            }
            if record.state_machine_version_arn:
                details["stateMachineVersionArn"] = record.state_machine_version_arn
            # AWS records the first state event with previousEventId 0 (every recorded history does)
            scope.event("ExecutionStarted", details, side=True, previous=0)
            scope.last_event = 0
        try:
            output = interpreter.run_machine(
                record.machine, state_input, scope, start_at=start_at, record_failure=True
            )
        except StatesError as err:  # an empty error/cause (a Fail state without them) is absent, as on AWS
            self._finish(record, scope, "FAILED", error=err.error or None, cause=err.cause or None)
        except Aborted:
            if record.timed_out:
                self._finish(
                    record,
                    scope,
                    "TIMED_OUT",
                    error=errors.TIMEOUT,
                    cause="The execution timed out (TimeoutSeconds of the state machine).",
                )
            else:
                self._finish(record, scope, "ABORTED", error=record.stop_error, cause=record.stop_cause)
        except Exception as exc:  # an engine bug: fail the execution visibly instead of losing the thread
            self._finish(record, scope, "FAILED", error=errors.RUNTIME, cause=f"{type(exc).__name__}: {exc}")
        else:
            self._finish(record, scope, "SUCCEEDED", output=output)

    def _finish(
        self,
        record: ExecutionRecord,
        scope: Scope,
        status: ExecutionStatus,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        with record.lock:
            if record.finished:  # StopExecution already closed it
                record.done.set()
                return
            succeeded = status == "SUCCEEDED"
            record.status = status
            record.stop_date = self.clock.now()
            record.output = output if succeeded else None
            record.error, record.cause = (error, cause) if not succeeded else (None, None)
            if status == "TIMED_OUT":
                # DescribeExecution shows no error/cause (test_timeouts::test_global_timeout)
                record.error = record.cause = None
        if succeeded:
            scope.event(END_EVENTS[status], payload_fields("output", output))
        else:
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            scope.event(END_EVENTS[status], details)
        record.done.set()

    def stop(self, record: ExecutionRecord, error: str | None, cause: str | None) -> None:
        """StopExecution: abort whatever the execution is doing; ABORTED with ExecutionAborted in history."""
        record.stop_error, record.stop_cause = error, cause
        record.cancel.cancel()
        if record.thread is not None and record.thread is not threading.current_thread():
            record.thread.join(STOP_JOIN_SECONDS)
        if not record.finished:  # still blocked in a call; close the record now, as AWS answers right away
            scope = Scope(self, record, record.variables, record.cancel, last_event=record.history.last_id)
            self._finish(record, scope, "ABORTED", error=error, cause=cause)

    def redrive(self, record: ExecutionRecord, *, wait: bool = False) -> None:
        """Continue a FAILED/TIMED_OUT/ABORTED execution from the state that did not succeed."""
        self._reset_for_redrive(record)
        if wait:
            self._execute(record, redrive=True)
            return
        record.thread = threading.Thread(
            target=self._execute,
            args=(record,),
            kwargs={"redrive": True},
            daemon=True,
            name=f"sfn-redrive-{record.name[:40]}",
        )
        record.thread.start()

    def _reset_for_redrive(self, record: ExecutionRecord, cancel: CancelToken | None = None) -> None:
        with record.lock:
            record.redrive_count += 1
            record.redrive_date = self.clock.now()
            record.status = "RUNNING"
            record.stop_date = None
            record.error = record.cause = None
            record.timed_out = False
            record.stop_error = record.stop_cause = None
            record.cancel = cancel or CancelToken()
            record.done = threading.Event()
            record.redriving = True

    def run_machine(self, machine: StateMachine, state_input: Any, scope: Scope) -> Any:
        """A nested machine (a Parallel branch, an Inline Map iteration), run by the states (EngineView)."""
        return interpreter.run_machine(machine, state_input, scope)

    # ------------------------------------------------------------------------------------------ timeouts

    def deadline_of(self, record: ExecutionRecord) -> datetime | None:
        if record.machine.timeout_seconds is None:
            return None
        return (record.redrive_date or record.start_date) + timedelta(seconds=record.machine.timeout_seconds)

    def check_deadline(self, record: ExecutionRecord) -> None:
        """Execution-level TimeoutSeconds: past the deadline the execution ends TIMED_OUT."""
        deadline = self.deadline_of(record)
        if record.timed_out or (deadline is not None and self.clock.now() >= deadline):
            record.timed_out = True
            record.cancel.cancel()
            raise Aborted()

    # ------------------------------------------------------------------------------------------ map runs

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
    ) -> MapRun:
        label = state.label or str(uuid.uuid4())
        sm_name = parent.state_machine_name
        assert state.processor is not None
        map_run = MapRun(
            arn=self.arn("mapRun", f"{sm_name}/{label}:{uuid.uuid4()}"),
            execution_arn=parent.arn,
            state_machine_arn=f"{parent.state_machine_arn}/{label}",
            state_name=state.name,
            label=label,
            machine=state.processor,
            execution_type=state.execution_type,
            start_date=self.clock.now(),
            max_concurrency=max_concurrency,
            tolerated_failure_percentage=tolerated_pct,
            tolerated_failure_count=tolerated_count,
            tolerance_given=given,
            slots=slots,
            spilled=spilled,
            definition_text=payload(state.processor.raw),
        )
        with self.lock:
            self.map_runs[map_run.arn] = map_run
        return map_run

    def redrive_map_run(self, map_run: MapRun) -> None:
        with map_run.lock:
            map_run.status = "RUNNING"
            map_run.stop_date = None
            map_run.redrive_count += 1
            map_run.redrive_date = self.clock.now()
            map_run.error = map_run.cause = None

    def finish_map_run(
        self, map_run: MapRun, status: MapRunStatus, error: str | None, cause: str | None
    ) -> None:
        with map_run.lock:
            map_run.status = status
            map_run.stop_date = self.clock.now()
            map_run.error, map_run.cause = error, cause

    def run_map_child(self, map_run: MapRun, slot: ChildSlot, group: CancelToken) -> None:
        """Run (or redrive, keeping its ARN) the child execution of one item or batch, in this thread."""
        record = slot.record
        if record is not None and record.status in UNSUCCESSFUL:
            self._reset_for_redrive(record, cancel=group.child())
            self._execute(record, redrive=True)
            self._after_child(map_run, slot, record)
            return
        parent = self.executions[map_run.execution_arn]
        name = str(uuid.uuid4())
        kind = "express" if map_run.execution_type == "EXPRESS" else "execution"
        sm_name = f"{parent.state_machine_name}/{map_run.label}"
        input_text = slot.input_text
        if input_text is None:
            assert slot.input_key is not None
            input_text = self.store.get(slot.input_key) or "null"
        record = self.new_record(
            arn=self.arn(kind, f"{sm_name}:{name}"),
            name=name,
            state_machine_arn=map_run.state_machine_arn,
            state_machine_name=sm_name,
            machine=map_run.machine,
            definition_text=map_run.definition_text or payload(map_run.machine.raw),
            input_value=json.loads(input_text),
            input_text=input_text,
            role_arn=parent.role_arn,
            execution_type=map_run.execution_type,
            map_run_arn=map_run.arn,
            label=map_run.label,
            test_case=parent.test_case,
            cancel=group.child(),
            variables=Variables(),
            input_key=slot.input_key,
        )
        slot.record = record
        self._execute(record)
        self._after_child(map_run, slot, record)

    def _after_child(self, map_run: MapRun, slot: ChildSlot, record: ExecutionRecord) -> None:
        """A large Map Run keeps no finished child in memory: a succeeded one is never run again, so its
        history and payloads go to the store, then its record (the slot keeps its index and status)."""
        if map_run.spilled and record.status == "SUCCEEDED" and record.input_key is not None:
            self.archive(record)
            record.cancel.detach()  # the Map Run's cancel group would keep every child's token
            if self.executions.park(record, slot.index):
                slot.parked_status, slot.record, slot.input_key = "SUCCEEDED", None, None
                map_run.slots[slot.index] = parked_slot(slot.item_count)  # the Map Run keeps no object

    # ------------------------------------------------------------------------------------------ misc

    def subscribe(self, listener: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        """Call `listener(execution_arn, event)` for every history event; returns an unsubscribe function."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None
