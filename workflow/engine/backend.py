"""What the engine needs from the outside world: AWS clients and a way to invoke Lambda functions.

The twin provides one backed by its local endpoint and Lambda runtime; tests can provide one backed by
moto's `mock_aws`. Keeping this a protocol keeps the engine free of twin code. `client` is any boto3
client; each service integration declares the few client methods it calls as a Protocol of its own
(`integrations/sqs.py` `SqsApi`, ...), so the seam is typed where it is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class LambdaResult:
    """The parts of Lambda's Invoke response the Step Functions integrations use."""

    status_code: int
    payload: bytes
    request_id: str
    function_error: str | None = None  # "Unhandled" / "Handled" as Lambda reports it
    executed_version: str = "$LATEST"
    log_result: str | None = None  # base64 tail of the logs, as Lambda's LogType=Tail


class Backend(Protocol):
    region: str
    account: str

    def client(self, service: str) -> Any:
        """A boto3 client (s3, sqs, dynamodb, events, stepfunctions, ...) pointed at the right endpoint."""
        ...

    def invoke_lambda(
        self,
        function_name: str,
        payload: bytes,
        invocation_type: str = "RequestResponse",
        client_context: str | None = None,
    ) -> LambdaResult:
        """Invoke a function by name, partial or full ARN (raise ServiceError like Lambda's API on errors)."""
        ...
