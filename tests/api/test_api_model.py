"""The shared wire model (tasks/api/message_model.py): exact numbers, canonical keys, pagination tokens."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from api_request import decode_token, encode_token, validate
from api_response import ApiError, to_json
from message_model import MessageUpdate, NewMessage, canonical_time, timestamp_of


def test_to_json_writes_decimals_exactly_as_json_numbers() -> None:
    value = {"a": Decimal("1559040909.3853335123456789"), "b": [Decimal("1E+125"), Decimal("-0.5")], "c": "é"}
    text = to_json(value)
    assert json.loads(text, parse_float=Decimal) == {
        "a": Decimal("1559040909.3853335123456789"),
        "b": [Decimal("1E+125"), Decimal("-0.5")],
        "c": "é",
    }
    assert '"c":"é"' in text


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("10:55:09", "10:55:09"),
        ("10:55:09.0", "10:55:09"),
        ("10:55:09.3853335", "10:55:09.3853335"),
        ("10:55:09.50", "10:55:09.5"),
    ],
)
def test_times_are_stored_as_the_pipeline_stores_them(given: str, stored: str) -> None:
    assert canonical_time(given) == stored


def test_timestamp_is_the_exact_epoch_of_date_and_time() -> None:
    """The pipeline derives date and time from the timestamp (UTC); the API derives it back, exactly."""
    assert timestamp_of("2019-05-28", "10:55:09.3853335") == Decimal("1559040909.3853335")
    assert timestamp_of("1969-12-31", "23:59:59.5") == Decimal("-0.5")
    assert timestamp_of("9999-12-31", "23:59:59." + "9" * 26) == Decimal("253402300799." + "9" * 26)


def test_a_time_too_precise_for_its_timestamp_is_a_400_not_a_500() -> None:
    body = {
        "date": "9999-12-31",
        "time": "23:59:59." + "9" * 27,
        "location": "l",
        "source": "s",
        "local_dest": "a",
        "remote_dest": "b",
        "local_avg": Decimal(1),
        "remote_avg": Decimal(1),
    }
    with pytest.raises(ApiError) as raised:
        validate(NewMessage, body)
    assert raised.value.status == 400 and raised.value.field == "time"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (Decimal("1E-130"), True),
        (Decimal("1E-131"), False),
        (Decimal("9.9E+125"), True),
        (Decimal("1E+126"), False),
        (Decimal("1" * 38), True),
        (Decimal("1" * 39), False),
        (Decimal(0), True),
    ],
)
def test_numbers_are_held_to_dynamodb_limits(value: Decimal, ok: bool) -> None:
    body = {
        "date": "2019-05-28",
        "time": "10:00:00",
        "location": "l",
        "source": "s",
        "local_dest": "a",
        "remote_dest": "b",
        "local_avg": value,
        "remote_avg": Decimal(1),
    }
    if ok:
        assert validate(NewMessage, body).local_avg == value
    else:
        with pytest.raises(ApiError) as raised:
            validate(NewMessage, body)
        assert raised.value.status == 400 and raised.value.field == "local_avg"


def test_update_reads_only_plain_set_expressions() -> None:
    update = validate(
        MessageUpdate,
        {
            "UpdateExpression": "SET local_avg = :a, source = :b",
            "ExpressionAttributeValues": {":a": "1.50", ":b": "wired"},
        },
    )
    assert update.changes() == {"local_avg": Decimal("1.5"), "source": "wired"}
    with pytest.raises(ApiError) as raised:
        validate(MessageUpdate, {"UpdateExpression": "SET local_avg = :a", "ExpressionAttributeValues": {}})
    assert ":a" in raised.value.message


def test_tokens_round_trip_and_are_bound_to_their_date() -> None:
    token = encode_token({"date": "2019-05-28", "time": "10:00:00.5"})
    assert decode_token(token) == {"date": "2019-05-28", "time": "10:00:00.5"}
    assert decode_token(token, "2019-05-28")["time"] == "10:00:00.5"
    with pytest.raises(ApiError):
        decode_token(token, "2019-05-29")
