"""DynamoDB: `arn:aws:states:::dynamodb:{getItem,putItem,updateItem,deleteItem}`
("Call DynamoDB APIs with Step Functions"): the parameters are the API's, the answer is its response."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from workflow.engine.integrations import sdk
from workflow.engine.integrations.patterns import TaskCall

NAMES = sdk.ServiceNames("DynamoDB", "AmazonDynamoDBException", "AmazonDynamoDBv2")


class DynamoDbApi(Protocol):
    """What these integrations call on a DynamoDB client."""

    def get_item(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def put_item(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def update_item(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def delete_item(self, **kwargs: Any) -> Mapping[str, Any]: ...


def _item_call(action: str, method: Callable[[DynamoDbApi], Callable[..., Mapping[str, Any]]]) -> Any:
    def run(call: TaskCall) -> Any:
        kwargs = sdk.params_object(call.params, f"dynamodb:{action}")
        client: DynamoDbApi = call.backend.client("dynamodb")
        return sdk.with_metadata(sdk.call(NAMES, client, lambda: method(client)(**kwargs)))

    run.__name__ = action
    return run


get_item = _item_call("getItem", lambda c: c.get_item)
put_item = _item_call("putItem", lambda c: c.put_item)
update_item = _item_call("updateItem", lambda c: c.update_item)
delete_item = _item_call("deleteItem", lambda c: c.delete_item)
