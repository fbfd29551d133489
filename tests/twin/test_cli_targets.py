"""The CLI's targets: a deployed stack named by its CloudFormation outputs, a bare bucket, an absent twin."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from workflow.cli import app
from workflow.config import REPO_ROOT

SAMPLE = str(REPO_ROOT / "sample_data" / "data.csv")
TEMPLATE = {
    "Resources": {"Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "deployed-data"}}},
    "Outputs": {
        "DataBucketName": {"Value": {"Ref": "Data"}},
        "IncomingPrefix": {"Value": "uploads/"},
        "StateMachineArn": {"Value": "arn:aws:states:us-east-1:123456789012:stateMachine:csv-etl"},
    },
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(StackName="csv-etl-dev", TemplateBody=json.dumps(TEMPLATE))
        yield


def test_drop_to_a_stack_uses_its_outputs(aws: None) -> None:
    """CloudFormation DescribeStacks Outputs name the bucket and the incoming prefix."""
    result = CliRunner().invoke(app, ["drop", SAMPLE, "--stack", "csv-etl-dev", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"bucket": "deployed-data", "key": "uploads/data.csv"}
    body = boto3.client("s3").get_object(Bucket="deployed-data", Key="uploads/data.csv")["Body"].read()
    assert body.startswith(b"timestamp,")


def test_drop_to_a_bare_bucket(aws: None) -> None:
    boto3.client("s3").create_bucket(Bucket="some-bucket")
    result = CliRunner().invoke(app, ["drop", SAMPLE, "--bucket", "some-bucket", "--key", "incoming/x.csv"])
    assert result.exit_code == 0, result.output
    assert "s3://some-bucket/incoming/x.csv" in result.stdout


def test_unknown_stack_is_a_clear_error(aws: None) -> None:
    result = CliRunner().invoke(app, ["executions", "--stack", "nope"])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_no_twin_listening_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(app, ["executions", "--endpoint-url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert "etl up" in result.output
