"""What every group of Step Functions API actions shares: the service's state, ARN and name checks, the
lookups of machines, executions and map runs, paging, and AWS's ValidationException wording."""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.engine import quotas
from workflow.engine.asl import StateMachine
from workflow.engine.backend import Backend
from workflow.engine.clock import Clock
from workflow.engine.errors import ServiceError
from workflow.engine.executor import Engine
from workflow.engine.map_run import MapRun
from workflow.engine.mock_config import MockSource
from workflow.engine.states.runtime import ExecutionRecord

_NAME_RE = re.compile(r"^[^\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]" + f"{{1,{quotas.NAME_LENGTH}}}$")
_ARN_RE = re.compile(
    r"^arn:aws[\w-]*:states:(?P<region>[\w-]+):(?P<account>\d{12}):(?P<kind>[A-Za-z]+):(?P<rest>.+)$"
)


@dataclass
class StateMachineRecord:
    arn: str
    name: str
    definition: str
    machine: StateMachine
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


def check_enum(member: str, value: str | None, allowed: tuple[str, ...]) -> None:
    """AWS's wording for a value outside a member's enum (a ValidationException)."""
    if value is not None and value not in allowed:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def page(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """Offset paging with an opaque token, as the List* and GetExecutionHistory APIs page."""
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError("InvalidToken", f"Invalid Token: '{next_token}'") from exc
    if max_results is not None and not 0 <= int(max_results) <= quotas.PAGE_SIZE_MAX:
        raise validation(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {quotas.PAGE_SIZE_MAX}"
        )
    size = int(max_results) if max_results else quotas.PAGE_SIZE_DEFAULT
    items_page = items[start : start + size]
    more = start + size < len(items)
    return items_page, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


def definition_text(definition: Any) -> str:
    return definition if isinstance(definition, str) else json.dumps(definition)


def present(**fields: Any) -> dict[str, Any]:
    """The fields that are not None: the optional members of an API response."""
    return {name: value for name, value in fields.items() if value is not None}


class ServiceState:
    """The service's state and lookups; each group of actions (a mixin of `service.StepFunctions`) uses it."""

    def __init__(
        self,
        backend: Backend,
        *,
        region: str = "us-east-1",
        account: str = "000000000000",
        clock: Clock | None = None,
        mock_config: MockSource | None = None,
        seed: int | None = None,
    ) -> None:
        # Keyword names are part of the interface: tests pick what to pass from this signature.
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

    def _map_run(self, arn: str) -> MapRun:
        self._parse_arn(arn, ("mapRun",))
        map_run = self.engine.map_runs.get(arn)
        if map_run is None:
            raise ServiceError("ResourceNotFound", f"Resource not found: '{arn}'")
        return map_run
