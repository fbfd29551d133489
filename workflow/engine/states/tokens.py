"""Task tokens: issued to a `.waitForTaskToken` Task, completed by SendTaskSuccess/Failure/Heartbeat.

A token is `AQ` + base64url of `{"e": execution ARN, "s": state name, "n": nonce}`: opaque to callers, but
checkable, so a malformed token is InvalidToken and an unknown one TaskDoesNotExist, as on AWS.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from workflow.engine.errors import ServiceError
from workflow.engine.json_format import compact_json


@dataclass(frozen=True)
class TaskSuccess:
    """SendTaskSuccess: the task's result."""

    output: Any


@dataclass(frozen=True)
class TaskFailure:
    """SendTaskFailure: the task fails with this error and cause."""

    error: str
    cause: str


TokenOutcome = TaskSuccess | TaskFailure

_TIMED_OUT = ("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")


@dataclass
class TokenWaiter:
    """A task waiting for SendTaskSuccess/Failure/Heartbeat."""

    token: str
    execution_arn: str
    state_name: str
    event: threading.Event = field(default_factory=threading.Event)
    outcome: TokenOutcome | None = None
    beats: int = 0
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class TokenRegistry:
    """Issues task tokens and routes the SendTask* calls to the waiting task."""

    def __init__(self) -> None:
        self._waiters: dict[str, TokenWaiter] = {}
        self._lock = threading.Lock()

    def issue(self, execution_arn: str, state_name: str) -> TokenWaiter:
        raw = compact_json({"e": execution_arn, "s": state_name, "n": uuid.uuid4().hex}, ensure_ascii=True)
        token = "AQ" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        waiter = TokenWaiter(token, execution_arn, state_name)
        with self._lock:
            self._waiters[token] = waiter
        return waiter

    def _find(self, token: object) -> TokenWaiter:
        if not isinstance(token, str) or not token.startswith("AQ") or not 1 <= len(token) <= 2048:
            raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'")
        try:
            body = token[2:]
            decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            if not isinstance(decoded, dict) or "e" not in decoded:
                raise ValueError("not a task token")
        except ValueError as exc:
            raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'") from exc
        with self._lock:
            waiter = self._waiters.get(token)
        if waiter is None:
            raise ServiceError("TaskDoesNotExist", "Task does not exist anymore")
        if waiter.closed:
            raise ServiceError(*_TIMED_OUT)
        return waiter

    def complete(self, token: object, outcome: TokenOutcome) -> None:
        """Hand the outcome to the waiting task; a task already closed or completed is TaskTimedOut."""
        waiter = self._find(token)
        with waiter.lock:
            if waiter.closed or waiter.outcome is not None:
                raise ServiceError(*_TIMED_OUT)
            waiter.outcome = outcome
        waiter.event.set()

    def succeed(self, token: object, output: Any) -> None:
        """SendTaskSuccess."""
        self.complete(token, TaskSuccess(output))

    def fail(self, token: object, error: str, cause: str) -> None:
        """SendTaskFailure."""
        self.complete(token, TaskFailure(error, cause))

    def heartbeat(self, token: object) -> None:
        waiter = self._find(token)
        with waiter.lock:
            waiter.beats += 1
        waiter.event.set()

    def close(self, waiter: TokenWaiter) -> None:
        with waiter.lock:
            waiter.closed = True
