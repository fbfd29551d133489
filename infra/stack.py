"""The stack: storage, functions, state machine, API, alarms, and the outputs the `etl` CLI reads."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra.alarms import Alarms
from infra.api import RestApi
from infra.functions import Functions
from infra.inputs import StackInputs
from infra.parameters import create_parameters
from infra.permissions import grant_function_needs
from infra.pipeline import Pipeline
from infra.settings import DeploySettings
from infra.storage import DataStore
from workflow.config import PipelineConfig

# Output keys read by `etl drop --stack`, `etl executions`, `describe`, `redrive`, `replay`.
OUTPUT_KEYS = (
    "DataBucketName",
    "IncomingPrefix",
    "StateMachineArn",
    "QueueUrl",
    "DlqUrl",
    "TableName",
    "LedgerTableName",
    "ApiUrl",
    "ApiKeyId",
)


class CsvEtlStack(Stack):
    """Everything the twin runs locally, on AWS."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        config: PipelineConfig | None = None,
        settings: DeploySettings | None = None,
        stack_name: str | None = None,
    ) -> None:
        super().__init__(
            scope, cid, description="csv-etl: event-driven CSV ETL on Step Functions", stack_name=stack_name
        )
        self.config = config = config or PipelineConfig()
        self.settings = settings = settings or DeploySettings()
        self.params = params = create_parameters(self, config, settings)
        inputs = StackInputs(config, settings, params)
        self.store = store = DataStore(self, "Store", inputs)
        deployed = {
            "table_name": store.table.table_name,
            "ledger_table_name": store.ledger.table_name,
            "data_bucket": store.bucket.bucket_name,
            "queue_name": store.queue.queue_name,
            "dlq_name": store.dlq.queue_name,
        }
        self.functions = Functions(self, "Functions", inputs, deployed=deployed)
        fns = self.functions.by_key
        self.pipeline = Pipeline(
            self,
            "Pipeline",
            inputs,
            store=store,
            transform=fns["transform"],
            summarize=fns["summarize"],
        )
        state_machine = self.pipeline.state_machine
        fns["writer"].add_event_source(
            sources.SqsEventSource(
                store.queue,
                batch_size=params.writer_batch_size.value_as_number,
                max_batching_window=Duration.seconds(params.writer_batching_window_s.value_as_number),
                report_batch_item_failures=True,
            )
        )
        grant_function_needs(config, fns, store, state_machine)
        self.api = RestApi(self, "Rest", inputs, functions=dict(fns))
        self.alarms = Alarms(
            self,
            "Alarms",
            settings=settings,
            dlq=store.dlq,
            start_failures=store.start_failures,
            state_machine=state_machine,
            writer=fns["writer"],
        )
        outputs = {
            "DataBucketName": (store.bucket.bucket_name, "Upload CSVs here"),
            "IncomingPrefix": (config.incoming_prefix, "Key prefix whose .csv uploads start an execution"),
            "StateMachineArn": (state_machine.state_machine_arn, "The csv-etl state machine"),
            "QueueUrl": (store.queue.queue_url, "Batches waiting for the writer"),
            "DlqUrl": (store.dlq.queue_url, "Batches the writer could not store"),
            "TableName": (store.table.table_name, "The messages table"),
            "LedgerTableName": (store.ledger.table_name, "The per-file ledger (etl files, etl file KEY)"),
            "ApiUrl": (self.api.api.url, "REST API base URL (stage included)"),
            "ApiKeyId": (
                self.api.api_key.key_id,
                "aws apigateway get-api-key --include-value --api-key <id>",
            ),
        }
        for key in OUTPUT_KEYS:
            value, description = outputs[key]
            CfnOutput(self, key, value=value, description=description)
