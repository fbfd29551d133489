"""Task service integrations, checked against the behaviour AWS documents for each integration."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from tests.engine.io_fixtures import ACCOUNT, REGION, FakeBackend, never_cancelled, no_sleep
from workflow.engine.errors import StatesError
from workflow.engine.integrations import (
    REQUEST_RESPONSE,
    RUN_JOB,
    RUN_JOB_2,
    WAIT_FOR_TASK_TOKEN,
    TaskRequest,
    parse_resource,
    run_task,
)

FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo"
INVOKE = "arn:aws:states:::lambda:invoke"


def run(backend: FakeBackend, resource: str, parameters: Any, **kw: Any) -> Any:
    request = TaskRequest(
        resource=resource, parameters=parameters, execution_arn="arn:x", state_name="S", **kw
    )
    return run_task(request, backend, sleep=no_sleep, cancelled=never_cancelled)


# ------------------------------------------------------------------------------------------ parse_resource


@pytest.mark.parametrize(
    ("resource", "service", "action", "pattern", "rtype", "rname"),
    [
        ("arn:aws:states:::lambda:invoke", "lambda", "invoke", REQUEST_RESPONSE, "lambda", "invoke"),
        (
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "lambda",
            "invoke",
            WAIT_FOR_TASK_TOKEN,
            "lambda",
            "invoke.waitForTaskToken",
        ),
        (
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "sqs",
            "sendMessage",
            WAIT_FOR_TASK_TOKEN,
            "sqs",
            "sendMessage.waitForTaskToken",
        ),
        (
            "arn:aws:states:::states:startExecution.sync",
            "states",
            "startExecution",
            RUN_JOB,
            "states",
            "startExecution.sync",
        ),
        (
            "arn:aws:states:::states:startExecution.sync:2",
            "states",
            "startExecution",
            RUN_JOB_2,
            "states",
            "startExecution.sync:2",
        ),
        ("arn:aws:states:::dynamodb:putItem", "dynamodb", "putItem", REQUEST_RESPONSE, "dynamodb", "putItem"),
        ("arn:aws:states:::events:putEvents", "events", "putEvents", REQUEST_RESPONSE, "events", "putEvents"),
        (
            "arn:aws:states:::aws-sdk:s3:listObjectsV2",
            "aws-sdk:s3",
            "listObjectsV2",
            REQUEST_RESPONSE,
            "aws-sdk:s3",
            "listObjectsV2",
        ),
        (
            "arn:aws:states:us-east-1:123456789012:sqs:sendMessage",
            "sqs",
            "sendMessage",
            REQUEST_RESPONSE,
            "sqs",
            "sendMessage",
        ),
    ],
)
def test_parse_resource_names_as_history_shows_them(
    resource: str, service: str, action: str, pattern: str, rtype: str, rname: str
) -> None:
    """Service integration patterns: the suffix (.sync, .sync:2, .waitForTaskToken) selects the pattern."""
    ref = parse_resource(resource)
    assert (ref.service, ref.action, ref.pattern, ref.resource_type, ref.resource) == (
        service,
        action,
        pattern,
        rtype,
        rname,
    )
    assert ref.is_lambda_arn is False


def test_parse_plain_function_arn_is_lambda_arn_form() -> None:
    ref = parse_resource(FN_ARN + ":live")
    assert ref.is_lambda_arn and ref.service == "lambda" and ref.resource == FN_ARN + ":live"


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::nosuch:thing",
        "arn:aws:states:::lambda:invoke.sync",  # Lambda supports Request Response and Wait for Callback only
        "arn:aws:states:::dynamodb:putItem.waitForTaskToken",  # DynamoDB: Request Response only
        "arn:aws:states:::aws-sdk:s3:getObject.sync",  # AWS SDK integrations do not support .sync
        "not an arn",
    ],
)
def test_unsupported_resource_is_not_recognized(resource: str) -> None:
    with pytest.raises(StatesError) as err:
        parse_resource(resource)
    assert err.value.error == "States.Runtime"
    assert "is not recognized" in err.value.cause


# ------------------------------------------------------------------------------------------ Lambda


def test_lambda_invoke_result_shape_with_parsed_payload(aws: FakeBackend) -> None:
    """Invoke a Lambda function: "The Payload field of the response is parsed from escaped Json to Json"."""
    aws.functions["echo"] = lambda event: {"got": event}
    out = run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": FN_ARN, "Payload": {"a": 1}})
    assert out["Payload"] == {"got": {"a": 1}}
    assert out["StatusCode"] == 200
    assert out["ExecutedVersion"] == "$LATEST"
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert out["SdkResponseMetadata"]["RequestId"]
    assert set(out) == {"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}


def test_lambda_invoke_qualifier_and_invocation_type_are_passed(aws: FakeBackend) -> None:
    aws.functions["echo"] = lambda event: event
    out = run(
        aws,
        "arn:aws:states:::lambda:invoke",
        {"FunctionName": "echo", "Qualifier": "prod", "InvocationType": "Event", "Payload": {}},
    )
    assert aws.invocations[-1][0] == "echo:prod"
    assert aws.invocations[-1][2] == "Event"
    assert out["StatusCode"] == 202  # asynchronous invocation: Lambda answers 202 with an empty payload
    assert out["Payload"] == ""


@pytest.mark.parametrize("payload", ["a string", 42, [1, "x"], None, True])
def test_lambda_payload_of_any_json_type_reaches_the_function(aws: FakeBackend, payload: Any) -> None:
    aws.functions["echo"] = lambda event: {"type": type(event).__name__, "event": event}
    out = run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": "echo", "Payload": payload})
    expected = {} if payload is None else payload  # no Payload: the function gets an empty object
    assert out["Payload"]["event"] == expected


def test_lambda_function_error_is_named_by_error_type(aws: FakeBackend) -> None:
    """Optimized Lambda: "If an exception is raised within the Lambda function, the Task will fail"."""

    def boom(_event: Any) -> Any:
        raise ValueError("bad row")

    aws.functions["echo"] = boom
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": "echo", "Payload": {}})
    assert err.value.error == "ValueError"
    cause = json.loads(err.value.cause)
    assert cause["errorMessage"] == "bad row" and cause["errorType"] == "ValueError"


def test_lambda_function_error_without_error_type_is_lambda_unknown(aws: FakeBackend) -> None:
    from workflow.engine.backend import LambdaResult

    aws.invoke_lambda = lambda *a, **k: LambdaResult(
        200,
        b'{"errorMessage": "Task timed out"}',
        "r",  # type: ignore
        function_error="Unhandled",
    )
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": "echo"})
    assert err.value.error == "Lambda.Unknown"
    assert "Task timed out" in err.value.cause


def test_lambda_missing_function_is_resource_not_found(aws: FakeBackend) -> None:
    """Lambda API errors surface as Lambda.<Exception> (e.g. Lambda.ResourceNotFoundException)."""
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": "missing"})
    assert err.value.error == "Lambda.ResourceNotFoundException"
    assert "Function not found" in err.value.cause and "Status Code: 404" in err.value.cause


def test_lambda_throttling_is_too_many_requests_for_the_asl_retrier(aws: FakeBackend) -> None:
    """ "Handle transient Lambda service exceptions": Lambda.TooManyRequestsException is retriable by name."""
    aws.functions["echo"] = lambda event: event
    aws.throttle_next = 1
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": "echo"})
    assert err.value.error == "Lambda.TooManyRequestsException"
    assert run(aws, "arn:aws:states:::lambda:invoke", {"FunctionName": "echo"})["Payload"] == {}


def test_plain_function_arn_returns_the_payload_itself(aws: FakeBackend) -> None:
    aws.functions["echo"] = lambda event: {"echo": event}
    assert run(aws, FN_ARN, {"x": [1, 2]}) == {"echo": {"x": [1, 2]}}


def test_plain_function_arn_error_uses_error_type(aws: FakeBackend) -> None:
    def boom(_event: Any) -> Any:
        raise KeyError("k")

    aws.functions["echo"] = boom
    with pytest.raises(StatesError) as err:
        run(aws, FN_ARN, {})
    assert err.value.error == "KeyError"


def test_lambda_wait_for_task_token_returns_the_invoke_response_for_task_submitted(aws: FakeBackend) -> None:
    """Wait for a Callback: the task invokes once and waits for the token; the invoke response is what the
    history's TaskSubmitted event records (the task's result comes later, from SendTaskSuccess)."""
    aws.functions["echo"] = lambda event: "ignored"
    out = run(
        aws,
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        {"FunctionName": "echo", "Payload": {"token": "T"}},
        task_token="T",
    )
    assert out["StatusCode"] == 200 and out["Payload"] == "ignored"
    assert aws.invocations[-1][1] == {"token": "T"}


def test_lambda_invoke_requires_function_name(aws: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::lambda:invoke", {"Payload": {}})
    assert err.value.error == "States.Runtime"


# ------------------------------------------------------------------------------------------ SQS


def _queue(aws: FakeBackend, name: str = "q") -> str:
    return aws.client("sqs").create_queue(QueueName=name)["QueueUrl"]


def test_sqs_send_message_serialises_object_body_as_json(aws: FakeBackend) -> None:
    """Amazon SQS integration: a JSON MessageBody is sent as its JSON text; result has MD5OfMessageBody."""
    url = _queue(aws)
    out = run(aws, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": {"n": 1, "s": "é"}})
    msg = aws.client("sqs").receive_message(QueueUrl=url)["Messages"][0]
    assert json.loads(msg["Body"]) == {"n": 1, "s": "é"}
    assert out["MessageId"] == msg["MessageId"]
    assert out["MD5OfMessageBody"] == hashlib.md5(msg["Body"].encode()).hexdigest()
    assert out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert "ResponseMetadata" not in out


def test_sqs_string_body_is_sent_unchanged(aws: FakeBackend) -> None:
    url = _queue(aws)
    run(aws, "arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": "plain text"})
    assert aws.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "plain text"


def test_sqs_wait_for_task_token_sends_and_returns_the_send_response(aws: FakeBackend) -> None:
    """The TaskSubmitted event of a .waitForTaskToken task carries the service's response (SQS MessageId)."""
    url = _queue(aws)
    out = run(
        aws,
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": url, "MessageBody": {"taskToken": "tok"}},
        task_token="tok",
    )
    message = aws.client("sqs").receive_message(QueueUrl=url)["Messages"][0]
    assert json.loads(message["Body"]) == {"taskToken": "tok"}
    assert out["MessageId"] == message["MessageId"]


