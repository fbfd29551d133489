"""The engine's Backend in the twin: boto3 clients aimed at the twin's own endpoint, Lambda in-process."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

from workflow.twin.clients import TypedClients
from workflow.twin.lambdas import LambdaRuntime

DUMMY_KEY = "test"


def session_client(session: boto3.session.Session, service: str, **kwargs: Any) -> Any:
    """`session.client(service)` for a service named at run time (TypedClients gives the typed view)."""
    # boto3-stubs types `client` per literal service name only; a `str` matches none of its overloads.
    return session.client(service, **kwargs)  # type: ignore[call-overload]


def endpoint_client(service: str, endpoint_url: str, region: str, *, pool: int = 50) -> Any:
    """A boto3 client for the twin: its own session (never the user's profile or keys), dummy keys."""
    session = boto3.session.Session(
        aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY, region_name=region
    )
    config = Config(
        max_pool_connections=pool,
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=70,
    )
    return session_client(session, service, endpoint_url=endpoint_url, config=config)


class TwinBackend(TypedClients):
    """Backend for the twin's StepFunctions service."""

    def __init__(self, endpoint_url: str, region: str, account: str, runtime: LambdaRuntime) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self.runtime = runtime
        # Lambda's Invoke, as the engine's Backend names it: the in-process runtime answers it.
        self.invoke_lambda = runtime.invoke
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        with self._lock:  # creating clients is not thread-safe in botocore; using them is
            if service not in self._clients:
                self._clients[service] = endpoint_client(service, self.endpoint_url, self.region)
            return self._clients[service]
