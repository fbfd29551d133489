"""The one AWS endpoint: boto3 reaches S3, SQS, DynamoDB (moto) and Lambda (local runtime) on one port."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.twin.fake_endpoint import ACCOUNT, fake_stepfunctions
from workflow.config import PipelineConfig
from workflow.twin.backend import endpoint_client
from workflow.twin.endpoint import PortInUse, ServerThread


def test_s3_sqs_dynamodb_through_one_port_with_the_twins_account(endpoint: ServerThread) -> None:
    s3 = endpoint_client("s3", endpoint.url, "us-east-1")
    s3.create_bucket(Bucket="bucket-one")
    s3.put_object(Bucket="bucket-one", Key="incoming/x.csv", Body=b"a,b\n1,2\n")
    assert s3.get_object(Bucket="bucket-one", Key="incoming/x.csv")["Body"].read() == b"a,b\n1,2\n"

    sqs = endpoint_client("sqs", endpoint.url, "us-east-1")
    url = sqs.create_queue(QueueName="q1")["QueueUrl"]
    assert url.startswith(endpoint.url) and f"/{ACCOUNT}/q1" in url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == f"arn:aws:sqs:us-east-1:{ACCOUNT}:q1"

    ddb = endpoint_client("dynamodb", endpoint.url, "us-east-1")
    ddb.create_table(
        TableName="t1",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
    )
    ddb.put_item(TableName="t1", Item={"k": {"S": "1"}, "n": {"N": "4.39"}})
    assert ddb.get_item(TableName="t1", Key={"k": {"S": "1"}})["Item"]["n"] == {"N": "4.39"}


def test_stepfunctions_json_protocol_goes_to_the_engine_app(endpoint: ServerThread) -> None:
    sfn = endpoint_client("stepfunctions", endpoint.url, "us-east-1")
    response = sfn.list_executions(stateMachineArn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:x")
    assert response["executions"] == []


def test_lambda_api_lists_gets_and_invokes(endpoint: ServerThread) -> None:
    """Lambda API reference: ListFunctions, GetFunction, Invoke (X-Amz-Function-Error on function errors)."""
    lam = endpoint_client("lambda", endpoint.url, "us-east-1")
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert {"t-echo", "t-fail"} <= names
    config = lam.get_function(FunctionName="t-echo")["Configuration"]
    assert config["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:t-echo"
    assert config["Environment"]["Variables"]["TABLE_NAME"] == PipelineConfig().table_name
    ok = lam.invoke(FunctionName="t-echo", Payload=b'{"hello": "world"}', LogType="Tail")
    assert ok["StatusCode"] == 200 and "FunctionError" not in ok
    assert json.loads(ok["Payload"].read())["event"] == {"hello": "world"}
    assert ok["LogResult"]
    failed = lam.invoke(FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:t-fail", Payload=b"{}")
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"].read())["errorType"] == "ValueError"
    queued = lam.invoke(FunctionName="t-echo", Payload=b"{}", InvocationType="Event")
    assert queued["StatusCode"] == 202
    with pytest.raises(ClientError) as missing:
        lam.invoke(FunctionName="nope", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_health_answers_unsigned_get(endpoint: ServerThread) -> None:
    with urllib.request.urlopen(endpoint.url + "/health", timeout=5) as response:
        assert json.loads(response.read())["status"] == "ok"


def test_port_taken_is_refused_clearly(endpoint: ServerThread) -> None:
    with pytest.raises(PortInUse, match="already in use"):
        ServerThread(fake_stepfunctions, port=endpoint.port)


def test_boto3_default_session_env_style_configuration_works(
    endpoint: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3's standard AWS_ENDPOINT_URL setting is all a user needs (what `etl up` prints)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.session.Session().client("s3")
    s3.create_bucket(Bucket="from-env")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["from-env"]