def test_sqs_missing_queue_is_sqs_prefixed_exception(aws: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        run(
            aws,
            "arn:aws:states:::sqs:sendMessage",
            {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/nope", "MessageBody": "x"},
        )
    assert err.value.error.startswith("SQS.")
    assert err.value.error.endswith("Exception")
    assert "QueueDoesNotExist" in err.value.error


# ------------------------------------------------------------------------------------------ SNS


def test_sns_publish_serialises_object_message(aws: FakeBackend) -> None:
    """Amazon SNS integration: publish a JSON Message; the result carries the MessageId."""
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name="t")["TopicArn"]
    url = _queue(aws, "sub")
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    out = run(aws, "arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"rows": 3}})
    assert out["MessageId"] and out["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"]) == {"rows": 3}


def test_sns_missing_topic_is_sns_prefixed(aws: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        run(
            aws,
            "arn:aws:states:::sns:publish",
            {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:none", "Message": "x"},
        )
    assert err.value.error == "SNS.NotFoundException"


# ------------------------------------------------------------------------------------------ DynamoDB


def _table(aws: FakeBackend) -> str:
    aws.client("dynamodb").create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return "t"


def test_dynamodb_put_get_update_delete_item_in_dynamodb_json(aws: FakeBackend) -> None:
    """Call DynamoDB APIs: parameters and results are in DynamoDB JSON ({"S": ...}, {"N": ...})."""
    table = _table(aws)
    put = run(
        aws,
        "arn:aws:states:::dynamodb:putItem",
        {"TableName": table, "Item": {"pk": {"S": "a"}, "n": {"N": "1"}}},
    )
    assert put["SdkHttpMetadata"]["HttpStatusCode"] == 200
    got = run(aws, "arn:aws:states:::dynamodb:getItem", {"TableName": table, "Key": {"pk": {"S": "a"}}})
    assert got["Item"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    updated = run(
        aws,
        "arn:aws:states:::dynamodb:updateItem",
        {
            "TableName": table,
            "Key": {"pk": {"S": "a"}},
            "UpdateExpression": "SET n = n + :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
            "ReturnValues": "UPDATED_NEW",
        },
    )
    assert updated["Attributes"] == {"n": {"N": "2"}}
    run(aws, "arn:aws:states:::dynamodb:deleteItem", {"TableName": table, "Key": {"pk": {"S": "a"}}})
    assert "Item" not in run(
        aws, "arn:aws:states:::dynamodb:getItem", {"TableName": table, "Key": {"pk": {"S": "a"}}}
    )


def test_dynamodb_conditional_check_failure_name(aws: FakeBackend) -> None:
    """DynamoDB errors are DynamoDB.<Exception>, e.g. DynamoDB.ConditionalCheckFailedException; the cause in
    AWS's wording (error_handling/test_task_service_dynamodb.snapshot.json in localstack/localstack)."""
    table = _table(aws)
    params = {
        "TableName": table,
        "Item": {"pk": {"S": "a"}},
        "ConditionExpression": "attribute_not_exists(pk)",
    }
    run(aws, "arn:aws:states:::dynamodb:putItem", params)
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::dynamodb:putItem", params)
    assert err.value.error == "DynamoDB.ConditionalCheckFailedException"
    assert "(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException;" in (
        err.value.cause
    )
    assert err.value.cause.endswith("; Proxy: null)")


def test_dynamodb_missing_table_is_resource_not_found(aws: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::dynamodb:getItem", {"TableName": "none", "Key": {"pk": {"S": "a"}}})
    assert err.value.error == "DynamoDB.ResourceNotFoundException"


# ------------------------------------------------------------------------------------------ EventBridge


def test_events_put_events_serialises_detail(aws: FakeBackend) -> None:
    """EventBridge integration: Detail may be a JSON object; the result lists Entries with EventId."""
    out = run(
        aws,
        "arn:aws:states:::events:putEvents",
        {"Entries": [{"Source": "etl", "DetailType": "done", "Detail": {"rows": 3}}]},
    )
    assert out["FailedEntryCount"] == 0
    assert out["Entries"][0]["EventId"]


def test_events_failed_entry_fails_the_task(aws: FakeBackend) -> None:
    """EventBridge integration: a failed entry fails the task with EventBridge.FailedEntry."""

    class Client:
        def put_events(self, **_kw: Any) -> dict[str, Any]:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "X", "ErrorMessage": "no"}]}

    aws._clients["events"] = Client()
    with pytest.raises(StatesError) as err:
        run(
            aws,
            "arn:aws:states:::events:putEvents",
            {"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}"}]},
        )
    assert err.value.error == "EventBridge.FailedEntry"
    assert json.loads(err.value.cause)["FailedEntryCount"] == 1


