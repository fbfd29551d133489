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


# The engine's clients that take the in-process hand-off (handoff.py) when the twin gives one: SQS (a
# SendMessage of a batch of rows per Map child) cost more in the endpoint's HTTP server threads than in
# moto (bench/throughput.py, issue 14). S3 stays on HTTP: the hand-off holds a whole response in memory,
# and the ItemReader streams the file.
IN_PROCESS_SERVICES = frozenset({"sqs"})


class TwinBackend(TypedClients):
    """Backend for the twin's StepFunctions service."""

    def __init__(self, endpoint_url: str, region: str, account: str, runtime: LambdaRuntime) -> None:
        self.endpoint_url = endpoint_url
        self.in_process_url = endpoint_url
        self.region = region
        self.account = account
        self.runtime = runtime
        # Lambda's Invoke, as the engine's Backend names it: the in-process runtime answers it.
        self.invoke_lambda = runtime.invoke
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def hand_off(self, in_process_url: str) -> None:
        """From now on IN_PROCESS_SERVICES go to `in_process_url`. Called after provisioning: moto names a
        queue's URL after the host it was created through, and users must get the endpoint's."""
        with self._lock:
            self.in_process_url = in_process_url
            for service in IN_PROCESS_SERVICES:
                self._clients.pop(service, None)

    def _client(self, service: str) -> Any:
        with self._lock:  # creating clients is not thread-safe in botocore; using them is
            if service not in self._clients:
                url = self.in_process_url if service in IN_PROCESS_SERVICES else self.endpoint_url
                self._clients[service] = endpoint_client(service, url, self.region)
            return self._clients[service]
