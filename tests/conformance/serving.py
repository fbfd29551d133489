"""Serve a WSGI app on a free loopback port in a thread (xdist-safe: the OS picks the port)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Keep test output readable: no access log line per request."""


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Yield the base URL of `app` served on 127.0.0.1; stop the server afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="sfn-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def sfn_client(endpoint_url: str, region: str = "us-east-1") -> Any:
    """A boto3 Step Functions client for a local endpoint.

    `inject_host_prefix=False`: StartSyncExecution's model prefixes the host with `sync-`, which cannot
    resolve for 127.0.0.1; every other operation is unaffected.
    """
    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30),
    )
