"""Step Functions: `arn:aws:states:::states:startExecution` with all three patterns
("Start a new AWS Step Functions state machine execution"): Request Response and Wait for Callback answer
with the started execution; `.sync` and `.sync:2` wait for it to end (`patterns.wait_for_job`) and answer
with its DescribeExecution (`.sync:2` with Input/Output parsed as JSON)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from workflow.engine.errors import TASK_FAILED, StatesError
from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import RUN_JOB_2, SyncJob, TaskCall
from workflow.engine.json_format import compact_json
from workflow.engine.time_format import epoch_millis

NAMES = sdk.ServiceNames("StepFunctions", "AWSStepFunctionsException", "AWSStepFunctions")


class StepFunctionsApi(Protocol):
    """What this integration calls on a Step Functions client."""

    def start_execution(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def describe_execution(self, *, executionArn: str) -> Mapping[str, Any]: ...
    def stop_execution(self, *, executionArn: str) -> Mapping[str, Any]: ...


_DESCRIBE_KEYS = {
    "executionArn": "ExecutionArn",
    "stateMachineArn": "StateMachineArn",
    "name": "Name",
    "status": "Status",
    "startDate": "StartDate",
    "stopDate": "StopDate",
    "input": "Input",
    "inputDetails": "InputDetails",
    "output": "Output",
    "outputDetails": "OutputDetails",
    "error": "Error",
    "cause": "Cause",
    "redriveCount": "RedriveCount",
    "redriveStatus": "RedriveStatus",
    "redriveStatusReason": "RedriveStatusReason",
    "mapRunArn": "MapRunArn",
    "traceHeader": "TraceHeader",
    "redriveDate": "RedriveDate",
}


def _epoch_ms(value: Any) -> Any:
    """Optimized integrations show the API's timestamps as epoch milliseconds."""
    return epoch_millis(value) if isinstance(value, datetime) else value


def _client(call: TaskCall) -> StepFunctionsApi:
    client: StepFunctionsApi = call.backend.client("stepfunctions")
    return client


def _describe_output(described: Mapping[str, Any], parse_output: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in described.items():
        if key == "ResponseMetadata":
            continue
        name = _DESCRIBE_KEYS.get(key, key[:1].upper() + key[1:])
        if isinstance(value, Mapping):
            value = {k[:1].upper() + k[1:]: v for k, v in value.items()}
        out[name] = _epoch_ms(value)
    if parse_output:
        for field in ("Input", "Output"):
            if isinstance(out.get(field), str):
                with contextlib.suppress(ValueError):
                    out[field] = json.loads(out[field])
    return out


def _start(call: TaskCall) -> dict[str, Any]:
    kwargs = sdk.params_object(call.params, "states:startExecution")
    request: dict[str, Any] = {"stateMachineArn": kwargs.get("StateMachineArn")}
    if "Input" in kwargs:
        request["input"] = sdk.as_text(kwargs["Input"])
    if kwargs.get("Name"):
        request["name"] = kwargs["Name"]
    if kwargs.get("TraceHeader"):
        request["traceHeader"] = kwargs["TraceHeader"]
    client = _client(call)
    return sdk.call(NAMES, client, lambda: client.start_execution(**request))


def start_execution(call: TaskCall) -> Any:
    """Request Response / Wait for Callback: the new execution's ARN and start date."""
    started = _start(call)
    result = {"ExecutionArn": started["executionArn"], "StartDate": _epoch_ms(started["startDate"])}
    result.update(sdk.with_metadata({"ResponseMetadata": started.get("ResponseMetadata", {})}))
    return result


def _describe(call: TaskCall, arn: str) -> tuple[bool, Any]:
    client = _client(call)
    described = sdk.call(NAMES, client, lambda: client.describe_execution(executionArn=arn))
    return described.get("status") == "RUNNING", described


def _stop(call: TaskCall, arn: str) -> None:
    client = _client(call)
    sdk.call(NAMES, client, lambda: client.stop_execution(executionArn=arn))


def _finish(call: TaskCall, described: Mapping[str, Any]) -> Any:
    output = _describe_output(described, parse_output=call.ref.pattern == RUN_JOB_2)
    if described.get("status") != "SUCCEEDED":
        # The child's failure fails the task, the DescribeExecution output as cause (connect-stepfunctions).
        cause = compact_json(_describe_output(described, False), ensure_ascii=True, default=str)
        raise StatesError(TASK_FAILED, cause)
    output.update(sdk.with_metadata({"ResponseMetadata": described.get("ResponseMetadata", {})}))
    return output


EXECUTION_JOB = SyncJob(
    start=lambda call: str(_start(call)["executionArn"]),
    describe=_describe,
    stop=_stop,
    finish=_finish,
)
