"""The explicit wiring of the running states: one runner per state type and Map mode, typed statuses that
are AWS's own spellings, and task-token outcomes as typed values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import botocore.session
import pytest

from workflow.engine.asl.parse import parse_state
from workflow.engine.asl.vocabulary import ProcessorMode, StateType
from workflow.engine.errors import ServiceError
from workflow.engine.states.runners import MAP_RUNNERS, RUNNERS
from workflow.engine.states.step import StateRun
from workflow.engine.states.tokens import TaskFailure, TaskSuccess, TokenRegistry
from workflow.engine.statuses import (
    END_EVENTS,
    UNSUCCESSFUL,
    ExecutionStatus,
    MapRunStatus,
    RedriveStatus,
)


def test_every_state_type_and_map_mode_has_a_runner() -> None:
    assert set(RUNNERS) == set(StateType)
    assert set(MAP_RUNNERS) == set(ProcessorMode)


def test_a_runner_refuses_a_state_of_another_type() -> None:
    """A table row pairs a state class with its runner; a mismatch is an engine bug and fails loudly."""
    wait = parse_state("W", {"Type": "Wait", "Seconds": 1, "End": True})
    run = StateRun(wait, datetime.now(UTC))
    with pytest.raises(TypeError, match="'W' is a Wait, not a Pass"):
        RUNNERS[StateType.PASS](wait, {}, None, run)  # type: ignore[arg-type]


def _enum(shape: str) -> set[str]:
    model = botocore.session.get_session().get_service_model("stepfunctions")
    return set(model.shape_for(shape).enum)


@pytest.mark.parametrize(
    ("statuses", "shape"),
    [
        (ExecutionStatus, "ExecutionStatus"),
        (MapRunStatus, "MapRunStatus"),
        (RedriveStatus, "ExecutionRedriveStatus"),
    ],
)
def test_statuses_are_exactly_the_api_model_enums(statuses: Any, shape: str) -> None:
    """The Literal types spell what the Step Functions API model (botocore's stepfunctions service model,
    shapes ExecutionStatus, MapRunStatus, ExecutionRedriveStatus) lists, no more and no fewer."""
    assert set(get_args(statuses)) == _enum(shape)


def test_every_end_of_an_execution_has_its_history_event() -> None:
    """ExecutionSucceeded/Failed/TimedOut/Aborted (HistoryEventType in the API model) close an execution."""
    assert set(END_EVENTS) == {"SUCCEEDED", *UNSUCCESSFUL}
    assert set(END_EVENTS.values()) <= _enum("HistoryEventType")


def test_task_token_outcomes_are_typed_and_complete_once() -> None:
    """SendTaskSuccess/SendTaskFailure hand the waiting task one outcome; a second answer to the same token
    is TaskTimedOut, a malformed token InvalidToken, an unknown one TaskDoesNotExist (SendTaskSuccess API
    reference, Errors)."""
    tokens = TokenRegistry()
    ok = tokens.issue("arn:aws:states:us-east-1:000000000000:execution:m:e", "Enqueue")
    tokens.succeed(ok.token, {"written": 3})
    assert ok.outcome == TaskSuccess({"written": 3}) and ok.event.is_set()
    with pytest.raises(ServiceError) as again:
        tokens.fail(ok.token, "Writer.Throttled", "late")
    assert again.value.code == "TaskTimedOut"
    failed = tokens.issue("arn:aws:states:us-east-1:000000000000:execution:m:e", "Enqueue")
    tokens.fail(failed.token, "Writer.BadMessage", "no items")
    assert failed.outcome == TaskFailure("Writer.BadMessage", "no items")
    with pytest.raises(ServiceError) as malformed:
        tokens.succeed("not-a-token", {})
    assert malformed.value.code == "InvalidToken"
    elsewhere = TokenRegistry().issue("arn:aws:states:us-east-1:000000000000:execution:m:x", "Enqueue")
    with pytest.raises(ServiceError) as unknown:
        tokens.succeed(elsewhere.token, {})
    assert unknown.value.code == "TaskDoesNotExist"
