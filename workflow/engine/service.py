"""The Step Functions API, in process: boto3's `stepfunctions` method names, the API's camelCase parameters
and response dicts (datetimes as `datetime`), and AWS's error codes as `ServiceError`.

`http_api` serves this object over HTTP; `inprocess_client` wraps it so boto3-style code can call it directly.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workflow.engine.backend import Backend
from workflow.engine.clock import Clock
from workflow.engine.definition import Machine, parse_definition
from workflow.engine.errors import ServiceError
from workflow.engine.executor import Engine
from workflow.engine.history import strip_execution_data
from workflow.engine.map_run import UNSUCCESSFUL
from workflow.engine.states.runtime import ExecutionRecord

_NAME_RE = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]{1,80}$")
_ARN_RE = re.compile(
    r"^arn:aws[\w-]*:states:(?P<region>[\w-]+):(?P<account>\d{12}):(?P<kind>[A-Za-z]+):(?P<rest>.+)$"
)
MAX_INPUT_BYTES = 262_144
REDRIVE_PERIOD = timedelta(days=14)
MAX_HISTORY_EVENTS = 25_000
MAX_REDRIVES = 1_000


@dataclass
class StateMachineRecord:
    arn: str
    name: str
    definition: str
    machine: Machine
    role_arn: str
    type: str
    creation_date: datetime
    update_date: datetime | None = None
    logging_configuration: dict[str, Any] = field(
        default_factory=lambda: {"level": "OFF", "includeExecutionData": False}
    )
    tracing_configuration: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    description: str | None = None


_EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def _check_enum(member: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """AWS's wording for a value outside a member's enum (a ValidationException)."""
    if value is not None and value not in allowed:
        raise _validation(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _page(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """Offset paging with an opaque token, as the List* and GetExecutionHistory APIs page."""
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError("InvalidToken", f"Invalid Token: '{next_token}'") from exc
    if max_results is not None and not 0 <= int(max_results) <= 1000:
        raise _validation(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
            "Member must have value less than or equal to 1000"
        )
    size = int(max_results) if max_results else 100
    page = items[start : start + size]
    more = start + size < len(items)
    return page, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


class StepFunctions:
    """An in-memory AWS Step Functions service running executions with the local engine."""

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Clock | None = None,
        region: str = "us-east-1",
        account: str = "000000000000",
        mock_config: Any = None,
        seed: int | None = None,
    ) -> None:
        self.engine = Engine(
            backend, clock=clock, region=region, account=account, mock_config=mock_config, seed=seed
        )
        self.region, self.account = region, account
        self._machines: dict[str, StateMachineRecord] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._lock = threading.RLock()

    @property
    def clock(self) -> Clock:
        return self.engine.clock

    # --------------------------------------------------------------------------------------- validation

    def _check_name(self, name: Any, what: str = "name") -> str:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ServiceError("InvalidName", f"Invalid Name: '{name}'")
        return name

    def _parse_arn(self, arn: Any, kinds: tuple[str, ...]) -> re.Match[str]:
        match = _ARN_RE.match(arn) if isinstance(arn, str) else None
        if match is None or match["kind"] not in kinds:
            raise ServiceError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
        return match

    def _machine(self, arn: str) -> StateMachineRecord:
        self._parse_arn(arn, ("stateMachine",))
        with self._lock:
            record = self._machines.get(arn)
        if record is None:
            raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return record

    def _execution(self, arn: str) -> ExecutionRecord:
        self._parse_arn(arn, ("execution", "express"))
        record = self.engine.executions.get(arn)
        if record is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return record

    @staticmethod
    def _definition_text(definition: Any) -> str:
        return definition if isinstance(definition, str) else json.dumps(definition)

    # --------------------------------------------------------------------------------------- state machines

    def create_state_machine(
        self,
        name: str,
        definition: Any,
        roleArn: str,
        type: str = "STANDARD",
        loggingConfiguration: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        tracingConfiguration: dict[str, Any] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        encryptionConfiguration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self._check_name(name)
        if type not in ("STANDARD", "EXPRESS"):
            raise _validation(
                f"Value '{type}' at 'type' failed to satisfy constraint: Member must satisfy "
                "enum value set: [STANDARD, EXPRESS]"
            )
        if not isinstance(roleArn, str) or not roleArn.startswith("arn:"):
            raise ServiceError("InvalidArn", f"Invalid Arn: 'Invalid role ARN: {roleArn}'")
        text = self._definition_text(definition)
        machine = parse_definition(text)
        arn = self.engine.arn("stateMachine", name)
        with self._lock:
            existing = self._machines.get(arn)
            if existing is not None:
                if (existing.definition, existing.role_arn, existing.type) == (text, roleArn, type):
                    return {"stateMachineArn": arn, "creationDate": existing.creation_date}
                raise ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            record = StateMachineRecord(arn, name, text, machine, roleArn, type, self.clock.now())
            if loggingConfiguration:
                record.logging_configuration = loggingConfiguration
            if tracingConfiguration:
                record.tracing_configuration = tracingConfiguration
            self._machines[arn] = record
            self._tags[arn] = {t["key"]: t.get("value", "") for t in tags or []}
        return {"stateMachineArn": arn, "creationDate": record.creation_date}

    def describe_state_machine(self, stateMachineArn: str, includedData: str | None = None) -> dict[str, Any]:
        child = self._map_run_machine(stateMachineArn)
        if child is not None:
            return child
        sm = self._machine(stateMachineArn)
        out = {
            "stateMachineArn": sm.arn,
            "name": sm.name,
            "status": "ACTIVE",
            "definition": sm.definition,
            "roleArn": sm.role_arn,
            "type": sm.type,
            "creationDate": sm.creation_date,
            "loggingConfiguration": sm.logging_configuration,
            "tracingConfiguration": sm.tracing_configuration,
            "revisionId": sm.revision_id,
        }
        if sm.description:
            out["description"] = sm.description
        return out

    def _map_run_machine(self, arn: str) -> dict[str, Any] | None:
        """`<state machine ARN>/<label>`: the item processor a Distributed Map runs its children with."""
        if "/" not in arn:
            return None
        for map_run in list(self.engine.map_runs.values()):
            if map_run.state_machine_arn == arn:
                parent = self._machines.get(arn.rsplit("/", 1)[0])
                return {
                    "stateMachineArn": arn,
                    "name": arn.rsplit(":", 1)[1].split("/", 1)[0],
                    "status": "ACTIVE",
                    "definition": json.dumps(map_run.machine.raw),
                    "roleArn": parent.role_arn if parent else "",
                    "type": map_run.execution_type,
                    "creationDate": map_run.start_date,
                    "label": map_run.label,
                }
        return None

    def update_state_machine(
        self,
        stateMachineArn: str,
        definition: Any = None,
        roleArn: str | None = None,
        loggingConfiguration: dict[str, Any] | None = None,
        tracingConfiguration: dict[str, Any] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        encryptionConfiguration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        sm = self._machine(stateMachineArn)
        if (
            definition is None
            and roleArn is None
            and loggingConfiguration is None
            and tracingConfiguration is None
        ):
            raise ServiceError(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the "
                "TracingConfiguration must be specified",
            )
        with self._lock:
            if definition is not None:
                text = self._definition_text(definition)
                sm.machine, sm.definition = parse_definition(text), text
            if roleArn is not None:
                sm.role_arn = roleArn
            if loggingConfiguration is not None:
                sm.logging_configuration = loggingConfiguration
            if tracingConfiguration is not None:
                sm.tracing_configuration = tracingConfiguration
            sm.update_date = self.clock.now()
            sm.revision_id = str(uuid.uuid4())
        return {"updateDate": sm.update_date, "revisionId": sm.revision_id}

    def list_state_machines(
        self, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            items = [
                {
                    "stateMachineArn": sm.arn,
                    "name": sm.name,
                    "type": sm.type,
                    "creationDate": sm.creation_date,
                }
                for sm in self._machines.values()
            ]
        page, token = _page(items, maxResults, nextToken)
        return {"stateMachines": page, **({"nextToken": token} if token else {})}

    def delete_state_machine(self, stateMachineArn: str) -> dict[str, Any]:
        self._parse_arn(stateMachineArn, ("stateMachine",))
        with self._lock:  # AWS: deleting an unknown machine succeeds; running executions keep running
            self._machines.pop(stateMachineArn, None)
        return {}

    def validate_state_machine_definition(
        self,
        definition: Any,
        type: str | None = None,
        severity: str | None = None,
        maxResults: int | None = None,
    ) -> dict[str, Any]:
        text = self._definition_text(definition)
        diagnostics: list[dict[str, Any]] = []
        try:
            from workflow.engine.validation import validate_definition

            doc = json.loads(text)
            found = validate_definition(doc, severity=severity) if severity else validate_definition(doc)
            diagnostics = [dict(d) for d in found]
        except ImportError:
            pass
        except ValueError as exc:
            diagnostics = [{"severity": "ERROR", "code": "INVALID_JSON_DESCRIPTION", "message": str(exc)}]
        if not any(d.get("severity", "ERROR") == "ERROR" for d in diagnostics):
            try:
                parse_definition(text, validate=False)
            except ServiceError as exc:
                diagnostics.append(
                    {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": exc.message}
                )
        limit = maxResults or 100
        failed = any(d.get("severity", "ERROR") == "ERROR" for d in diagnostics)
        return {
            "result": "FAIL" if failed else "OK",
            "diagnostics": diagnostics[:limit],
            "truncated": len(diagnostics) > limit,
        }

    # --------------------------------------------------------------------------------------- executions

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
        if len(text.encode("utf-8")) > MAX_INPUT_BYTES:
            raise ServiceError("InvalidExecutionInput", "Invalid execution input: exceeds 262144 bytes")
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
        if record.redrive_count >= MAX_REDRIVES:
            return "Execution has reached the maximum number of redrives"
        if record.stop_date is not None and self.clock.now() - record.stop_date > REDRIVE_PERIOD:
            return "Execution redrivable period exceeded"
        if len(record.history) >= MAX_HISTORY_EVENTS:
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
            raise _validation("You must specify either stateMachineArn or mapRunArn, but not both")
        # ListExecutions API reference: statusFilter and redriveFilter are enums; AWS rejects other values
        _check_enum("statusFilter", statusFilter, _EXECUTION_STATUSES)
        _check_enum("redriveFilter", redriveFilter, ("REDRIVEN", "NOT_REDRIVEN"))
        if mapRunArn is not None:
            self._map_run(mapRunArn)
            matches: Callable[[ExecutionRecord], bool] = lambda r: r.map_run_arn == mapRunArn  # noqa: E731
        else:
            if self._machine(stateMachineArn or "").type == "EXPRESS":
                raise ServiceError(
                    "StateMachineTypeNotSupported",
                    "This operation is not supported by this type of state machine",
                )
            matches = lambda r: r.state_machine_arn == stateMachineArn  # noqa: E731
        records = [r for r in list(self.engine.executions.values()) if matches(r)]
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
            if r.stop_date is not None:
                item["stopDate"] = r.stop_date
            if r.redrive_date is not None:
                item["redriveDate"] = r.redrive_date
            if mapRunArn is not None:
                item["mapRunArn"] = mapRunArn
            items.append(item)
        page, token = _page(items, maxResults, nextToken)
        return {"executions": page, **({"nextToken": token} if token else {})}

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
        page, token = _page(events, maxResults, nextToken)
        return {"events": page, **({"nextToken": token} if token else {})}

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

    # --------------------------------------------------------------------------------------- map runs

    def _map_run(self, arn: str) -> Any:
        self._parse_arn(arn, ("mapRun",))
        map_run = self.engine.map_runs.get(arn)
        if map_run is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return map_run

    def describe_map_run(self, mapRunArn: str) -> dict[str, Any]:
        return self._map_run(mapRunArn).describe()

    def list_map_runs(
        self, executionArn: str, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        self._execution(executionArn)
        runs = [m.list_item() for m in list(self.engine.map_runs.values()) if m.execution_arn == executionArn]
        runs.reverse()
        page, token = _page(runs, maxResults, nextToken)
        return {"mapRuns": page, **({"nextToken": token} if token else {})}

    def update_map_run(
        self,
        mapRunArn: str,
        maxConcurrency: int | None = None,
        toleratedFailurePercentage: float | None = None,
        toleratedFailureCount: int | None = None,
    ) -> dict[str, Any]:
        map_run = self._map_run(mapRunArn)
        with map_run.lock:
            if maxConcurrency is not None:
                map_run.max_concurrency = int(maxConcurrency)
            pct_given, count_given = map_run.tolerance_given
            if toleratedFailurePercentage is not None:
                map_run.tolerated_failure_percentage = float(toleratedFailurePercentage)
                pct_given = True
            if toleratedFailureCount is not None:
                map_run.tolerated_failure_count = int(toleratedFailureCount)
                count_given = True
            map_run.tolerance_given = (pct_given, count_given)
        return {}

    # --------------------------------------------------------------------------------------- task tokens

    def send_task_success(self, taskToken: str, output: str) -> dict[str, Any]:
        try:
            value = json.loads(output)
        except (TypeError, ValueError) as exc:
            raise ServiceError("InvalidOutput", f"Invalid Output: '{exc}'") from exc
        self.engine.tokens.succeed(taskToken, value)
        return {}

    def send_task_failure(
        self, taskToken: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        self.engine.tokens.fail(taskToken, error or "", cause or "")
        return {}

    def send_task_heartbeat(self, taskToken: str) -> dict[str, Any]:
        self.engine.tokens.heartbeat(taskToken)
        return {}

    # --------------------------------------------------------------------------------------- TestState

    def test_state(
        self,
        definition: str,
        roleArn: str | None = None,
        input: str | None = None,
        inspectionLevel: str | None = None,
        revealSecrets: bool = False,
        variables: str | None = None,
        stateName: str | None = None,
        mock: Any = None,
        context: str | None = None,
        stateConfiguration: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        from workflow.engine.test_state import run_test_state

        return run_test_state(
            self.engine,
            definition=definition,
            role_arn=roleArn,
            input_text=input,
            inspection_level=inspectionLevel or "INFO",
            variables_text=variables,
            state_name=stateName,
            mock=mock,
            context_text=context,
            state_configuration=stateConfiguration,
            reveal_secrets=bool(revealSecrets),
            **extra,
        )

    # --------------------------------------------------------------------------------------- tags

    def _tagged(self, arn: str) -> dict[str, str]:
        match = self._parse_arn(arn, ("stateMachine", "activity"))
        if match["kind"] == "stateMachine":
            self._machine(arn)
        with self._lock:
            return self._tags.setdefault(arn, {})

    def tag_resource(self, resourceArn: str, tags: list[Mapping[str, str]]) -> dict[str, Any]:
        current = self._tagged(resourceArn)
        with self._lock:
            for tag in tags:
                current[tag["key"]] = tag.get("value", "")
        return {}

    def untag_resource(self, resourceArn: str, tagKeys: list[str]) -> dict[str, Any]:
        current = self._tagged(resourceArn)
        with self._lock:
            for key in tagKeys:
                current.pop(key, None)
        return {}

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, Any]:
        current = self._tagged(resourceArn)
        return {"tags": [{"key": k, "value": v} for k, v in current.items()]}
