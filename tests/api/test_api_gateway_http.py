"""HTTP tests through the local API Gateway (werkzeug on a free port) for every route and every error.

Gateway behaviour follows API Gateway's REST API documentation: Lambda proxy integration input format 1.0,
output format (statusCode/headers/multiValueHeaders/body/isBase64Encoded, anything else is a malformed
response -> 502), API keys required per method (403 Forbidden without), 403 "Missing Authentication Token"
for routes the API does not define, and gateway responses customised with one JSON template.
"""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.api.api_helpers import API_KEY, CONFIG, REPO_ROOT, Served, local_invoke, new_message, pipeline_item
from workflow.twin.gateway import (
    GATEWAY_RESPONSE_TEMPLATE,
    OPENAPI_PATH,
    RestGateway,
    generate_api_key,
    render_gateway_template,
)
from workflow.twin.lambda_proxy import proxy_response
from workflow.twin.lambdas import LambdaRuntime

KEY = {"x-api-key": API_KEY}
ONE = "10:55:09.3853335"


def error_of(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"] and body["error"]["code"] == code
    return body["error"]


# ---- every route ------------------------------------------------------------------------------------------


def test_create_read_list_update_delete_over_http(api: Served) -> None:
    created = requests.post(f"{api.url}/message", json=new_message(), headers=KEY, timeout=10)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location == "/message/2019-05-28?time=10:55:19.5"

    read = requests.get(api.url + location, headers=KEY, timeout=10)
    assert read.status_code == 200 and read.json() == created.json()

    listed = requests.get(f"{api.url}/message", params={"limit": 10}, headers=KEY, timeout=10)
    assert listed.status_code == 200 and listed.json() == {"items": [created.json()]}

    by_date = requests.get(f"{api.url}/message/2019-05-28", headers=KEY, timeout=10)
    assert by_date.status_code == 200 and by_date.json() == {"items": [created.json()]}

    updated = requests.put(api.url + location, json={"remote_avg": 1.5}, headers=KEY, timeout=10)
    assert updated.status_code == 200 and updated.json() == {**created.json(), "remote_avg": 1.5}

    deleted = requests.delete(api.url + location, headers=KEY, timeout=10)
    assert deleted.status_code == 204 and deleted.content == b""
    error_of(requests.get(api.url + location, headers=KEY, timeout=10), 404, "NotFound")


def test_a_message_written_by_the_pipeline_is_readable_updatable_deletable(api: Served, table: Any) -> None:
    table.put_item(Item=pipeline_item())
    url = f"{api.url}/message/2019-05-28"
    read = requests.get(url, params={"time": ONE}, headers=KEY, timeout=10)
    assert read.status_code == 200
    assert json.loads(read.text, parse_float=Decimal) == pipeline_item()  # every digit, every field

    updated = requests.put(url, params={"time": ONE}, json={"location": "moved"}, headers=KEY, timeout=10)
    assert updated.status_code == 200
    assert table.get_item(Key={"date": "2019-05-28", "time": ONE})["Item"] == pipeline_item(location="moved")

    assert requests.delete(url, params={"time": ONE}, headers=KEY, timeout=10).status_code == 204
    assert "Item" not in table.get_item(Key={"date": "2019-05-28", "time": ONE})


# ---- every error status -----------------------------------------------------------------------------------


def test_400_bad_request_body_from_the_gateways_validator_for_malformed_json_or_a_non_object(
    api: Served,
) -> None:
    """The deployed API validates JSON bodies against a model "a JSON object" (infra/api.py); API Gateway
    answers BAD_REQUEST_BODY "Invalid request body" before any function runs."""
    for data in (b'{"date": "2019-', b"[]", b""):
        response = requests.post(f"{api.url}/message", data=data, headers=KEY, timeout=10)
        assert error_of(response, 400, "BAD_REQUEST_BODY")["message"] == "Invalid request body"


def test_deeply_nested_json_is_400_from_the_gateways_validator_not_502(api: Served) -> None:
    """100,000 levels of nesting used to crash the validator's parser (RecursionError -> 502): a client's
    mistake is a 4xx; the body stays far below API Gateway's 10 MB payload limit."""
    for data in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        response = requests.post(f"{api.url}/message", data=data, headers=KEY, timeout=30)
        assert error_of(response, 400, "BAD_REQUEST_BODY")["message"] == "Invalid request body"


def test_a_body_that_is_not_json_is_passed_through_and_refused_415_by_the_function(api: Served) -> None:
    """The validator's model is keyed by application/json and "if no matching content type is found,
    request validation is not performed" (API Gateway developer guide, "Request validation for REST APIs"):
    other media types reach the proxy integration, and the function answers 415 instead of reading them."""
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        headers = {**KEY, "Content-Type": content_type}
        response = requests.post(
            f"{api.url}/message", data=json.dumps(new_message()), headers=headers, timeout=10
        )
        assert content_type in error_of(response, 415, "UnsupportedMediaType")["message"]
        response = requests.put(
            f"{api.url}/message/2019-05-28",
            params={"time": ONE},
            data=b"location=x",
            headers=headers,
            timeout=10,
        )
        error_of(response, 415, "UnsupportedMediaType")


def test_400_bad_request_parameters_when_a_required_query_string_is_missing(api: Served) -> None:
    response = requests.delete(f"{api.url}/message/2019-05-28", headers=KEY, timeout=10)
    error = error_of(response, 400, "BAD_REQUEST_PARAMETERS")
    assert error["message"] == "Missing required request parameters: [time]"


def test_400_malformed_json_from_the_function_for_what_the_validator_lets_through(api: Served) -> None:
    response = requests.post(
        f"{api.url}/message", data=b'{"date": "2019-05-28", "date": "2019-05-29"}', headers=KEY, timeout=10
    )
    assert "duplicate key" in error_of(response, 400, "MalformedJson")["message"]


def test_400_for_a_bad_date_names_the_field(api: Served) -> None:
    error = error_of(
        requests.get(f"{api.url}/message/2019-02-30", headers=KEY, timeout=10), 400, "ValidationFailed"
    )
    assert error["field"] == "date"


def test_403_without_or_with_a_wrong_api_key_is_api_gateways_forbidden(api: Served) -> None:
    for headers in ({}, {"x-api-key": "wrong"}):
        response = requests.get(f"{api.url}/message", headers=headers, timeout=10)
        error = error_of(response, 403, "INVALID_API_KEY")
        assert error["message"] == "Forbidden"
        assert response.headers["x-amzn-ErrorType"] == "ForbiddenException"


def test_403_missing_authentication_token_for_undefined_routes_and_methods(api: Served) -> None:
    """API Gateway answers 403 "Missing Authentication Token" for a resource or method it does not have."""
    for method, path in (("GET", "/nothing"), ("PATCH", "/message"), ("GET", "/message/2019-05-28/x")):
        response = requests.request(method, api.url + path, headers=KEY, timeout=10)
        error = error_of(response, 403, "MISSING_AUTHENTICATION_TOKEN")
        assert error["message"] == "Missing Authentication Token"


def test_404_409_over_http(api: Served, table: Any) -> None:
    table.put_item(Item=pipeline_item())
    error_of(
        requests.delete(
            f"{api.url}/message/2019-05-28", params={"time": "00:00:00"}, headers=KEY, timeout=10
        ),
        404,
        "NotFound",
    )
    error_of(
        requests.put(
            f"{api.url}/message/2019-05-28",
            params={"time": "00:00:00"},
            json={"source": "x"},
            headers=KEY,
            timeout=10,
        ),
        404,
        "NotFound",
    )
    error_of(
        requests.post(f"{api.url}/message", json=new_message(time=ONE), headers=KEY, timeout=10),
        409,
        "AlreadyExists",
    )


def test_413_from_the_function_over_its_max_body_bytes(api: Served) -> None:
    body = new_message(location="x" * 20_000)
    error_of(requests.post(f"{api.url}/message", json=body, headers=KEY, timeout=10), 413, "PayloadTooLarge")


def test_413_from_the_gateway_over_its_payload_limit(table: Any, serve: Any) -> None:
    calls: list[str] = []
    gateway = RestGateway(lambda key, event: calls.append(key), api_key=API_KEY, max_payload_bytes=100)
    server = serve(gateway)
    response = requests.post(f"{server.url}/message", data=b"x" * 101, headers=KEY, timeout=10)
    error_of(response, 413, "REQUEST_TOO_LARGE")
    assert calls == []


def test_502_when_the_function_fails_or_answers_malformed(table: Any, serve: Any) -> None:
    """API Gateway returns 502 "Internal server error" for a function error or a malformed proxy result."""

    def failing(key: str, event: dict[str, Any]) -> Any:
        raise RuntimeError("boom")

    for invoke in (
        failing,
        lambda key, event: {"errorMessage": "boom", "errorType": "Exception"},
        lambda key, event: {"statusCode": 200, "body": {"not": "a string"}},
    ):
        server = serve(RestGateway(invoke, api_key=API_KEY))
        response = requests.get(f"{server.url}/message", headers=KEY, timeout=10)
        error = error_of(response, 502, "DEFAULT_5XX")
        assert error["message"] == "Internal server error" and "boom" not in response.text


def test_429_when_the_usage_plan_throttle_is_exhausted(table: Any, serve: Any) -> None:
    server = serve(RestGateway(local_invoke, api_key=API_KEY, throttle=(0.001, 2)))
    statuses = [requests.get(f"{server.url}/message", headers=KEY, timeout=10).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# ---- the gateway's own pages ------------------------------------------------------------------------------


def test_openapi_document_and_health_need_no_key(api: Served) -> None:
    document = requests.get(f"{api.url}/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.") and "/message/{date}" in document["paths"]
    assert document["servers"] == [{"url": api.url, "description": "this local gateway"}]
    assert requests.get(f"{api.url}/health", timeout=10).json() == {"status": "ok"}


def test_generated_keys_look_like_api_gateways() -> None:
    keys = {generate_api_key() for _ in range(5)}
    assert len(keys) == 5 and all(len(k) == 40 and k.isalnum() for k in keys)


def test_gateway_errors_use_the_documents_gateway_responses() -> None:
    """The document configures DEFAULT_4XX/DEFAULT_5XX templates, as the deployed API gets them;
    $context.error.messageString renders as a quoted JSON string."""
    responses = json.loads(OPENAPI_PATH.read_text())["x-amazon-apigateway-gateway-responses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert responses[kind]["responseTemplates"]["application/json"] == GATEWAY_RESPONSE_TEMPLATE
    rendered = render_gateway_template(GATEWAY_RESPONSE_TEMPLATE, "INVALID_API_KEY", 'say "no"')
    assert json.loads(rendered) == {"error": {"code": "INVALID_API_KEY", "message": 'say "no"'}}


def test_without_configured_gateway_responses_errors_are_api_gateways_defaults(
    table: Any, serve: Any, tmp_path: Path
) -> None:
    document = json.loads(OPENAPI_PATH.read_text())
    del document["x-amazon-apigateway-gateway-responses"]
    (tmp_path / "openapi.json").write_text(json.dumps(document))
    server = serve(RestGateway(local_invoke, api_key=API_KEY, openapi_path=tmp_path / "openapi.json"))
    response = requests.get(f"{server.url}/message", timeout=10)
    assert response.status_code == 403 and response.json() == {"message": "Forbidden"}


# ---- the proxy event and result ---------------------------------------------------------------------------


def test_the_proxy_event_has_the_rest_api_v1_fields(table: Any, serve: Any) -> None:
    events: list[dict[str, Any]] = []

    def record(key: str, event: dict[str, Any]) -> dict[str, Any]:
        events.append({"key": key, "event": event})
        return {"statusCode": 200, "body": "{}"}

    server = serve(RestGateway(record, api_key=API_KEY))
    requests.put(
        f"{server.url}/message/2019-05-28?time=10%3A00%3A00&tag=a&tag=b",
        data=b'{"a": 1}',
        headers={**KEY, "X-Custom": "yes"},
        timeout=10,
    )
    requests.get(f"{server.url}/message", headers=KEY, timeout=10)
    put, listing = events
    assert put["key"] == "api_put" and listing["key"] == "api_list"
    event = put["event"]
    assert set(event) == {
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    }
    assert event["resource"] == "/message/{date}" and event["path"] == "/message/2019-05-28"
    assert event["httpMethod"] == "PUT" and event["pathParameters"] == {"date": "2019-05-28"}
    assert event["queryStringParameters"] == {"time": "10:00:00", "tag": "b"}  # decoded; the last value
    assert event["multiValueQueryStringParameters"] == {"time": ["10:00:00"], "tag": ["a", "b"]}
    assert event["headers"]["X-Custom"] == "yes" and event["multiValueHeaders"]["X-Custom"] == ["yes"]
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/message/{date}" and context["httpMethod"] == "PUT"
    assert context["stage"] == "v1" and context["path"] == "/message/2019-05-28"
    assert context["identity"]["sourceIp"] == "127.0.0.1" and context["identity"]["apiKey"] == API_KEY
    assert len(context["requestId"]) == 36 and isinstance(context["requestTimeEpoch"], int)
    # No query string, no path parameters, no body: null, as API Gateway sends them.
    assert listing["event"]["queryStringParameters"] is None
    assert listing["event"]["multiValueQueryStringParameters"] is None
    assert listing["event"]["pathParameters"] is None and listing["event"]["body"] is None


def test_path_parameters_are_passed_as_sent_not_url_decoded(table: Any, serve: Any) -> None:
    """API Gateway REST APIs do not URL-decode path or pathParameters (query strings are decoded)."""
    events: list[dict[str, Any]] = []
    server = serve(RestGateway(lambda key, event: events.append(event) or {"statusCode": 204}, api_key=None))
    requests.get(f"{server.url}/message/2019%2F05%2F28", timeout=10)
    assert events[0]["pathParameters"] == {"date": "2019%2F05%2F28"}
    assert events[0]["path"] == "/message/2019%2F05%2F28"


def test_binary_bodies_arrive_base64_encoded(table: Any, serve: Any) -> None:
    events: list[dict[str, Any]] = []
    server = serve(RestGateway(lambda key, event: events.append(event) or {"statusCode": 204}, api_key=None))
    requests.post(
        f"{server.url}/message",
        data=b"\xff\x00",
        timeout=10,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert events[0]["isBase64Encoded"] is True and base64.b64decode(events[0]["body"]) == b"\xff\x00"


def test_proxy_result_headers_merge_and_base64_bodies_decode() -> None:
    """If both headers and multiValueHeaders are given API Gateway merges them; a key in multiValueHeaders
    takes its values from there."""
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"A": "1", "B": "single"},
            "multiValueHeaders": {"B": ["x", "y"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response is not None
    assert response.status_code == 201 and response.get_data() == b"\x00\x01"
    assert response.headers.getlist("A") == ["1"] and response.headers.getlist("B") == ["x", "y"]
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "result",
    [
        None,
        [],
        {"body": "x"},
        {"statusCode": "abc"},
        {"statusCode": 200, "extra": 1},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
        {"statusCode": 200, "headers": []},
    ],
)
def test_malformed_proxy_results_are_rejected(result: Any) -> None:
    assert proxy_response(result) is None


# ---- behind the twin's Lambda runtime, under concurrency ---------------------------------------------------


def test_behind_the_twins_lambda_runtime_as_etl_up_wires_it(table: Any, serve: Any) -> None:
    """`etl up` puts the gateway in front of LambdaRuntime.invoke_event; a handler failure there comes back
    as Lambda's error payload, which API Gateway turns into a 502."""
    runtime = LambdaRuntime(CONFIG, {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    server = serve(RestGateway(lambda key, event: runtime.invoke_event(key, event)[0], api_key=API_KEY))
    created = requests.post(f"{server.url}/message", json=new_message(), headers=KEY, timeout=30)
    assert created.status_code == 201
    assert created.json()["execution"] == created.headers["x-amzn-RequestId"]  # the gateway's request id
    assert [r.function for r in runtime.records()] == ["csv-etl-api-post-message"]

    runtime.overrides["api_list"] = lambda event, context: 1 / 0
    error_of(requests.get(f"{server.url}/message", headers=KEY, timeout=30), 502, "DEFAULT_5XX")


def test_concurrent_creates_of_distinct_keys_all_land(api: Served, table: Any) -> None:
    def create(i: int) -> int:
        body = new_message(time=f"11:00:{i:02d}")
        return requests.post(f"{api.url}/message", json=body, headers=KEY, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses == [201] * 24
    assert table.scan()["Count"] == 24


def test_rows_stored_by_the_pipelines_own_code_are_served_and_edited(api: Served, table: Any) -> None:
    """The sample CSV's rows through the transform's conversion and the writer's BatchStore (the code the
    pipeline runs), then read, updated and deleted through the API."""
    import csv

    import batch_store  # tasks/writer and tasks/transform are code roots on the path (pytest's pythonpath)
    import row_rules

    from workflow.twin import moto_seams

    moto_seams.answer_partiql_inserts()  # the writer's INSERTs, as the twin runs them

    with (REPO_ROOT / "sample_data" / "data.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    items, rejects = row_rules.transform_items([{"index": i, "row": row} for i, row in enumerate(rows)])
    assert items and not rejects
    stored = [batch_store.table_item(item, "s3://csv-etl-data/incoming/data.csv", "exec-9") for item in items]
    client = boto3.session.Session(region_name="us-east-1").client("dynamodb")  # low-level, as the writer's
    assert batch_store.BatchStore(client, table.name).store(stored).written == len(stored)

    listed: list[dict[str, Any]] = []
    token = None
    while True:
        page = requests.get(
            f"{api.url}/message/{items[0]['date']}",
            headers=KEY,
            timeout=10,
            params={"limit": 7, **({"next": token} if token else {})},
        )
        assert page.status_code == 200
        listed += json.loads(page.text, parse_float=Decimal)["items"]
        token = page.json().get("next")
        if token is None:
            break
    same_date = [s for s in stored if s["date"] == items[0]["date"]]
    assert listed == sorted(same_date, key=lambda s: s["time"], reverse=True)  # all, exact, newest first

    first = stored[0]
    url = f"{api.url}/message/{first['date']}"
    params = {"time": first["time"]}
    assert (
        json.loads(requests.get(url, params=params, headers=KEY, timeout=10).text, parse_float=Decimal)
        == first
    )
    updated = requests.put(url, params=params, json={"local_avg": 5}, headers=KEY, timeout=10)
    assert updated.status_code == 200 and updated.json()["local_avg"] == 5
    assert requests.delete(url, params=params, headers=KEY, timeout=10).status_code == 204
