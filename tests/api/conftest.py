"""API test setup: tasks/api on sys.path (as on Lambda, where the folder is the code root), fake
credentials, a moto table shaped like the pipeline's, proxy event builders, the gateway on a free port."""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from werkzeug.serving import make_server

from workflow.config import PipelineConfig
from workflow.twin.gateway import RestGateway

REPO_ROOT = Path(__file__).resolve().parents[2]
API_DIR = REPO_ROOT / "tasks" / "api"
# The seed project's five API Gateway sample events, copied unchanged from ../shared/seed_data/events/.
SEED_EVENTS = Path(__file__).resolve().parent / "seed_events"
CONFIG = PipelineConfig()
TABLE = CONFIG.table_name
API_KEY = "test-key-0123456789"

if str(API_DIR) not in sys.path:
    sys.path.insert(0, str(API_DIR))


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real credentials or endpoint reach these tests; the functions' own settings are set."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, value in CONFIG.function_env("api_put").items():
        monkeypatch.setenv(name, value)


def create_table(session: Any) -> Any:
    """The pipeline's table, as workflow/twin/provision.py and the CDK stack create it."""
    session.client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": "date", "AttributeType": "S"},
            {"AttributeName": "time", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "date", "KeyType": "HASH"},
            {"AttributeName": "time", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return session.resource("dynamodb").Table(TABLE)


_SESSION: list[Any] = []


@pytest.fixture
def table() -> Iterator[Any]:
    """An empty messages table in a fresh moto. boto3 sessions and clients outlive a moto context (moto
    patches the HTTP layer), so one session serves every test: loading service models is the slow part."""
    if not _SESSION:
        _SESSION.append(boto3.session.Session(region_name="us-east-1"))
    with mock_aws():
        yield create_table(_SESSION[0])


def pipeline_item(date: str = "2019-05-28", time: str = "10:55:09.3853335", **changes: Any) -> dict[str, Any]:
    """An item exactly as the writer stores it (see docs/architecture.md: Transform output -> writer)."""
    item: dict[str, Any] = {
        "date": date,
        "time": time,
        "timestamp": Decimal("1559040909.3853335"),
        "location": "location-03",
        "source": "wireless",
        "local_dest": "router-1",
        "local_avg": Decimal("4.39"),
        "remote_dest": "device-1",
        "remote_avg": Decimal("9.09"),
        "source_file": "s3://csv-etl-data/incoming/data.csv",
        "source_row": 2,
        "execution": "exec-1",
    }
    item.update(changes)
    return item


def new_message(**changes: Any) -> dict[str, Any]:
    """A POST body."""
    body: dict[str, Any] = {
        "date": "2019-05-28",
        "time": "10:55:19.5",
        "location": "location-01",
        "source": "wired",
        "local_dest": "router-2",
        "remote_dest": "device-2",
        "local_avg": 7.31,
        "remote_avg": 14.22,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def proxy_event(
    method: str,
    resource: str,
    path: str,
    *,
    path_params: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
    request_id: str = "req-1",
    context_path: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0) as API Gateway sends it; absent parts are null, as on AWS."""
    if body is not None and not isinstance(body, str):
        body = json.dumps(body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id,
            "stage": "v1",
            "path": context_path or path,
            "resourcePath": resource,
            "httpMethod": method,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def handler_of(key: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The handler a FunctionSpec names, imported from tasks/api as Lambda would."""
    module_name, _, function = CONFIG.function(key).handler.rpartition(".")
    return getattr(importlib.import_module(module_name), function)


def local_invoke(key: str, event: dict[str, Any]) -> Any:
    """Invoke like the Lambda runtime: JSON in, JSON out, no context needed by these handlers."""
    result = handler_of(key)(json.loads(json.dumps(event)), None)
    return json.loads(json.dumps(result))


class Served:
    """A WSGI app on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Any], Served]]:
    servers: list[Served] = []

    def start(app: Any) -> Served:
        servers.append(Served(app))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def api(table: Any, serve: Callable[[Any], Served]) -> Served:
    """The local gateway with the real handlers, the key required, in front of the moto table."""
    return serve(RestGateway(local_invoke, api_key=API_KEY))
