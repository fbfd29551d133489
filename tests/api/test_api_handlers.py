"""Unit tests per handler: each Lambda called with REST proxy events against a moto table."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.api_helpers import handler_of, new_message, pipeline_item, proxy_event

ITEM_PATH = "/message/{date}"


def call(key: str, event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    result = handler_of(key)(event, None)
    assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}
    body = json.loads(result["body"], parse_float=Decimal) if result["body"] else None
    return result["statusCode"], result["headers"], body


def post(body: Any, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    return call("api_post", proxy_event("POST", "/message", "/message", body=body, **kwargs))


def get_one(date: str, time: str) -> tuple[int, dict[str, str], Any]:
    return call(
        "api_get",
        proxy_event("GET", ITEM_PATH, f"/message/{date}", path_params={"date": date}, query={"time": time}),
    )


def put(date: str, time: str | None, body: Any) -> tuple[int, dict[str, str], Any]:
    query = {"time": time} if time is not None else None
    return call(
        "api_put",
        proxy_event("PUT", ITEM_PATH, f"/message/{date}", path_params={"date": date}, query=query, body=body),
    )


def delete(date: str, time: str) -> tuple[int, dict[str, str], Any]:
    return call(
        "api_delete",
        proxy_event(
            "DELETE", ITEM_PATH, f"/message/{date}", path_params={"date": date}, query={"time": time}
        ),
    )


def assert_error(
    response: tuple[int, dict[str, str], Any], status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    got_status, headers, body = response
    assert got_status == status, body
    assert headers["Content-Type"] == "application/json"
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"].get("field") == field
    assert "Traceback" not in body["error"]["message"]
    return body["error"]


# ---- POST -------------------------------------------------------------------------------------------------


def test_post_creates_201_with_item_location_and_derived_timestamp(table: Any) -> None:
    status, headers, body = post(new_message(), request_id="req-42")
    assert status == 201
    assert headers["Location"] == "/message/2019-05-28?time=10:55:19.5"
    stored = table.get_item(Key={"date": "2019-05-28", "time": "10:55:19.5"})["Item"]
    assert stored["timestamp"] == Decimal("1559040919.5")  # 2019-05-28T10:55:19.5Z, exact
    assert stored["local_avg"] == Decimal("7.31") and stored["remote_avg"] == Decimal("14.22")
    assert stored["source_file"] == "api" and stored["execution"] == "req-42"
    assert body == {
        "date": "2019-05-28",
        "time": "10:55:19.5",
        "timestamp": Decimal("1559040919.5"),
        "location": "location-01",
        "source": "wired",
        "local_dest": "router-2",
        "remote_dest": "device-2",
        "local_avg": Decimal("7.31"),
        "remote_avg": Decimal("14.22"),
        "source_file": "api",
        "execution": "req-42",
    }


def test_post_location_keeps_the_stage_prefix_that_api_gateway_strips_from_path(table: Any) -> None:
    """API Gateway REST proxy events carry the path without the stage; requestContext.path keeps it."""
    _, headers, _ = post(new_message(), context_path="/v1/message")
    assert headers["Location"] == "/v1/message/2019-05-28?time=10:55:19.5"


def test_post_accepts_the_seed_item_envelope(table: Any) -> None:
    status, _, body = post({"Item": new_message()})
    assert status == 201 and body["location"] == "location-01"


def test_post_conflict_is_409_and_never_overwrites(table: Any) -> None:
    table.put_item(Item=pipeline_item())
    response = post(new_message(time="10:55:09.3853335", location="elsewhere"))
    error = assert_error(response, 409, "AlreadyExists")
    assert "10:55:09.3853335" in error["message"]
    assert table.get_item(Key={"date": "2019-05-28", "time": "10:55:09.3853335"})["Item"] == pipeline_item()


def test_post_time_is_canonical_so_equal_times_collide(table: Any) -> None:
    """10:55:19.50 and 10:55:19.5 are the same instant: the pipeline stores the fraction without trailing
    zeros, so the API does too and the second create is a conflict, not a near-duplicate."""
    assert post(new_message(time="10:55:19.50"))[0] == 201
    assert_error(post(new_message(time="10:55:19.5")), 409, "AlreadyExists")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": "2019-02-30"}, "date"),
        ({"date": "28/05/2019"}, "date"),
        ({"time": "24:00:00"}, "time"),
        ({"time": "10:55"}, "time"),
        ({"local_avg": "7.31"}, "local_avg"),
        ({"local_avg": True}, "local_avg"),
        ({"remote_avg": 1e200}, "remote_avg"),
        ({"location": 3}, "location"),
        ({"location": ""}, "location"),
        ({"location": " padded"}, "location"),
        ({"colour": "red"}, "colour"),
        ({"timestamp": 1559040919.5}, "timestamp"),
        ({"source_file": "x.csv"}, "source_file"),
        ({"source": None}, "source"),
    ],
)
def test_post_bad_fields_are_400_naming_the_field(table: Any, change: dict[str, Any], field: str) -> None:
    body = new_message()
    body.update(change)
    if change.get("source", 0) is None:
        del body["source"]
    error = assert_error(post(body), 400, "ValidationFailed", field)
    assert error["message"]
    assert table.scan()["Count"] == 0


def test_post_read_only_field_says_why(table: Any) -> None:
    error = assert_error(post(new_message(timestamp=1)), 400, "ValidationFailed", "timestamp")
    assert "read-only" in error["message"]


@pytest.mark.parametrize("raw", ['{"date": ', "[]", "null", '"text"', '{"a": NaN}', '{"a": 1, "a": 2}', ""])
def test_post_malformed_json_is_400(table: Any, raw: str) -> None:
    assert_error(post(raw), 400, "MalformedJson")


def test_post_body_over_max_body_bytes_is_413(table: Any) -> None:
    assert_error(post(new_message(location="x" * 11_000)), 413, "PayloadTooLarge")


def test_post_reads_base64_bodies_as_api_gateway_sends_binary_payloads(table: Any) -> None:
    import base64

    event = proxy_event("POST", "/message", "/message")
    event["body"] = base64.b64encode(json.dumps(new_message()).encode()).decode()
    event["isBase64Encoded"] = True
    assert call("api_post", event)[0] == 201


def test_post_numbers_keep_every_digit(table: Any) -> None:
    raw = json.dumps(new_message()).replace("7.31", "7.310000000000000000000000000001")
    status, _, body = post(raw)
    assert status == 201
    assert body["local_avg"] == Decimal("7.310000000000000000000000000001")
    assert table.scan()["Items"][0]["local_avg"] == Decimal("7.310000000000000000000000000001")


# ---- GET one / by date ------------------------------------------------------------------------------------


def test_get_returns_the_pipeline_item(table: Any) -> None:
    table.put_item(Item=pipeline_item())
    status, _, body = get_one("2019-05-28", "10:55:09.3853335")
    assert status == 200
    assert body == pipeline_item()


def test_get_absent_is_404_not_an_empty_object(table: Any) -> None:
    assert_error(get_one("2019-05-28", "10:55:09"), 404, "NotFound")


def test_get_bad_time_is_400(table: Any) -> None:
    assert_error(get_one("2019-05-28", "25:00:00"), 400, "ValidationFailed", "time")


def test_get_by_date_is_newest_first_and_paginates(table: Any) -> None:
    times = [f"10:00:{s:02d}" for s in range(7)]
    for t in times:
        table.put_item(Item=pipeline_item(time=t))
    table.put_item(Item=pipeline_item(date="2019-05-29", time="00:00:01"))
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        query = {"limit": "3", **({"next": token} if token else {})}
        status, _, body = call(
            "api_get",
            proxy_event(
                "GET", ITEM_PATH, "/message/2019-05-28", path_params={"date": "2019-05-28"}, query=query
            ),
        )
        assert status == 200 and len(body["items"]) <= 3
        seen += [item["time"] for item in body["items"]]
        token = body.get("next")
        if token is None:
            break
    assert seen == sorted(times, reverse=True)


def test_get_by_date_rejects_a_token_from_another_date(table: Any) -> None:
    for t in ("10:00:00", "10:00:01"):
        table.put_item(Item=pipeline_item(date="2019-05-29", time=t))
    _, _, page = call(
        "api_get",
        proxy_event(
            "GET", ITEM_PATH, "/message/2019-05-29", path_params={"date": "2019-05-29"}, query={"limit": "1"}
        ),
    )
    response = call(
        "api_get",
        proxy_event(
            "GET",
            ITEM_PATH,
            "/message/2019-05-28",
            path_params={"date": "2019-05-28"},
            query={"next": page["next"]},
        ),
    )
    assert_error(response, 400, "ValidationFailed", "next")


# ---- GET list ---------------------------------------------------------------------------------------------


def test_list_pages_cover_every_item_once(table: Any) -> None:
    keys = {(f"2019-05-{d:02d}", f"10:00:{s:02d}") for d in range(1, 5) for s in range(3)}
    for date, time in keys:
        table.put_item(Item=pipeline_item(date=date, time=time))
    seen: list[tuple[str, str]] = []
    token = None
    while True:
        query = {"limit": "5", **({"next": token} if token else {})}
        status, _, body = call("api_list", proxy_event("GET", "/message", "/message", query=query))
        assert status == 200
        seen += [(i["date"], i["time"]) for i in body["items"]]
        token = body.get("next")
        if token is None:
            break
    assert sorted(seen) == sorted(keys)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"next": "not-a-token"}, "next"),
        ({"next": "eyJkYXRlIjoxfQ"}, "next"),
    ],
)
def test_list_bad_parameters_are_400(table: Any, query: dict[str, str], field: str) -> None:
    assert_error(
        call("api_list", proxy_event("GET", "/message", "/message", query=query)),
        400,
        "ValidationFailed",
        field,
    )


def test_list_of_the_seed_scan_event_without_request_context(table: Any) -> None:
    """The seed's event has no requestContext and an empty query: the handler must not need them."""
    table.put_item(Item=pipeline_item())
    event = {
        "body": "",
        "resource": "/",
        "path": "/message",
        "httpMethod": "SCAN",
        "isBase64Encoded": False,
        "queryStringParameters": {},
        "pathParameters": {},
        "stageVariables": {},
    }
    status, _, body = call("api_list", event)
    assert status == 200 and body == {"items": [pipeline_item()]}


