"""PUT /message/{date}?time=T: change the given fields of an existing message; 200 with the new item, 404
if it does not exist (the write is conditional, so an update never creates)."""

from __future__ import annotations

import os
from typing import Any

import message_store
from api_request import item_key, read_json_body, validate
from api_response import api_handler, json_response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from message_model import MessageUpdate, public_item


def put_message(event: APIGatewayProxyEvent, request_id: str) -> dict[str, Any]:
    date, time = item_key(event)
    update = validate(MessageUpdate, read_json_body(event, int(os.environ.get("MAX_BODY_BYTES", "10240"))))
    return json_response(200, public_item(message_store.update(date, time, update.changes())))


handler = api_handler(put_message)
