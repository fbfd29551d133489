"""Helpers of the API tests: the pipeline's table in moto, items and POST bodies, API Gateway proxy events,
the handlers of tasks/api imported as Lambda does (the folder is on the path as a code root: pytest's
`pythonpath`), a WSGI app on a free port. The fixtures are in `tests/api/conftest.py`."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from workflow.config import PipelineConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
API_DIR = REPO_ROOT / "tasks" / "api"
# The seed project's five API Gateway sample events, copied unchanged from ../shared/seed_data/events/.
SEED_EVENTS = Path(__file__).resolve().parent / "seed_events"
CONFIG = PipelineConfig()
TABLE = CONFIG.table_name
API_KEY = "test-key-0123456789"


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
