"""The twin tests' stand-ins around the endpoint: its account, and a Step Functions app for routing tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ACCOUNT = "000000000000"


def fake_stepfunctions(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Stands in for the engine's HTTP app where a test only checks routing."""
    body = json.dumps({"target": environ.get("HTTP_X_AMZ_TARGET"), "executions": []}).encode()
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0")])
    return [body]
