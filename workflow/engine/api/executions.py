"""Execution actions: StartExecution, StartSyncExecution, StopExecution, DescribeExecution,
DescribeStateMachineForExecution, ListExecutions, GetExecutionHistory, RedriveExecution (and the local
`wait_for_execution` and `subscribe`)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from workflow.engine import quotas
from workflow.engine.api.common import ServiceState, check_enum, page, present, validation
from workflow.engine.errors import ServiceError
from workflow.engine.history import strip_execution_data
from workflow.engine.states.runtime import ExecutionRecord
from workflow.engine.statuses import UNSUCCESSFUL

_EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


class ExecutionActions(ServiceState):
    def start_execution(
        self,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        traceHeader: str | None = None,
    ) -> dict[str, Any]:
        record = self._new_execution(stateMachineArn, name, input, traceHeader)
        if isinstance(record, dict):
            return record
        self.engine.start(record)
        return {"executionArn": record.arn, "startDate": record.start_date}

    def start_sync_execution(
        self,
        stateMachineArn: str,
        name: str | None = None,
        input: str | None = None,
        traceHeader: str | None = None,
        includedData: str | None = None,
    ) -> dict[str, Any]:
        sm = self._machine(stateMachineArn.split("#", 1)[0])
        if sm.type != "EXPRESS":
            raise ServiceError(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            )
        record = self._new_execution(stateMachineArn, name, input, traceHeader)
        assert isinstance(record, ExecutionRecord)
        self.engine.run_sync(record)
        out = {
            "executionArn": record.arn,
            "stateMachineArn": record.state_machine_arn,
            "name": record.name,
            "startDate": record.start_date,
            "stopDate": record.stop_date,
            "status": record.status,
            "input": record.input_text,
            "inputDetails": {"included": True},
            "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
        }
        if record.status == "SUCCEEDED":
            out["output"] = json.dumps(record.output)
            out["outputDetails"] = {"included": True}
        else:
            out.update({k: v for k, v in (("error", record.error), ("cause", record.cause)) if v is not None})
        if traceHeader:
            out["traceHeader"] = traceHeader
        return out

    def _new_execution(
        self, state_machine_arn: str, name: str | None, input_text: str | None, trace_header: str | None
    ) -> ExecutionRecord | dict[str, Any]:
        sm_arn, _, test_case = (state_machine_arn or "").partition("#")
        sm = self._machine(sm_arn)
        name = self._check_name(name) if name is not None else str(uuid.uuid4())
        text = "{}" if input_text is None else input_text
        if len(text.encode("utf-8")) > quotas.PAYLOAD_BYTES:
            raise ServiceError(
                "InvalidExecutionInput", f"Invalid execution input: exceeds {quotas.PAYLOAD_BYTES} bytes"
            )
        try:
            value = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ServiceError(
                "InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc}'"
            ) from exc
        kind = "express" if sm.type == "EXPRESS" else "execution"
        arn = self.engine.arn(kind, f"{sm.name}:{name}")
        with self._lock:
            existing = self.engine.executions.get(arn)
            if existing is not None:
                # StartExecution is idempotent for a running STANDARD execution with the same name and input.
                if sm.type == "STANDARD" and existing.status == "RUNNING" and existing.input_text == text:
                    return {"executionArn": existing.arn, "startDate": existing.start_date}
                raise ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
            return self.engine.new_record(
                arn=arn,
                name=name,
                state_machine_arn=sm.arn,
                state_machine_name=sm.name,
                machine=sm.machine,
                definition_text=sm.definition,
                input_value=value,
                input_text=text,
                role_arn=sm.role_arn,
                execution_type=sm.type,
                trace_header=trace_header,
                test_case=test_case or None,
            )

    def stop_execution(
        self, executionArn: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        record = self._execution(executionArn)
        if record.type == "EXPRESS" and record.map_run_arn is None:
            raise ServiceError("ValidationException", "This operation is not supported by EXPRESS executions")
        if not record.finished:
            self.engine.stop(record, error, cause)
        return {"stopDate": record.stop_date or self.clock.now()}

    def _redrive_status(self, record: ExecutionRecord) -> tuple[str, str | None]:
        if record.map_run_arn is not None:
            if record.status in UNSUCCESSFUL:
                return "REDRIVABLE_BY_MAP_RUN", None
            return "NOT_REDRIVABLE", f"Execution is {record.status} and cannot be redriven"
        reason = self._not_redrivable_reason(record)
        return ("NOT_REDRIVABLE", reason) if reason else ("REDRIVABLE", None)

    def _not_redrivable_reason(self, record: ExecutionRecord) -> str | None:
        if record.type == "EXPRESS":
            return "Execution of an EXPRESS state machine cannot be redriven"
        if record.status not in UNSUCCESSFUL:
            return f"Execution is {record.status} and cannot be redriven"
        if record.not_redrivable_reason:
            return record.not_redrivable_reason
        if record.state_machine_arn not in self._machines:
            return "State machine is in DELETING status"
        if record.redrive_count >= quotas.MAX_REDRIVES:
            return "Execution has reached the maximum number of redrives"
        if record.stop_date is not None and self.clock.now() - record.stop_date > quotas.REDRIVE_PERIOD:
            return "Execution redrivable period exceeded"
        if len(record.history) >= quotas.HISTORY_EVENTS:
            return "Execution history event limit exceeded"
        return None

    def describe_execution(self, executionArn: str, includedData: str | None = None) -> dict[str, Any]:
        record = self._execution(executionArn)
        input_text, output_text = self.engine.io_text(record)
        out: dict[str, Any] = {
            "executionArn": record.arn,
            "stateMachineArn": record.state_machine_arn,
            "name": record.name,
            "status": record.status,
            "startDate": record.start_date,
            "input": input_text,
            "inputDetails": {"included": True},
            "redriveCount": record.redrive_count,
        }
        if record.stop_date is not None:
            out["stopDate"] = record.stop_date
        if output_text is not None:
            out["output"] = output_text
            out["outputDetails"] = {"included": True}
        if record.error is not None:
            out["error"] = record.error
        if record.cause is not None:
            out["cause"] = record.cause
        if record.trace_header:
            out["traceHeader"] = record.trace_header
        if record.map_run_arn:
            out["mapRunArn"] = record.map_run_arn
        if record.redrive_date is not None:
            out["redriveDate"] = record.redrive_date
        status, reason = self._redrive_status(record)
        out["redriveStatus"] = status
        if reason:
            out["redriveStatusReason"] = reason
        return out

    def describe_state_machine_for_execution(
        self, executionArn: str, includedData: str | None = None
    ) -> dict[str, Any]:
        record = self._execution(executionArn)
        sm = self._machines.get(record.state_machine_arn)
        out: dict[str, Any] = {
            "stateMachineArn": record.state_machine_arn,
            "name": record.state_machine_name,
            "definition": record.definition_text,
            "roleArn": record.role_arn,
            "updateDate": (sm.update_date or sm.creation_date) if sm else record.start_date,
        }
        if sm is not None:
            out["loggingConfiguration"] = sm.logging_configuration
            out["tracingConfiguration"] = sm.tracing_configuration
            out["revisionId"] = sm.revision_id
        if record.map_run_arn:
            out["mapRunArn"] = record.map_run_arn
            out["label"] = record.label
        return out

    def list_executions(
        self,
        stateMachineArn: str | None = None,
        statusFilter: str | None = None,
        maxResults: int | None = None,
        nextToken: str | None = None,
        mapRunArn: str | None = None,
        redriveFilter: str | None = None,
    ) -> dict[str, Any]:
        if (stateMachineArn is None) == (mapRunArn is None):
            raise validation("You must specify either stateMachineArn or mapRunArn, but not both")
        # ListExecutions API reference: statusFilter and redriveFilter are enums; AWS rejects other values
        check_enum("statusFilter", statusFilter, _EXECUTION_STATUSES)
        check_enum("redriveFilter", redriveFilter, ("REDRIVEN", "NOT_REDRIVEN"))
        if mapRunArn is not None:
            self._map_run(mapRunArn)
        elif self._machine(stateMachineArn or "").type == "EXPRESS":
            raise ServiceError(
                "StateMachineTypeNotSupported",
                "This operation is not supported by this type of state machine",
            )
        # the store answers for the children that left memory (execution_table.py)
        if mapRunArn is not None:
            records = self.engine.executions.values(map_run_arn=mapRunArn)
        else:
            records = self.engine.executions.values(state_machine_arn=stateMachineArn)
        if statusFilter:
            records = [r for r in records if r.status == statusFilter]
        if redriveFilter == "REDRIVEN":
            records = [r for r in records if r.redrive_count > 0]
        elif redriveFilter == "NOT_REDRIVEN":
            records = [r for r in records if r.redrive_count == 0]
        records.reverse()  # newest first, as AWS lists them
        items = []
        for r in records:
            item: dict[str, Any] = {
                "executionArn": r.arn,
                "stateMachineArn": r.state_machine_arn,
                "name": r.name,
                "status": r.status,
                "startDate": r.start_date,
                "redriveCount": r.redrive_count,
            }
            item.update(present(stopDate=r.stop_date, redriveDate=r.redrive_date, mapRunArn=mapRunArn))
            items.append(item)
        items_page, token = page(items, maxResults, nextToken)
        return {"executions": items_page, **({"nextToken": token} if token else {})}

    def get_execution_history(
        self,
        executionArn: str,
        maxResults: int | None = None,
        reverseOrder: bool = False,
        nextToken: str | None = None,
        includeExecutionData: bool = True,
    ) -> dict[str, Any]:
        record = self._execution(executionArn)
        events = record.history.events()
        if reverseOrder:
            events.reverse()
        if includeExecutionData is False:
            events = [strip_execution_data(e) for e in events]
        items_page, token = page(events, maxResults, nextToken)
        return {"events": items_page, **({"nextToken": token} if token else {})}

    def redrive_execution(self, executionArn: str, clientToken: str | None = None) -> dict[str, Any]:
        record = self._execution(executionArn)
        if record.map_run_arn is not None:
            raise ServiceError(
                "ExecutionNotRedrivable", "Execution is a child of a Map Run: redrive its parent execution"
            )
        reason = self._not_redrivable_reason(record)
        if reason:
            raise ServiceError("ExecutionNotRedrivable", f"Execution cannot be redriven: {reason}")
        self.engine.redrive(record)
        return {"redriveDate": record.redrive_date}

    def wait_for_execution(self, executionArn: str, timeout: float = 30.0) -> dict[str, Any]:
        """Block (real seconds) until the execution is no longer RUNNING; returns DescribeExecution."""
        record = self._execution(executionArn)
        deadline = time.monotonic() + timeout
        while record.status == "RUNNING" and time.monotonic() < deadline:
            record.done.wait(0.02)
        if record.status == "RUNNING":
            raise TimeoutError(f"{executionArn} still RUNNING after {timeout} s")
        record.done.wait(timeout)  # its closing event is in the history
        return self.describe_execution(executionArn)

    def subscribe(self, callback: Callable[[str, dict[str, Any]], None]) -> Callable[[], None]:
        """`callback(execution_arn, event)` for every history event of every execution (the live console)."""
        return self.engine.subscribe(callback)
