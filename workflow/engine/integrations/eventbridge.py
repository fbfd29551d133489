"""EventBridge: `arn:aws:states:::events:putEvents` ("Add EventBridge events with Step Functions")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflow.engine.errors import StatesError
from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import TaskCall
from workflow.engine.json_format import compact_json

NAMES = sdk.ServiceNames("EventBridge", "AmazonEventBridgeException", "AmazonEventBridge")


class EventsApi(Protocol):
    """What this integration calls on an EventBridge client."""

    def put_events(self, **kwargs: Any) -> Mapping[str, Any]: ...


def put_events(call: TaskCall) -> Any:
    """Each entry's JSON Detail is sent as its JSON text; a failed entry fails the task."""
    kwargs = sdk.params_object(call.params, "events:putEvents")
    entries = [dict(e) for e in kwargs.get("Entries", [])]
    for entry in entries:
        if "Detail" in entry:
            entry["Detail"] = sdk.as_text(entry["Detail"])
    kwargs["Entries"] = entries
    client: EventsApi = call.backend.client("events")
    response = sdk.call(NAMES, client, lambda: client.put_events(**kwargs))
    if response.get("FailedEntryCount", 0):
        # "If there's a failed entry, the task fails with EventBridge.FailedEntry" (connect-eventbridge).
        failed = {k: v for k, v in response.items() if k != "ResponseMetadata"}
        raise StatesError("EventBridge.FailedEntry", compact_json(failed, ensure_ascii=True))
    return sdk.with_metadata(response)
