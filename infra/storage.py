"""Where data rests: the data bucket (and its access-log bucket), the batch queue with its DLQ, the tables."""

from __future__ import annotations

from typing import cast

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.inputs import StackInputs
from infra.settings import DeploySettings
from workflow.config import PipelineConfig


class DataStore(Construct):
    """Bucket, queues and table. CloudFormation names them: the config's names are the twin's."""

    def __init__(self, scope: Construct, cid: str, inputs: StackInputs) -> None:
        super().__init__(scope, cid)
        config, settings, params = inputs.config, inputs.settings, inputs.params
        self.access_logs = self._access_log_bucket(settings)
        self.bucket = self._data_bucket(config, settings)
        self.dlq = self._dead_letter_queue("BatchDlq", settings)
        self.queue = sqs.Queue(
            self,
            "BatchQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(config.queue_visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=params.max_receive_count.value_as_number
            ),
        )
        # EventBridge cannot start an execution (throttling, a deleted state machine): the event lands here
        # after EventBridge's retries, so an uploaded file is never silently ignored.
        self.start_failures = self._dead_letter_queue("StartFailuresDlq", settings)
        # The stored messages outlive the stack: `cdk destroy` leaves the table in place.
        self.table = self._retained_table("MessagesTable", "date", "time")
        # The per-file ledger (docs/architecture.md, Ledger): what happened to every row of every file is
        # evidence, kept like the data (retained, point-in-time recovery).
        self.ledger = self._retained_table("LedgerTable", "file", "sk")

    def _dead_letter_queue(self, cid: str, settings: DeploySettings) -> sqs.Queue:
        """A queue that keeps what could not be processed for `dlq_retention_days` (encrypted, TLS only)."""
        return sqs.Queue(
            self,
            cid,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(settings.dlq_retention_days),
        )

    def _retained_table(self, cid: str, partition_key: str, sort_key: str) -> dynamodb.Table:
        """An on-demand table keyed by two strings, with point-in-time recovery, kept when the stack goes."""
        return dynamodb.Table(
            self,
            cid,
            partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _access_log_bucket(self, settings: DeploySettings) -> s3.Bucket:
        return s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAccessLogs", expiration=Duration.days(settings.access_logs_expire_days)
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _data_bucket(self, config: PipelineConfig, settings: DeploySettings) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "DataBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="data-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireResults",
                    prefix=config.results_prefix,
                    expiration=Duration.days(settings.results_expire_days),
                ),
                s3.LifecycleRule(
                    id="ExpireRejects",
                    prefix=config.rejects_prefix,
                    expiration=Duration.days(settings.rejects_expire_days),
                ),
                s3.LifecycleRule(
                    id="ArchiveProcessedFiles",
                    prefix=config.incoming_prefix,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(settings.incoming_to_infrequent_access_days),
                        )
                    ],
                ),
                s3.LifecycleRule(
                    id="ExpireOldVersions",
                    noncurrent_version_expiration=Duration.days(settings.noncurrent_versions_expire_days),
                    abort_incomplete_multipart_upload_after=Duration.days(settings.abort_multipart_days),
                ),
            ],
            # Uploaded files and results are data: a stack deletion keeps the bucket (see docs/deploy.md).
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Native CloudFormation EventBridge switch: no notification custom resource (and its Lambda).
        # CDK's `node.default_child` of a Bucket is its CfnBucket (typed only as an optional IConstruct).
        cfn_bucket = cast(s3.CfnBucket, bucket.node.default_child)
        cfn_bucket.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        return bucket
