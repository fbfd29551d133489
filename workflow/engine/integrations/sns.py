"""SNS: `arn:aws:states:::sns:publish` ("Publish messages to an Amazon SNS topic with Step Functions")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import TaskCall

NAMES = sdk.ServiceNames("SNS", "AmazonSNSException", "AmazonSNS")


class SnsApi(Protocol):
    """What this integration calls on an SNS client."""

    def publish(self, **kwargs: Any) -> Mapping[str, Any]: ...


def publish(call: TaskCall) -> Any:
    kwargs = sdk.params_object(call.params, "sns:publish")
    if "Message" in kwargs:
        kwargs["Message"] = sdk.as_text(kwargs["Message"])  # a JSON Message is published as its JSON text
    client: SnsApi = call.backend.client("sns")
    return sdk.with_metadata(sdk.call(NAMES, client, lambda: client.publish(**kwargs)))