# ------------------------------------------------------------------------------------------ Step Functions


class FakeSfn:
    """Just the three calls the states:startExecution integration makes."""

    def __init__(self, final: dict[str, Any], running_polls: int = 2) -> None:
        from datetime import UTC, datetime

        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.final = final
        self.running_polls = running_polls
        self.started: dict[str, Any] = {}
        self.stopped: list[str] = []

    def start_execution(self, **kw: Any) -> dict[str, Any]:
        self.started = kw
        return {"executionArn": "arn:aws:states:us-east-1:1:execution:sm:n", "startDate": self.now}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        base = {
            "executionArn": executionArn,
            "stateMachineArn": "arn:sm",
            "name": "n",
            "startDate": self.now,
            "input": self.started.get("input", "{}"),
            "inputDetails": {"included": True},
        }
        if self.running_polls > 0:
            self.running_polls -= 1
            return {**base, "status": "RUNNING"}
        return {**base, "stopDate": self.now, **self.final}

    def stop_execution(self, executionArn: str) -> dict[str, Any]:
        self.stopped.append(executionArn)
        return {}


def test_start_execution_request_response(aws: FakeBackend) -> None:
    """Start a new AWS Step Functions execution: the object Input is passed as JSON text."""
    sfn = FakeSfn({"status": "SUCCEEDED", "output": "{}"})
    aws._clients["stepfunctions"] = sfn
    out = run(
        aws,
        "arn:aws:states:::states:startExecution",
        {"StateMachineArn": "arn:sm", "Input": {"a": 1}, "Name": "n"},
    )
    assert json.loads(sfn.started["input"]) == {"a": 1} and sfn.started["name"] == "n"
    assert out["ExecutionArn"].endswith(":n")
    assert isinstance(out["StartDate"], int)


