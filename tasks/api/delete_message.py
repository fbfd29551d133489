"""DELETE /message/{date}?time=T: 204 when deleted, 404 if there was no such message."""

from __future__ import annotations

from typing import Any

import message_store
from api_request import item_key
from api_response import api_handler, json_response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def delete_message(event: APIGatewayProxyEvent, request_id: str) -> dict[str, Any]:
    date, time = item_key(event)
    message_store.delete(date, time)
    return json_response(204)


handler = api_handler(delete_message)