# ---- PUT --------------------------------------------------------------------------------------------------


def test_put_changes_only_the_given_fields(table: Any) -> None:
    table.put_item(Item=pipeline_item())
    status, _, body = put("2019-05-28", "10:55:09.3853335", {"remote_avg": 9, "location": "location-09"})
    assert status == 200
    assert body == pipeline_item(remote_avg=Decimal(9), location="location-09")
    assert table.get_item(Key={"date": "2019-05-28", "time": "10:55:09.3853335"})["Item"] == body


def test_put_absent_is_404_and_creates_nothing(table: Any) -> None:
    assert_error(put("2019-05-28", "10:55:09", {"remote_avg": 9}), 404, "NotFound")
    assert table.scan()["Count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, None),
        ({"date": "2019-05-29"}, "date"),
        ({"time": "00:00:00"}, "time"),
        ({"execution": "x"}, "execution"),
        ({"remote_avg": "9"}, "remote_avg"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_put_bad_bodies_are_400(table: Any, body: dict[str, Any], field: str | None) -> None:
    table.put_item(Item=pipeline_item())
    assert_error(put("2019-05-28", "10:55:09.3853335", body), 400, "ValidationFailed", field)
    assert table.get_item(Key={"date": "2019-05-28", "time": "10:55:09.3853335"})["Item"] == pipeline_item()


def test_put_without_time_is_400(table: Any) -> None:
    assert_error(put("2019-05-28", None, {"remote_avg": 1}), 400, "ValidationFailed", "time")


def test_put_reads_the_seed_update_expression_body_as_plain_fields(table: Any) -> None:
    table.put_item(Item=pipeline_item())
    body = {"UpdateExpression": "set remote_avg = :val1", "ExpressionAttributeValues": {":val1": "9.00"}}
    status, _, item = put("2019-05-28", "10:55:09.3853335", body)
    assert status == 200 and item["remote_avg"] == Decimal(9)


@pytest.mark.parametrize("expression", ["remove remote_avg", "set date = :val1", "set a = :val1; drop"])
def test_put_update_expressions_beyond_plain_set_are_400(table: Any, expression: str) -> None:
    table.put_item(Item=pipeline_item())
    body = {"UpdateExpression": expression, "ExpressionAttributeValues": {":val1": "9"}}
    assert put("2019-05-28", "10:55:09.3853335", body)[0] == 400
    assert table.get_item(Key={"date": "2019-05-28", "time": "10:55:09.3853335"})["Item"] == pipeline_item()


# ---- DELETE -----------------------------------------------------------------------------------------------


def test_delete_is_204_then_404(table: Any) -> None:
    table.put_item(Item=pipeline_item())
    status, headers, body = delete("2019-05-28", "10:55:09.3853335")
    assert status == 204 and body is None and "Content-Type" not in headers
    assert table.scan()["Count"] == 0
    assert_error(delete("2019-05-28", "10:55:09.3853335"), 404, "NotFound")


def test_delete_bad_date_is_400(table: Any) -> None:
    assert_error(delete("2019-13-01", "10:00:00"), 400, "ValidationFailed", "date")


# ---- failures of the table --------------------------------------------------------------------------------


def test_missing_table_is_a_json_500_without_internals(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    error = assert_error(get_one("2019-05-28", "10:00:00"), 500, "InternalError")
    assert "no-such-table" not in error["message"] and "req-1" in error["message"]


def test_throttling_is_503_with_retry_after(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import message_store

    class Throttled:
        def get_item(self, **kwargs: Any) -> Any:
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}
            raise ClientError({"Error": error}, "GetItem")

    monkeypatch.setattr(message_store, "table", lambda: Throttled())
    status, headers, _ = get_one("2019-05-28", "10:00:00")
    assert status == 503 and headers["Retry-After"] == "1"


# ---- never a 5xx for a client's mistake (issue 10, item 10) ---------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "text/csv; charset=utf-8", "image/png"],
)
def test_a_body_that_is_not_json_is_415_naming_the_content_type(table: Any, content_type: str) -> None:
    """API Gateway passes a proxy integration any media type; the functions take JSON only."""
    for handler, path, params in (
        ("api_post", "/message", None),
        ("api_put", ITEM_PATH, {"date": "2019-05-28"}),
    ):
        event = proxy_event(
            "POST" if handler == "api_post" else "PUT",
            path,
            "/message/2019-05-28" if params else "/message",
            path_params=params,
            query={"time": "10:55:09"} if params else None,
            body=new_message(),
        )
        event["headers"] = {"content-type": content_type}
        error = assert_error(call(handler, event), 415, "UnsupportedMediaType")
        assert content_type in error["message"] and "application/json" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/merge-patch+json",
    ],
)
def test_json_media_types_and_parameters_are_accepted(table: Any, content_type: str) -> None:
    event = proxy_event("POST", "/message", "/message", body=new_message())
    event["headers"] = {"Content-Type": content_type}
    assert call("api_post", event)[0] == 201


def test_no_content_type_is_read_as_json_as_the_seed_events_send_none(table: Any) -> None:
    event = proxy_event("POST", "/message", "/message", body=new_message())
    event["headers"] = None
    assert call("api_post", event)[0] == 201


def test_deeply_nested_json_is_a_400_or_413_never_a_500(table: Any) -> None:
    """Within the body limit, nesting deeper than the parser goes is malformed JSON (400); far deeper is
    over the limit (413)."""
    assert_error(post("[" * 5_000 + "]" * 5_000), 400, "MalformedJson")
    assert_error(post('{"location": ' * 100_000 + "1" + "}" * 100_000), 413, "PayloadTooLarge")
