"""Create in the twin what the CDK stack creates on AWS, with the config's names.

Bucket (EventBridge notifications on, as `eventBridgeEnabled`), the queue with its redrive policy to the DLQ,
the messages table (date/time keys, on-demand), the per-file ledger table (file/sk keys), and the state
machine from the one ASL file with local ARNs and the twin's real queue URL. The Lambda functions need no
creating: the runtime serves the config's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from workflow.config import PipelineConfig, load_definition, local_substitutions, state_machine_observability

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

    from workflow.twin.clients import TypedClients

DLQ_RETENTION_S = 14 * 24 * 3600


@dataclass
class Resources:
    """What was created: the names and ARNs the CLI, the banner and the tests print or use."""

    region: str
    account: str
    bucket: str
    incoming_prefix: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    table: str
    state_machine_arn: str
    ledger_table: str
    functions: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_machine_role(config: PipelineConfig, account: str) -> str:
    return f"arn:aws:iam::{account}:role/{config.project}-state-machine"


def create_keyed_table(dynamodb: DynamoDBClient, name: str, hash_key: str, range_key: str) -> None:
    """An on-demand table keyed by two string attributes (the messages table: date/time; the ledger:
    file/sk), as the CDK stack declares them."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": hash_key, "AttributeType": "S"},
            {"AttributeName": range_key, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_messages_table(dynamodb: DynamoDBClient, config: PipelineConfig) -> None:
    create_keyed_table(dynamodb, config.table_name, "date", "time")


def _queue_arn(sqs: SQSClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def provision(
    config: PipelineConfig,
    clients: TypedClients,
    *,
    region: str,
    account: str,
    function_arns: dict[str, str],
) -> Resources:
    """Create everything (the twin starts from an empty moto, so no 'already exists' handling is needed)."""
    s3 = clients.client("s3")
    s3.create_bucket(Bucket=config.data_bucket)
    s3.put_bucket_notification_configuration(
        Bucket=config.data_bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )

    sqs = clients.client("sqs")
    dlq_url = sqs.create_queue(
        QueueName=config.dlq_name, Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_S)}
    )["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(config.max_receive_count)}
    queue_url = sqs.create_queue(
        QueueName=config.queue_name,
        Attributes={
            "VisibilityTimeout": str(config.queue_visibility_timeout_s),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    queue_arn = _queue_arn(sqs, queue_url)

    dynamodb = clients.client("dynamodb")
    create_messages_table(dynamodb, config)
    create_keyed_table(dynamodb, config.ledger_table_name, "file", "sk")

    definition = load_definition(local_substitutions(config, region, account, queue_url=queue_url))
    sfn = clients.client("stepfunctions")
    state_machine_arn = sfn.create_state_machine(
        name=config.state_machine_name,
        definition=json.dumps(definition),
        roleArn=state_machine_role(config, account),
        type="STANDARD",
        **state_machine_observability(config, region, account),
    )["stateMachineArn"]

    return Resources(
        region=region,
        account=account,
        bucket=config.data_bucket,
        incoming_prefix=config.incoming_prefix,
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        dlq_arn=dlq_arn,
        table=config.table_name,
        state_machine_arn=state_machine_arn,
        ledger_table=config.ledger_table_name,
        functions=dict(function_arns),
    )
