"""POST /message: create a message; 201 with the item and its Location, 409 if the key is taken.

The body is the plain message; the seed's `{"Item": {...}}` envelope is accepted too.
"""

from __future__ import annotations

import os
from typing import Any

import message_store
from api_request import read_json_body, validate
from api_response import api_handler, json_response, location_of
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from message_model import NewMessage, public_item


def post_message(event: APIGatewayProxyEvent, request_id: str) -> dict[str, Any]:
    message = validate(NewMessage, read_json_body(event, int(os.environ.get("MAX_BODY_BYTES", "10240"))))
    item = message.item(request_id)
    message_store.create(item)
    return json_response(201, public_item(item), {"Location": location_of(event, message.date, message.time)})


handler = api_handler(post_message)
