"""SQS: `arn:aws:states:::sqs:sendMessage` ("Send messages to an Amazon SQS queue with Step Functions")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflow.engine.errors import StatesError
from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import TaskCall

NAMES = sdk.ServiceNames("SQS", "AmazonSQSException", "AmazonSQS")


class SqsApi(Protocol):
    """What this integration calls on an SQS client."""

    def send_message(self, **kwargs: Any) -> Mapping[str, Any]: ...


def send_message(call: TaskCall) -> Any:
    """A JSON MessageBody is sent as its JSON text; the answer is SendMessage's, with AWS's metadata."""
    kwargs = sdk.params_object(call.params, "sqs:sendMessage")
    if kwargs.get("MessageBody", None) is None:
        # a null (or no) body reaches SQS as no body at all: its MissingParameter, as recorded
        # (error_handling/test_task_service_sqs.py::test_send_message_empty_body)
        raise StatesError(
            "SQS.AmazonSQSException",
            sdk.optimized_cause(
                NAMES, 400, "MissingParameter", "The request must contain the parameter MessageBody."
            ),
        )
    kwargs["MessageBody"] = sdk.as_text(kwargs["MessageBody"])
    client: SqsApi = call.backend.client("sqs")
    return sdk.with_metadata(sdk.call(NAMES, client, lambda: client.send_message(**kwargs)))
