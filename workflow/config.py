"""One configuration shared by the local twin and the CDK app.

Resource names, tuning defaults and the Lambda functions are declared once here so that what
`etl up` provisions and what `infra/` deploys cannot drift apart.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFINITION_PATH = Path(__file__).resolve().parent / "definition" / "csv_etl.asl.json"
TASKS_DIR = REPO_ROOT / "tasks"

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT = "000000000000"


class FunctionSpec(BaseModel):
    """A Lambda function: its code folder under `tasks/`, handler and settings."""

    key: str = Field(description="logical name used in the config, the twin and the CDK construct ids")
    name: str = Field(description="function name (local); on AWS CloudFormation generates it")
    folder: str = Field(description="folder under tasks/ that is the function's code asset")
    handler: str = Field(description="module.function inside the folder, as Lambda's Handler setting")
    timeout_s: int = 60
    memory_mb: int = 512
    env: dict[str, str] = Field(default_factory=dict, description="env vars; values may name config fields")


class PipelineConfig(BaseModel):
    """Names and defaults: the twin uses them as they are; the CDK app makes the tuning ones parameters."""

    project: str = "csv-etl"
    data_bucket: str = "csv-etl-data"
    incoming_prefix: str = "incoming/"
    results_prefix: str = "results/"
    rejects_prefix: str = "rejects/"
    queue_name: str = "csv-etl-batches"
    dlq_name: str = "csv-etl-batches-dlq"
    table_name: str = "csv-etl-messages"
    # The per-file ledger (docs/architecture.md, Ledger): OBJECT#<etag> per object version, BATCH#... records.
    ledger_table_name: str = "csv-etl-ledger"
    # After an execution ended early, Summarize waits at most this long for batches the writer is still
    # storing (marked `writing` in the ledger) before finalising its ledger item; no wait when none is.
    ledger_settle_s: int = 5
    # A writer busy with one batch longer than this sends a task heartbeat (the definition's Enqueue
    # HeartbeatSeconds is 300: a lost message is noticed within 5 minutes).
    writer_heartbeat_s: int = 30
    state_machine_name: str = "csv-etl"

    # Distributed Map tuning (ASL placeholders); README "Tuning" gives the trade-off of each.
    # 800 rows: everything outside the DynamoDB writes is paid per batch (a child start, 2 states, an SQS
    # message, a ledger record), and 800 rows like the sample's transform to about 185 KB, under Step
    # Functions' 256 KiB payload; 160 KiB of input caps a batch of wider rows before it reaches that limit.
    max_items_per_batch: int = 800
    max_input_bytes_per_batch: int = 163_840
    max_concurrency: int = 10
    tolerated_failure_percentage: int = 0

    # The state machine's CloudWatch Logs (stack parameters StateMachineLogLevel, ...LogExecutionData,
    # StateMachineTracing). ERROR logs failures only: at ALL with execution data every batch's rows are
    # logged about ten times, $1.51 per million rows (README "What it costs"); turn ALL on to debug.
    state_machine_log_level: str = "ERROR"
    state_machine_log_execution_data: bool = True
    state_machine_tracing: bool = True

    # Writer's SQS event source mapping and queue.
    writer_batch_size: int = 5
    writer_batching_window_s: int = 0
    queue_visibility_timeout_s: int = 180
    max_receive_count: int = 3

    # REST API.
    api_stage: str = "v1"
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    max_body_bytes: int = 10_240

    functions: list[FunctionSpec] = Field(
        default_factory=lambda: [
            FunctionSpec(
                key="transform",
                name="csv-etl-transform",
                folder="transform",
                handler="transform_handler.handler",
                timeout_s=60,
            ),
            FunctionSpec(
                key="writer",
                name="csv-etl-writer",
                folder="writer",
                handler="writer_handler.handler",
                timeout_s=120,
                env={
                    "TABLE_NAME": "table_name",
                    "LEDGER_TABLE": "ledger_table_name",
                    "HEARTBEAT_SECONDS": "writer_heartbeat_s",
                    "MAX_RECEIVE_COUNT": "max_receive_count",
                },
            ),
            FunctionSpec(
                key="summarize",
                name="csv-etl-summarize",
                folder="summarize",
                handler="summarize_handler.handler",
                timeout_s=300,
                env={
                    "DATA_BUCKET": "data_bucket",
                    "REJECTS_PREFIX": "rejects_prefix",
                    "RESULTS_PREFIX": "results_prefix",
                    "LEDGER_TABLE": "ledger_table_name",
                    "SETTLE_SECONDS": "ledger_settle_s",
                },
            ),
            FunctionSpec(
                key="api_list",
                name="csv-etl-api-list-messages",
                folder="api",
                handler="get_messages.handler",
                timeout_s=10,
                memory_mb=256,
                env={"TABLE_NAME": "table_name"},
            ),
            FunctionSpec(
                key="api_get",
                name="csv-etl-api-get-message",
                folder="api",
                handler="get_message.handler",
                timeout_s=10,
                memory_mb=256,
                env={"TABLE_NAME": "table_name"},
            ),
            FunctionSpec(
                key="api_post",
                name="csv-etl-api-post-message",
                folder="api",
                handler="post_message.handler",
                timeout_s=10,
                memory_mb=256,
                env={"TABLE_NAME": "table_name", "MAX_BODY_BYTES": "max_body_bytes"},
            ),
            FunctionSpec(
                key="api_put",
                name="csv-etl-api-put-message",
                folder="api",
                handler="put_message.handler",
                timeout_s=10,
                memory_mb=256,
                env={"TABLE_NAME": "table_name", "MAX_BODY_BYTES": "max_body_bytes"},
            ),
            FunctionSpec(
                key="api_delete",
                name="csv-etl-api-delete-message",
                folder="api",
                handler="delete_message.handler",
                timeout_s=10,
                memory_mb=256,
                env={"TABLE_NAME": "table_name"},
            ),
        ]
    )

    def function(self, key: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.key == key:
                return spec
        raise KeyError(f"no function {key!r} in the pipeline config")

    def function_env(self, key: str) -> dict[str, str]:
        """The function's environment with config-field references resolved to their values."""
        return {var: str(getattr(self, field)) for var, field in self.function(key).env.items()}

    def tuning_substitutions(self) -> dict[str, str]:
        """ASL placeholders that do not depend on deployed ARNs."""
        return {
            "MaxItemsPerBatch": str(self.max_items_per_batch),
            "MaxInputBytesPerBatch": str(self.max_input_bytes_per_batch),
            "MaxConcurrency": str(self.max_concurrency),
            "ToleratedFailurePercentage": str(self.tolerated_failure_percentage),
            "ResultsPrefix": self.results_prefix,
        }


