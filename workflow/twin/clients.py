"""`client("s3")` typed by the service's name, for everything that hands out boto3 clients.

The twin's backend, the twin itself and the CLI's target all give clients by name (`client("stepfunctions")`);
with this mixin mypy knows each one's methods and response shapes from the mypy-boto3 stubs (a dev
dependency, read only while type checking), so a misspelt operation or response key is a type error. A
subclass says how one client is made or reused (`_client`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient


class TypedClients:
    """A `client(service)` whose return type follows the service's name; other names give `Any`."""

    def _client(self, service: str) -> Any:
        """The client for `service`, made on first use (each subclass keeps its own)."""
        raise NotImplementedError

    @overload
    def client(self, service: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["stepfunctions"]) -> SFNClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["logs"]) -> CloudWatchLogsClient: ...
    @overload
    def client(self, service: Literal["cloudformation"]) -> CloudFormationClient: ...
    @overload
    def client(self, service: str) -> Any: ...
    def client(self, service: str) -> Any:
        """A boto3 client for `service` (s3, sqs, dynamodb, stepfunctions, lambda, logs, events, ...)."""
        return self._client(service)
