"""Task state service integrations: what a `Resource` ARN means and how the call is made.

One module per service (`lambda_invoke`, `sqs`, `sns`, `dynamodb`, `eventbridge`, `stepfunctions`,
`aws_sdk`), picked by the factory table in `registry.py`; the integration patterns (Request Response,
`.sync`, `.waitForTaskToken`) and the task timeout are handled once, in `patterns.py`; AWS's response
metadata and error naming in `sdk.py`.

Results and error names follow what AWS Step Functions returns for each integration ("Integrating
services with Step Functions", "Invoke a Lambda function", "Discover service integration patterns",
"Learning to use AWS service SDK integrations"), so Retry/Catch blocks and ResultSelectors written
against AWS work unchanged here.
"""

from __future__ import annotations

from workflow.engine.integrations.patterns import (
    REQUEST_RESPONSE,
    RUN_JOB,
    RUN_JOB_2,
    WAIT_FOR_TASK_TOKEN,
    ResourceRef,
    TaskCancelled,
    TaskRequest,
)
from workflow.engine.integrations.registry import INTEGRATIONS, parse_resource, run_task

__all__ = [
    "INTEGRATIONS",
    "REQUEST_RESPONSE",
    "RUN_JOB",
    "RUN_JOB_2",
    "WAIT_FOR_TASK_TOKEN",
    "ResourceRef",
    "TaskCancelled",
    "TaskRequest",
    "parse_resource",
    "run_task",
]