def test_start_execution_sync_output_is_a_string(aws: FakeBackend) -> None:
    """.sync returns the DescribeExecution response, Output as a JSON string."""
    aws._clients["stepfunctions"] = FakeSfn(
        {"status": "SUCCEEDED", "output": '{"r":1}', "outputDetails": {"included": True}}
    )
    out = run(aws, "arn:aws:states:::states:startExecution.sync", {"StateMachineArn": "arn:sm"})
    assert out["Status"] == "SUCCEEDED" and out["Output"] == '{"r":1}'
    assert out["OutputDetails"] == {"Included": True}


def test_start_execution_sync2_output_is_parsed_json(aws: FakeBackend) -> None:
    """.sync:2 returns the same response with Output parsed as JSON."""
    aws._clients["stepfunctions"] = FakeSfn({"status": "SUCCEEDED", "output": '{"r":1}'})
    out = run(aws, "arn:aws:states:::states:startExecution.sync:2", {"StateMachineArn": "arn:sm"})
    assert out["Output"] == {"r": 1}


def test_start_execution_sync_child_failure_fails_task(aws: FakeBackend) -> None:
    aws._clients["stepfunctions"] = FakeSfn({"status": "FAILED", "error": "Boom", "cause": "why"})
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::states:startExecution.sync", {"StateMachineArn": "arn:sm"})
    assert err.value.error == "States.TaskFailed"
    assert json.loads(err.value.cause)["Error"] == "Boom"


