"""The Step Functions API, in process: boto3's `stepfunctions` method names, the API's camelCase parameters
and response dicts (datetimes as `datetime`), and AWS's error codes as `ServiceError`.

`http_api` serves this object over HTTP; `inprocess_client` wraps it so boto3-style code can call it directly.
The actions live in `workflow/engine/api/`, one module per concern; `ACTIONS` below is the table of every
API action this service answers and the group (module) that implements it.
"""

from __future__ import annotations

from workflow.engine.api.callbacks import CallbackActions
from workflow.engine.api.checks import CheckActions
from workflow.engine.api.common import StateMachineRecord
from workflow.engine.api.executions import ExecutionActions
from workflow.engine.api.map_runs import MapRunActions
from workflow.engine.api.state_machines import StateMachineActions
from workflow.engine.api.tags import TagActions

__all__ = ["ACTIONS", "StateMachineRecord", "StepFunctions"]


class StepFunctions(
    StateMachineActions, ExecutionActions, MapRunActions, CallbackActions, CheckActions, TagActions
):
    """An in-memory AWS Step Functions service running executions with the local engine."""


# API action (as in `X-Amz-Target: AWSStepFunctions.<Action>`) -> the group implementing it; the method is
# the action's snake_case name, as boto3 names it.
ACTIONS: dict[str, type] = {
    "CreateStateMachine": StateMachineActions,
    "DescribeStateMachine": StateMachineActions,
    "UpdateStateMachine": StateMachineActions,
    "ListStateMachines": StateMachineActions,
    "DeleteStateMachine": StateMachineActions,
    "StartExecution": ExecutionActions,
    "StartSyncExecution": ExecutionActions,
    "StopExecution": ExecutionActions,
    "DescribeExecution": ExecutionActions,
    "DescribeStateMachineForExecution": ExecutionActions,
    "ListExecutions": ExecutionActions,
    "GetExecutionHistory": ExecutionActions,
    "RedriveExecution": ExecutionActions,
    "DescribeMapRun": MapRunActions,
    "ListMapRuns": MapRunActions,
    "UpdateMapRun": MapRunActions,
    "SendTaskSuccess": CallbackActions,
    "SendTaskFailure": CallbackActions,
    "SendTaskHeartbeat": CallbackActions,
    "ValidateStateMachineDefinition": CheckActions,
    "TestState": CheckActions,
    "TagResource": TagActions,
    "UntagResource": TagActions,
    "ListTagsForResource": TagActions,
}
