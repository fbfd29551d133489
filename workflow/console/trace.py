"""What happened to each state of one execution, read from its history events (pure functions, no I/O).

The console's graph colours, its table/timeline view, the state details panel and `etl trace` all come from
here. Events are attributed to a state by following `previousEventId` back to the state's `*StateEntered`
event, so branches of a Parallel that interleave in one history are still told apart. Statuses:

- `not_run`: never entered; `running`: entered, not exited, the execution still running;
- `succeeded`: exited with no error; `retried`: an attempt failed, a later one succeeded;
- `caught`: exited after an error (a Catch moved on); `failed`: the error ended the execution there;
- `stopped`: entered, never finished, no error of its own (a Parallel branch cancelled by its sibling's
  failure, or the execution stopped while it ran).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STATUSES = ("not_run", "running", "succeeded", "retried", "caught", "failed", "stopped")
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

# Events that end one attempt of a state's work with an error (AWS history event types).
FAILURE_TYPES = {
    "TaskFailed",
    "TaskTimedOut",
    "TaskStartFailed",
    "TaskSubmitFailed",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed",
    "MapStateFailed",
    "MapRunFailed",
    "ParallelStateFailed",
    "MapIterationFailed",
    "ActivityFailed",
    "ActivityTimedOut",
    "FailStateEntered",
}
SUCCESS_TYPES = {"TaskSucceeded", "LambdaFunctionSucceeded", "MapRunSucceeded", "ActivitySucceeded"}
ATTEMPT_START_TYPES = {"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"}


def details_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's `...EventDetails` member (every history event has at most one)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def parse_json(text: Any) -> Any:
    """A JSON string's value, or the text itself when it is not JSON (causes often are plain text)."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _ms(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() * 1000.0, 1)


@dataclass
class Attempt:
    """One try of a Task's work: scheduled, then succeeded or failed; `backoff_ms` is the wait before it."""

    number: int
    start: datetime
    end: datetime | None = None
    outcome: str = "running"
    error: str | None = None
    cause: str | None = None
    backoff_ms: float | None = None
    request_id: str | None = None


@dataclass
class Visit:
    """One entry into a state (a state inside a loop or a redrive can be visited more than once)."""

    name: str
    type: str
    entered_id: int
    start: datetime
    input: Any = None
    end: datetime | None = None
    output: Any = None
    exited: bool = False
    parameters: Any = None
    result: Any = None
    error: str | None = None
    cause: str | None = None
    failures: int = 0
    last_failed: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    map_run_arn: str | None = None
    resource: str | None = None
    submitted: Any = None

    def status(self, execution_status: str) -> str:
        if not self.exited:
            if self.type == "Fail" or self.failures:
                return "failed"
            if execution_status == "RUNNING":
                return "running"
            return "stopped"
        if self.failures and self.last_failed:
            return "caught"
        if self.failures:
            return "retried"
        return "succeeded"

    @property
    def retries(self) -> int:
        return max(0, len(self.attempts) - 1)


@dataclass
class Trace:
    """The analysed history of one execution."""

    status: str
    start: datetime | None
    end: datetime | None
    visits: list[Visit]
    error: str | None = None
    cause: str | None = None
    redrives: int = 0

    def last_visit(self, name: str) -> Visit | None:
        found = [v for v in self.visits if v.name == name]
        return found[-1] if found else None

    def state_status(self) -> dict[str, str]:
        """Each visited state's status, from its last visit."""
        return {v.name: v.status(self.status) for v in self.visits}

    def failing_state(self) -> Visit | None:
        """The state where a failed execution stopped: the last visit that did not exit."""
        if self.status in ("SUCCEEDED", "RUNNING"):
            return None
        for visit in reversed(self.visits):
            if visit.status(self.status) == "failed":
                return visit
        return None


def analyse(events: list[dict[str, Any]], status: str | None = None) -> Trace:
    """Read a whole history (oldest first) into visits, attempts and statuses."""
    owner: dict[int, Visit | None] = {}
    visits: list[Visit] = []
    open_by_name: dict[str, Visit] = {}
    trace = Trace(status=status or "RUNNING", start=None, end=None, visits=visits)
    for event in events:
        kind = event["type"]
        details = details_of(event)
        stamp = event["timestamp"]
        event_id = int(event["id"])
        visit = owner.get(int(event.get("previousEventId") or 0))
        if kind == "ExecutionStarted":
            trace.start = stamp
        elif kind == "ExecutionRedriven":
            trace.redrives += 1
            trace.end = None
            trace.error = trace.cause = None
            for v in visits:  # the failed states run again: their old failure no longer decides
                if not v.exited:
                    v.failures = 0
                    v.last_failed = False
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            trace.end = stamp
            if "error" in details or "cause" in details:
                trace.error, trace.cause = details.get("error"), details.get("cause")
        if kind.endswith("StateEntered"):
            visit = Visit(
                name=details.get("name", "?"),
                type=kind[: -len("StateEntered")],
                entered_id=event_id,
                start=stamp,
                input=details.get("input"),
            )
            visits.append(visit)
            open_by_name[visit.name] = visit
        elif kind.endswith("StateExited"):
            visit = open_by_name.get(details.get("name", "")) or visit
            if visit is not None:
                visit.exited, visit.end, visit.output = True, stamp, details.get("output")
        elif kind == "ExecutionRedriven":
            visit = None
        elif kind.startswith(("ParallelState", "MapState")):
            # the state's own outcome (ParallelStateFailed, MapStateSucceeded, ...): its chain may come
            # through a branch's events, so it goes to the open Parallel/Map visit itself
            own_type = "Parallel" if kind.startswith("Parallel") else "Map"
            for candidate in reversed(visits):
                if candidate.type == own_type and not candidate.exited:
                    visit = candidate
                    break
        if visit is not None:
            _apply(visit, kind, details, stamp)
        owner[event_id] = visit
    if status is None:
        trace.status = _status_from_events(events)
    return trace


