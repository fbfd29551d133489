"""`etl invoke` (workflow/twin/invoke.py): the seed's five API Gateway sample events through the handlers, as
`sam local invoke FUNCTION --event FILE` runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tests.api.api_helpers import CONFIG, SEED_EVENTS, create_table, pipeline_item
from workflow.twin.invoke import function_key, invoke_command, invoke_file, parse_env, run_file

SEED_SEQUENCE = [  # (function, seed event file, expected status) in the order that makes each one succeed
    ("api_post", "event_postMessage.json", 201),
    ("api_get", "event_getMessage.json", 200),
    ("api_list", "event_getMessages.json", 200),
    ("api_put", "event_putMessage.json", 200),
    ("api_delete", "event_deleteMessage.json", 204),
    ("api_get", "event_getMessage.json", 404),
]


def test_the_seed_events_work_in_order_against_one_table(table: Any) -> None:
    results = [invoke_file(fn, SEED_EVENTS / name, target="current") for fn, name, _ in SEED_SEQUENCE]
    assert [r["statusCode"] for r in results] == [status for _, _, status in SEED_SEQUENCE]
    # The seed's PUT body "set remote_avg = :val1" with ":val1": "9.00" was applied as remote_avg = 9.
    assert json.loads(results[3]["body"])["remote_avg"] == 9


@pytest.mark.parametrize(
    ("function", "name", "status"),
    [
        ("api_post", "event_postMessage.json", 201),
        ("api_delete", "event_deleteMessage.json", 404),
    ],
)
def test_a_seed_event_works_standalone_on_an_ephemeral_table(function: str, name: str, status: int) -> None:
    """With no AWS_ENDPOINT_URL the function gets a fresh in-process moto with the config's table: a seed
    event for a message that was never created is a clean 404, not an error."""
    result, record = run_file(function, SEED_EVENTS / name)
    assert record.error is None
    assert result["statusCode"] == status
    assert json.loads(result["body"] or "{}").get("error", {}).get("code") in (None, "NotFound")


def test_the_function_sees_its_config_environment_and_env_overrides(table: Any) -> None:
    table.put_item(Item=pipeline_item(date="2000-01-01", time="06:45:43"))
    found = invoke_file("api_get", SEED_EVENTS / "event_getMessage.json", target="current")
    assert found["statusCode"] == 200
    missing = invoke_file(
        "api_get",
        SEED_EVENTS / "event_getMessage.json",
        target="current",
        env={"TABLE_NAME": "no-such-table"},
    )
    assert missing["statusCode"] == 500


def test_functions_are_named_by_key_name_or_handler_module() -> None:
    assert function_key(CONFIG, "api_post") == "api_post"
    assert function_key(CONFIG, "csv-etl-api-post-message") == "api_post"
    assert function_key(CONFIG, "post_message") == "api_post"
    with pytest.raises(ValueError, match="no function 'nope'"):
        function_key(CONFIG, "nope")


def test_parse_env_needs_name_equals_value() -> None:
    assert parse_env(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(ValueError):
        parse_env(["novalue"])


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("invoke")(invoke_command)
    app.command("other")(lambda: None)  # two commands, so `invoke` is a subcommand as in `etl`
    return app


def test_invoke_command_prints_the_result_on_stdout_and_logs_on_stderr(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _cli(), ["invoke", "api_post", "--event", str(SEED_EVENTS / "event_postMessage.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["statusCode"] == 201
    assert "REPORT RequestId:" in result.stderr


def test_invoke_command_unknown_function_is_a_one_line_error(tmp_path: Path) -> None:
    event = tmp_path / "e.json"
    event.write_text("{}")
    result = CliRunner().invoke(_cli(), ["invoke", "nope", "--event", str(event)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no function 'nope'") and "Traceback" not in result.stderr


def test_with_aws_endpoint_url_set_the_function_uses_that_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """As with a running `etl up`: AWS_ENDPOINT_URL (the standard boto3 setting) points the handler at the
    endpoint; here a moto server on a free loopback port stands in for the twin."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        session = boto3.session.Session(region_name="us-east-1")
        table = create_table(_EndpointSession(session, url))
        table.put_item(Item=pipeline_item(date="2000-01-01", time="06:45:43"))
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        result, record = run_file("api_get", SEED_EVENTS / "event_getMessage.json")
        assert record.error is None and result["statusCode"] == 200
        assert json.loads(result["body"])["location"] == "location-03"
    finally:
        server.stop()


class _EndpointSession:
    """A boto3 session whose clients and resources use one endpoint."""

    def __init__(self, session: Any, url: str) -> None:
        self.session, self.url = session, url

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.url)

    def resource(self, service: str) -> Any:
        return self.session.resource(service, endpoint_url=self.url)
