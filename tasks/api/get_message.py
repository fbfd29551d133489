"""GET /message/{date}: with `?time=T` one message (404 when absent); without, that date's messages, newest
first, paginated like GET /message (a DynamoDB Query of the date's partition, not a Scan)."""

from __future__ import annotations

from typing import Any

import message_store
from api_request import date_param, item_key, page_params
from api_response import api_handler, json_response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from message_model import DatePageParams, public_item


def get_message(event: APIGatewayProxyEvent, request_id: str) -> dict[str, Any]:
    if event.query_string_parameters.get("time") is None:
        params = page_params(event, DatePageParams)
        return json_response(200, message_store.page_body(params, date_param(event)))
    date, time = item_key(event, DatePageParams)
    return json_response(200, public_item(message_store.get(date, time)))


handler = api_handler(get_message)
