"""The statuses of things the engine runs, in one place: executions, Map Runs, redrive eligibility.

Literal types of AWS's wire spellings (DescribeExecution's `status`, DescribeMapRun's `status`,
`redriveStatus`) rather than enums: the records hold the very strings the API returns (responses are built
from them unchanged, and in-process callers get plain `str`), while mypy rejects a misspelt or unexpected
status wherever a record's status is set or compared.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

ExecutionStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"]
"""An execution's status (DescribeExecution, ListExecutions `statusFilter`)."""

EXECUTION_STATUSES: Final[tuple[ExecutionStatus, ...]] = get_args(ExecutionStatus)

# The ends a redrive can continue from (RedriveExecution: "FAILED, ABORTED, or TIMED_OUT").
UNSUCCESSFUL: Final[frozenset[ExecutionStatus]] = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})

# The history event that closes an execution, by the status it ended with.
END_EVENTS: Final[dict[ExecutionStatus, str]] = {
    "SUCCEEDED": "ExecutionSucceeded",
    "FAILED": "ExecutionFailed",
    "TIMED_OUT": "ExecutionTimedOut",
    "ABORTED": "ExecutionAborted",
}

ChildStatus = ExecutionStatus | Literal["PENDING"]
"""A Map Run child's status: its execution's, or PENDING for an item not started yet (ResultWriter's
PENDING_n.json, DescribeMapRun's `pending` counts)."""

MapRunStatus = Literal["RUNNING", "SUCCEEDED", "FAILED", "ABORTED"]
"""A Map Run's status (DescribeMapRun)."""

# The Map Run ends a redrive of the parent execution continues (the Map Run is redriven, not started anew).
REDRIVABLE_MAP_RUN: Final[frozenset[MapRunStatus]] = frozenset({"FAILED", "ABORTED"})

RedriveStatus = Literal["REDRIVABLE", "NOT_REDRIVABLE", "REDRIVABLE_BY_MAP_RUN"]
"""Whether an execution can be redriven (DescribeExecution `redriveStatus`, ResultWriter's records)."""
