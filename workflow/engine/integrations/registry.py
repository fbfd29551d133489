"""Which module serves a Task's `Resource`: the factory table, the ARN parser and `run_task`.

`INTEGRATIONS` is the one list of the optimized integrations this engine implements, each with its handler
and the patterns AWS supports for it ("Integrating optimized services with Step Functions" table). Plain
Lambda function ARNs and `aws-sdk:<service>:<action>` resources have one entry each. To add an
integration: write its module (a handler taking a `TaskCall`), add a row here, and a test in
tests/engine/test_integrations.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflow.engine.backend import Backend
from workflow.engine.integrations import (
    aws_sdk,
    dynamodb,
    eventbridge,
    lambda_invoke,
    sns,
    sqs,
    stepfunctions,
)
from workflow.engine.integrations.patterns import (
    PATTERN_SUFFIX,
    REQUEST_RESPONSE,
    RUN_JOB,
    RUN_JOB_2,
    RUN_JOB_PATTERNS,
    WAIT_FOR_TASK_TOKEN,
    Handler,
    ResourceRef,
    SyncJob,
    TaskCall,
    TaskRequest,
    Waiter,
    split_pattern,
    wait_for_job,
    within_timeout,
)
from workflow.engine.integrations.sdk import not_recognized


@dataclass(frozen=True)
class Integration:
    """One resource: the call it makes, the patterns AWS allows for it, and how its `.sync` job is run."""

    handler: Handler
    patterns: frozenset[str]
    job: SyncJob | None = None


_RR = frozenset({REQUEST_RESPONSE})
_RR_CALLBACK = frozenset({REQUEST_RESPONSE, WAIT_FOR_TASK_TOKEN})
_ALL = frozenset({REQUEST_RESPONSE, RUN_JOB, RUN_JOB_2, WAIT_FOR_TASK_TOKEN})

# `arn:aws:states:::<service>:<action>[.<pattern>]` -> its integration.
INTEGRATIONS: dict[tuple[str, str], Integration] = {
    ("lambda", "invoke"): Integration(lambda_invoke.invoke, _RR_CALLBACK),
    ("sqs", "sendMessage"): Integration(sqs.send_message, _RR_CALLBACK),
    ("dynamodb", "getItem"): Integration(dynamodb.get_item, _RR),
    ("dynamodb", "putItem"): Integration(dynamodb.put_item, _RR),
    ("dynamodb", "updateItem"): Integration(dynamodb.update_item, _RR),
    ("dynamodb", "deleteItem"): Integration(dynamodb.delete_item, _RR),
    ("states", "startExecution"): Integration(
        stepfunctions.start_execution, _ALL, stepfunctions.EXECUTION_JOB
    ),
    ("events", "putEvents"): Integration(eventbridge.put_events, _RR_CALLBACK),
    ("sns", "publish"): Integration(sns.publish, _RR_CALLBACK),
}
# `arn:aws:states:::aws-sdk:<service>:<action>`: Request Response and Wait for Callback, not .sync.
AWS_SDK = Integration(aws_sdk.call_api, _RR_CALLBACK)
# `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`: the function's own result.
LAMBDA_FUNCTION = Integration(lambda_invoke.invoke_function_arn, _RR)

_STATES_ARN = re.compile(r"^arn:[\w-]+:states:[\w-]*:\d*:(?P<rest>.+)$")
_LAMBDA_ARN = re.compile(r"^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$")


def parse_resource(resource: str) -> ResourceRef:
    """Parse a Task state's Resource ARN; unknown or unsupported ones raise StatesError(States.Runtime)."""
    if _LAMBDA_ARN.match(resource):
        return ResourceRef("lambda", "invoke", REQUEST_RESPONSE, "lambda", resource, is_lambda_arn=True)
    match = _STATES_ARN.match(resource)
    if not match:
        raise not_recognized(resource)
    rest, pattern = split_pattern(match["rest"])
    parts = rest.split(":")
    if len(parts) == 3 and parts[0] == "aws-sdk" and parts[1] and parts[2]:
        integration, service, action = AWS_SDK, f"aws-sdk:{parts[1]}", parts[2]
    elif len(parts) == 2 and (parts[0], parts[1]) in INTEGRATIONS:
        service, action = parts[0], parts[1]
        integration = INTEGRATIONS[(service, action)]
    else:
        raise not_recognized(resource)
    if pattern not in integration.patterns:
        raise not_recognized(resource)
    return ResourceRef(service, action, pattern, service, action + PATTERN_SUFFIX.get(pattern, ""))


def integration_for(ref: ResourceRef) -> Integration:
    """The table's entry for a parsed resource."""
    if ref.is_lambda_arn:
        return LAMBDA_FUNCTION
    if ref.service.startswith("aws-sdk:"):
        return AWS_SDK
    integration = INTEGRATIONS.get((ref.service, ref.action))
    if integration is None:
        raise not_recognized(ref.resource)
    return integration


def _dispatch(call: TaskCall) -> Any:
    integration = integration_for(call.ref)
    if call.ref.pattern in RUN_JOB_PATTERNS and integration.job is not None:
        return wait_for_job(call, integration.job)
    return integration.handler(call)


def run_task(
    request: TaskRequest,
    backend: Backend,
    *,
    sleep: Callable[[float], None],
    cancelled: Callable[[], bool],
    wait: Waiter | None = None,
) -> Any:
    """Perform one Task attempt and return its result as AWS's integration returns it.

    For `.waitForTaskToken` resources it sends the request and returns the service's response, which the
    history records in the TaskSubmitted event; the executor then waits for SendTaskSuccess/Failure/
    Heartbeat. Errors raise StatesError with AWS's error names. When the
    request has a timeout, the call runs in a worker thread and States.Timeout is raised once `timeout_s`
    passes on the engine's clock: `wait` is the clock's `wait(event, seconds)` (by default taken from the
    clock that `sleep` belongs to); without one the call runs inline, unbounded.
    """
    ref = parse_resource(request.resource)
    if wait is None:
        wait = getattr(getattr(sleep, "__self__", None), "wait", None)

    def run(gave_up: Callable[[], bool]) -> Any:
        return _dispatch(TaskCall(ref, request.parameters, backend, sleep, cancelled, gave_up))

    if request.timeout_s is None or wait is None:
        return run(lambda: False)
    return within_timeout(run, request.timeout_s, wait, cancelled, request.execution_arn)