def _apply(visit: Visit, kind: str, details: dict[str, Any], stamp: datetime) -> None:
    """Fold one event into the visit it belongs to."""
    if kind in ATTEMPT_START_TYPES:
        previous = visit.attempts[-1] if visit.attempts else None
        attempt = Attempt(number=len(visit.attempts) + 1, start=stamp)
        if previous is not None and previous.end is not None:
            attempt.backoff_ms = _ms(previous.end, stamp)
        visit.attempts.append(attempt)
        if visit.parameters is None:
            visit.parameters = details.get("parameters") or details.get("input")
        visit.resource = details.get("resource") and f"{details.get('resourceType')}:{details['resource']}"
    elif kind == "TaskSubmitted":
        visit.submitted = details.get("output")
    elif kind in SUCCESS_TYPES:
        visit.result = details.get("output", visit.result)
        visit.last_failed = False
        if visit.attempts:
            attempt = visit.attempts[-1]
            attempt.end, attempt.outcome = stamp, "succeeded"
            attempt.request_id = _request_id(details.get("output"))
    elif kind in FAILURE_TYPES:
        if kind == "FailStateEntered":
            return
        if kind == "MapStateFailed" and visit.last_failed:
            return  # the MapRunFailed just before it is the same failure
        visit.failures += 1
        visit.last_failed = True
        visit.error = details.get("error", visit.error)
        visit.cause = details.get("cause", visit.cause)
        if visit.attempts and visit.attempts[-1].end is None:
            attempt = visit.attempts[-1]
            attempt.end, attempt.outcome = stamp, "failed"
            attempt.error, attempt.cause = details.get("error"), details.get("cause")
    elif kind == "MapRunStarted":
        visit.map_run_arn = details.get("mapRunArn")
    elif kind == "MapRunRedriven":
        visit.last_failed = False


def _request_id(output: Any) -> str | None:
    """The Lambda request id a lambda:invoke result carries (SdkResponseMetadata.RequestId)."""
    value = parse_json(output)
    if isinstance(value, dict):
        meta = value.get("SdkResponseMetadata")
        if isinstance(meta, dict) and meta.get("RequestId"):
            return str(meta["RequestId"])
    return None


def _status_from_events(events: list[dict[str, Any]]) -> str:
    for event in reversed(events):
        kind = event["type"]
        if kind == "ExecutionRedriven":
            return "RUNNING"
        for suffix, status in (
            ("Succeeded", "SUCCEEDED"),
            ("Failed", "FAILED"),
            ("TimedOut", "TIMED_OUT"),
            ("Aborted", "ABORTED"),
        ):
            if kind == "Execution" + suffix:
                return status
    return "RUNNING"


def steps(trace: Trace, now: datetime | None = None) -> list[dict[str, Any]]:
    """The table view's rows: one per visit, with timeline segments (ms from the execution's start).

    Segment kinds: `run` (the state's own time), `attempt` / `retry` (a Task's first and later tries),
    `backoff` (the wait between a failed try and the next), `wait` (a Wait state).
    """
    origin = trace.start
    if origin is None:
        return []
    end_of_all = trace.end or now or (trace.visits[-1].end if trace.visits else origin) or origin
    rows = []
    for visit in trace.visits:
        end = visit.end or (trace.end if trace.status != "RUNNING" else None) or end_of_all
        segments: list[dict[str, Any]] = []
        if visit.attempts:
            for attempt in visit.attempts:
                if attempt.backoff_ms:
                    segments.append(
                        {
                            "kind": "backoff",
                            "start_ms": _ms(origin, attempt.start) - attempt.backoff_ms,
                            "end_ms": _ms(origin, attempt.start),
                        }
                    )
                segments.append(
                    {
                        "kind": "attempt" if attempt.number == 1 else "retry",
                        "start_ms": _ms(origin, attempt.start),
                        "end_ms": _ms(origin, attempt.end or end),
                        "outcome": attempt.outcome,
                    }
                )
        else:
            segments.append(
                {
                    "kind": "wait" if visit.type == "Wait" else "run",
                    "start_ms": _ms(origin, visit.start),
                    "end_ms": _ms(origin, end),
                }
            )
        rows.append(
            {
                "name": visit.name,
                "type": visit.type,
                "status": visit.status(trace.status),
                "start_ms": _ms(origin, visit.start),
                "duration_ms": _ms(visit.start, end),
                "retries": visit.retries,
                "segments": segments,
            }
        )
    return rows


def visit_detail(visit: Visit, execution_status: str) -> dict[str, Any]:
    """The state details panel: input, effective parameters, result, output, error, attempts."""
    return {
        "name": visit.name,
        "type": visit.type,
        "status": visit.status(execution_status),
        "start": visit.start,
        "end": visit.end,
        "duration_ms": _ms(visit.start, visit.end) if visit.end else None,
        "input": parse_json(visit.input),
        "parameters": parse_json(visit.parameters),
        "result": parse_json(visit.result),
        "submitted": parse_json(visit.submitted),
        "output": parse_json(visit.output),
        "error": visit.error,
        "cause": parse_json(visit.cause),
        "resource": visit.resource,
        "map_run_arn": visit.map_run_arn,
        "attempts": [
            {
                "number": a.number,
                "start": a.start,
                "end": a.end,
                "outcome": a.outcome,
                "error": a.error,
                "cause": a.cause,
                "backoff_ms": a.backoff_ms,
                "duration_ms": _ms(a.start, a.end) if a.end else None,
                "request_id": a.request_id,
            }
            for a in visit.attempts
        ],
    }
