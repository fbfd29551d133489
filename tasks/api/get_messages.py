"""GET /message: one page of all messages (`limit`, opaque `next`), in the table's order."""

from __future__ import annotations

from typing import Any

import message_store
from api_request import page_params
from api_response import api_handler, json_response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


def list_messages(event: APIGatewayProxyEvent, request_id: str) -> dict[str, Any]:
    return json_response(200, message_store.page_body(page_params(event)))


handler = api_handler(list_messages)