def test_start_execution_sync_cancel_stops_the_child(aws: FakeBackend) -> None:
    from workflow.engine.integrations import TaskCancelled

    sfn = FakeSfn({"status": "SUCCEEDED"}, running_polls=100)
    aws._clients["stepfunctions"] = sfn
    request = TaskRequest(
        "arn:aws:states:::states:startExecution.sync", {"StateMachineArn": "arn:sm"}, "e", "s"
    )
    with pytest.raises(TaskCancelled):
        run_task(request, aws, sleep=no_sleep, cancelled=lambda: True)
    assert sfn.stopped == ["arn:aws:states:us-east-1:1:execution:sm:n"]


# ------------------------------------------------------------------------------------------ aws-sdk


def test_aws_sdk_calls_boto3_method_with_pascal_case_parameters(aws: FakeBackend) -> None:
    """AWS SDK integrations: action camelCase in the ARN, parameters PascalCase as in the SDK."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="bucket-b")
    s3.put_object(Bucket="bucket-b", Key="k1", Body=b"hello")
    out = run(aws, "arn:aws:states:::aws-sdk:s3:listObjectsV2", {"Bucket": "bucket-b"})
    assert [o["Key"] for o in out["Contents"]] == ["k1"]
    assert isinstance(out["Contents"][0]["LastModified"], str)
    got = run(aws, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "bucket-b", "Key": "k1"})
    assert got["Body"] == "hello"


def test_aws_sdk_error_adds_exception_suffix(aws: FakeBackend) -> None:
    """AWS SDK errors are ServiceName.ErrorName, always with the Exception suffix (S3.NoSuchKeyException)."""
    aws.client("s3").create_bucket(Bucket="bucket-b")
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "bucket-b", "Key": "missing"})
    assert err.value.error == "S3.NoSuchKeyException"


def test_aws_sdk_dynamodb_error_prefix_is_dynamodb_pascal_case(aws: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        run(
            aws, "arn:aws:states:::aws-sdk:dynamodb:getItem", {"TableName": "none", "Key": {"pk": {"S": "a"}}}
        )
    assert err.value.error == "DynamoDb.ResourceNotFoundException"


def test_aws_sdk_dynamodb_item_attribute_names_are_not_recased(aws: FakeBackend) -> None:
    _table(aws)
    run(
        aws,
        "arn:aws:states:::aws-sdk:dynamodb:putItem",
        {"TableName": "t", "Item": {"pk": {"S": "a"}, "lower": {"S": "x"}}},
    )
    out = run(aws, "arn:aws:states:::aws-sdk:dynamodb:getItem", {"TableName": "t", "Key": {"pk": {"S": "a"}}})
    assert out == {"Item": {"pk": {"S": "a"}, "lower": {"S": "x"}}}


def test_aws_sdk_sfn_service_name_maps_to_stepfunctions_client(aws: FakeBackend) -> None:
    """sfn's own members are camelCase; Step Functions passes and returns them PascalCase."""
    sfn = aws.client("stepfunctions")
    definition = '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
    sfn.create_state_machine(name="sm", definition=definition, roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
    out = run(aws, "arn:aws:states:::aws-sdk:sfn:listStateMachines", {"MaxResults": 10})
    assert [m["Name"] for m in out["StateMachines"]] == ["sm"]
    assert set(out["StateMachines"][0]) >= {"StateMachineArn", "Name", "Type", "CreationDate"}


def test_aws_sdk_unknown_action_is_not_recognized(aws: FakeBackend) -> None:
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::aws-sdk:s3:noSuchAction", {})
    assert err.value.error == "States.Runtime"


# ------------------------------------------------------------------------------------------ timeouts


class FastClock:
    """Virtual seconds pass 100 times faster than real ones (like the engine's RealClock(speed=100))."""

    speed = 100.0

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(max(seconds, 0) / self.speed)

    def wait(self, event: Any, seconds: float | None) -> bool:
        return bool(event.wait(None if seconds is None else max(seconds, 0) / self.speed))


def _slow(seconds: float) -> Any:
    import time

    def fn(event: Any) -> Any:
        time.sleep(seconds)
        return {"done": True}

    return fn


def test_task_running_past_timeout_seconds_fails_with_states_timeout(aws: FakeBackend) -> None:
    """Task TimeoutSeconds: "If the task runs longer than the specified seconds, this state fails with a
    States.Timeout error name" - measured on the engine's clock (here 100x faster than real time)."""
    aws.functions["echo"] = _slow(0.5)  # 50 virtual seconds
    clock = FastClock()
    request = TaskRequest("arn:aws:states:::lambda:invoke", {"FunctionName": "echo"}, "e", "s", timeout_s=10)
    with pytest.raises(StatesError) as err:
        run_task(request, aws, sleep=clock.sleep, cancelled=never_cancelled)
    assert err.value.error == "States.Timeout"


def test_task_within_timeout_returns_its_result(aws: FakeBackend) -> None:
    aws.functions["echo"] = _slow(0.01)  # 1 virtual second
    clock = FastClock()
    request = TaskRequest("arn:aws:states:::lambda:invoke", {"FunctionName": "echo"}, "e", "s", timeout_s=60)
    out = run_task(request, aws, sleep=clock.sleep, cancelled=never_cancelled, wait=clock.wait)
    assert out["Payload"] == {"done": True}


def test_errors_inside_a_timed_task_keep_their_names(aws: FakeBackend) -> None:
    clock = FastClock()
    request = TaskRequest(INVOKE, {"FunctionName": "missing"}, "e", "s", timeout_s=60)
    with pytest.raises(StatesError) as err:
        run_task(request, aws, sleep=clock.sleep, cancelled=never_cancelled)
    assert err.value.error == "Lambda.ResourceNotFoundException"


def test_stopping_the_execution_abandons_a_long_call(aws: FakeBackend) -> None:
    from workflow.engine.integrations import TaskCancelled

    aws.functions["echo"] = _slow(2.0)
    clock = FastClock()
    request = TaskRequest(INVOKE, {"FunctionName": "echo"}, "e", "s", timeout_s=10_000)
    with pytest.raises(TaskCancelled):
        run_task(request, aws, sleep=clock.sleep, cancelled=lambda: True)


def test_dynamodb_unmodelled_error_code_is_the_generic_exception(aws: FakeBackend) -> None:
    """An error code the SDK does not model (DynamoDB's ValidationException) is reported as the service's
    generic exception with the code in the cause, as recorded on AWS (localstack/localstack
    error_handling/test_task_service_dynamodb.py::test_put_item_invalid_table_name)."""
    from botocore.stub import Stubber

    message = (
        "1 validation error detected: Value '/t' at 'tableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
    )
    client = aws.client("dynamodb")
    with Stubber(client) as stub:
        stub.add_client_error("put_item", "ValidationException", message, http_status_code=400)
        with pytest.raises(StatesError) as err:
            run(aws, "arn:aws:states:::dynamodb:putItem", {"TableName": "/t", "Item": {"pk": {"S": "a"}}})
    assert err.value.error == "DynamoDB.AmazonDynamoDBException"
    assert err.value.cause.startswith(
        f"{message} (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; "
        "Request ID: "
    )
    assert err.value.cause.endswith("; Proxy: null)")


def test_aws_sdk_unmodelled_error_code_is_the_generic_exception(aws: FakeBackend) -> None:
    """aws-sdk integrations report a code the SDK does not model as `<Service>.<Service>Exception`, as
    recorded (localstack/localstack error_handling/test_aws_sdk.py::test_dynamodb_invalid_param)."""
    from botocore.stub import Stubber

    message = (
        "1 validation error detected: Value null at 'item' failed to satisfy constraint: "
        "Member must not be null"
    )
    client = aws.client("dynamodb")
    with Stubber(client) as stub:
        stub.add_client_error("put_item", "ValidationException", message, http_status_code=400)
        with pytest.raises(StatesError) as err:
            run(
                aws,
                "arn:aws:states:::aws-sdk:dynamodb:putItem",
                {"TableName": "t", "Item": {"pk": {"S": "a"}}},
            )
    assert err.value.error == "DynamoDb.DynamoDbException"
    assert err.value.cause.startswith(f"{message} (Service: DynamoDb, Status Code: 400, Request ID: ")


def test_aws_sdk_s3_cause_has_the_extended_request_id(aws: FakeBackend) -> None:
    """S3's errors carry an Extended Request ID in the cause (recorded in
    error_handling/test_aws_sdk.py::test_no_such_bucket)."""
    with pytest.raises(StatesError) as err:
        run(aws, "arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": "someNonexistentBucketName"})
    assert err.value.error == "S3.NoSuchBucketException"
    assert re.fullmatch(
        r"The specified bucket does not exist \(Service: S3, Status Code: 404, Request ID: \S+, "
        r"Extended Request ID: \S+\)",
        err.value.cause,
    ), err.value.cause