def definition_text() -> str:
    """The ASL file as written, with its ${Placeholders}."""
    return DEFINITION_PATH.read_text(encoding="utf-8")


def render_definition(substitutions: dict[str, str]) -> str:
    """Fill ${Name} placeholders the way CloudFormation's DefinitionSubstitutions does (plain text)."""
    text = definition_text()
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    return text


def local_substitutions(
    config: PipelineConfig,
    region: str = LOCAL_REGION,
    account: str = LOCAL_ACCOUNT,
    queue_url: str | None = None,
) -> dict[str, str]:
    """Placeholders for the twin: local ARNs built the way AWS builds them."""
    fn_arn = f"arn:aws:lambda:{region}:{account}:function:"
    return {
        **config.tuning_substitutions(),
        "TransformFunctionArn": fn_arn + config.function("transform").name,
        "SummarizeFunctionArn": fn_arn + config.function("summarize").name,
        "QueueUrl": queue_url or f"https://sqs.{region}.amazonaws.com/{account}/{config.queue_name}",
        "DataBucket": config.data_bucket,
        "LedgerTable": config.ledger_table_name,
    }


def state_machine_observability(config: PipelineConfig, region: str, account: str) -> dict[str, Any]:
    """CreateStateMachine's loggingConfiguration and tracingConfiguration for the twin, as the stack sets
    them from its parameters' defaults (a level other than OFF needs a log group destination on AWS)."""
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/vendedlogs/states/{config.state_machine_name}:*"
    return {
        "loggingConfiguration": {
            "level": config.state_machine_log_level,
            "includeExecutionData": config.state_machine_log_execution_data,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}],
        },
        "tracingConfiguration": {"enabled": config.state_machine_tracing},
    }


@cache
def placeholder_names() -> frozenset[str]:
    import re

    return frozenset(re.findall(r"\$\{([A-Za-z0-9]+)\}", definition_text()))


def load_definition(substitutions: dict[str, str]) -> dict[str, Any]:
    missing = placeholder_names() - substitutions.keys()
    if missing:
        raise ValueError(f"missing ASL substitutions: {sorted(missing)}")
    document: dict[str, Any] = json.loads(render_definition(substitutions))
    return document
