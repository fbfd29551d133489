"""Read one execution from the Step Functions API: the same calls on the twin and on AWS.

DescribeExecution, GetExecutionHistory (paged), ListMapRuns, DescribeMapRun, ListExecutions(mapRunArn)
(paged), each child's GetExecutionHistory, and DescribeStateMachineForExecution (how the state machine logs
and traces). Nothing else: no CloudWatch, no Cost Explorer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from workflow.cost.meter import ChildRecord, MapRunRecord, RecordedExecution

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import HistoryEventTypeDef

T = TypeVar("T")


def history(sfn: SFNClient, arn: str) -> list[HistoryEventTypeDef]:
    """Every event of one execution, following nextToken."""
    events: list[HistoryEventTypeDef] = []
    page = sfn.get_execution_history(executionArn=arn, maxResults=1000)
    while True:
        events.extend(page.get("events", []))
        token = page.get("nextToken")
        if not token:
            return events
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, nextToken=token)


def _paged(call: Callable[..., Mapping[str, Any]], key: str, **kwargs: str) -> Iterator[dict[str, Any]]:
    """Every item under `key` of a listing call, following nextToken."""
    while True:
        page = call(**kwargs)
        yield from page.get(key, [])
        token = page.get("nextToken")
        if not token:
            return
        kwargs["nextToken"] = token


def spread(items: list[T], sample: int | None) -> list[T]:
    """At most `sample` items, evenly spread over the list (all of them when `sample` is None)."""
    if sample is None or sample >= len(items):
        return items
    if sample <= 0:
        return []
    step = len(items) / sample
    return [items[int(i * step)] for i in range(sample)]


def record(sfn: SFNClient, arn: str, sample: int | None = None) -> RecordedExecution:
    """The execution, its Map Runs and their children with full histories (`sample`: at most that many
    children's histories per Map Run, evenly spread; their counts are scaled to all children)."""
    description = dict(sfn.describe_execution(executionArn=arn))
    description.pop("ResponseMetadata", None)
    map_runs = []
    for run in _paged(sfn.list_map_runs, "mapRuns", executionArn=arn):
        run_arn = run["mapRunArn"]
        described = dict(sfn.describe_map_run(mapRunArn=run_arn))
        described.pop("ResponseMetadata", None)
        listed = list(_paged(sfn.list_executions, "executions", mapRunArn=run_arn))
        children = [
            ChildRecord(
                arn=child["executionArn"],
                status=child.get("status", ""),
                events=history(sfn, child["executionArn"]),
                redrive_count=int(child.get("redriveCount", 0) or 0),
            )
            for child in spread(listed, sample)
        ]
        total = len(listed) if len(children) < len(listed) else None
        map_runs.append(MapRunRecord(run_arn, described, children, total))
    return RecordedExecution(arn, description, history(sfn, arn), map_runs, state_machine(sfn, arn))


def state_machine(sfn: SFNClient, arn: str) -> dict[str, Any] | None:
    """DescribeStateMachineForExecution (its logging and tracing), or None when it cannot be read."""
    try:
        described = dict(sfn.describe_state_machine_for_execution(executionArn=arn))
    except ClientError:
        return None
    described.pop("ResponseMetadata", None)
    described.pop("definition", None)  # large, and the meter reads the histories instead
    return described
