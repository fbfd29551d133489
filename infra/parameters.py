"""Stack parameters: the tuning knobs of `PipelineConfig`, with the twin's defaults, set at deploy time."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnParameter, Token
from constructs import Construct

from infra.settings import DeploySettings
from workflow.config import PipelineConfig

# Step Functions logging levels (AWS::StepFunctions::StateMachine LoggingConfiguration.Level).
SFN_LOG_LEVELS = ["ALL", "ERROR", "FATAL", "OFF"]


@dataclass(frozen=True)
class Parameters:
    """The CfnParameters, kept together so constructs read them by name instead of by logical id."""

    max_items_per_batch: CfnParameter
    max_input_bytes_per_batch: CfnParameter
    max_concurrency: CfnParameter
    tolerated_failure_percentage: CfnParameter
    writer_batch_size: CfnParameter
    writer_batching_window_s: CfnParameter
    max_receive_count: CfnParameter
    api_rate_limit: CfnParameter
    api_burst_limit: CfnParameter
    state_machine_log_level: CfnParameter
    state_machine_log_execution_data: CfnParameter
    state_machine_tracing: CfnParameter
    powertools_layer_version: CfnParameter

    def text(self, name: str) -> str:
        """A parameter's value as a string token (DefinitionSubstitutions values are strings)."""
        return Token.as_string(getattr(self, name).value)


def _number(
    scope: Construct, pid: str, default: int, description: str, minimum: int, maximum: int | None = None
) -> CfnParameter:
    return CfnParameter(
        scope,
        pid,
        type="Number",
        default=default,
        description=description,
        min_value=minimum,
        max_value=maximum,
    )


def create_parameters(scope: Construct, config: PipelineConfig, settings: DeploySettings) -> Parameters:
    """Declare every parameter with the config's default, and AWS's documented bounds as constraints."""
    return Parameters(
        max_items_per_batch=_number(
            scope,
            "MaxItemsPerBatch",
            config.max_items_per_batch,
            "Distributed Map ItemBatcher: rows per child execution (batch)",
            1,
        ),
        max_input_bytes_per_batch=_number(
            scope,
            "MaxInputBytesPerBatch",
            config.max_input_bytes_per_batch,
            "Distributed Map ItemBatcher: maximum bytes per batch (AWS limit 256 KiB)",
            1,
            262_144,
        ),
        max_concurrency=_number(
            scope,
            "MaxConcurrency",
            config.max_concurrency,
            "Distributed Map: child executions running at once (0 = as many as AWS allows)",
            0,
            10_000,
        ),
        tolerated_failure_percentage=_number(
            scope,
            "ToleratedFailurePercentage",
            config.tolerated_failure_percentage,
            "Distributed Map: percentage of failed batches tolerated before the Map Run fails",
            0,
            100,
        ),
        writer_batch_size=_number(
            scope,
            "WriterBatchSize",
            config.writer_batch_size,
            "SQS messages per writer invocation (more than 10 needs a batching window above 0)",
            1,
            10_000,
        ),
        writer_batching_window_s=_number(
            scope,
            "WriterBatchingWindowSeconds",
            config.writer_batching_window_s,
            "Seconds the event source mapping waits to fill a writer batch",
            0,
            300,
        ),
        max_receive_count=_number(
            scope,
            "MaxReceiveCount",
            config.max_receive_count,
            "Deliveries of a batch message before it moves to the dead-letter queue",
            1,
            1_000,
        ),
        api_rate_limit=_number(
            scope,
            "ApiRateLimit",
            config.api_rate_limit,
            "REST API usage plan: steady-state requests per second",
            1,
        ),
        api_burst_limit=_number(
            scope, "ApiBurstLimit", config.api_burst_limit, "REST API usage plan: burst of requests", 1
        ),
        state_machine_log_level=CfnParameter(
            scope,
            "StateMachineLogLevel",
            type="String",
            default=config.state_machine_log_level,
            allowed_values=SFN_LOG_LEVELS,
            description="Step Functions execution history level sent to CloudWatch Logs (ALL to debug)",
        ),
        state_machine_log_execution_data=CfnParameter(
            scope,
            "StateMachineLogExecutionData",
            type="String",
            default=str(config.state_machine_log_execution_data).lower(),
            allowed_values=["true", "false"],
            description="Include state input and output (rows) in the state machine's CloudWatch Logs",
        ),
        state_machine_tracing=CfnParameter(
            scope,
            "StateMachineTracing",
            type="String",
            default=str(config.state_machine_tracing).lower(),
            allowed_values=["true", "false"],
            description="X-Ray tracing of the state machine's executions",
        ),
        powertools_layer_version=_number(
            scope,
            "PowertoolsLayerVersion",
            settings.powertools_layer_version,
            f"Version of AWS's public layer {settings.powertools_layer_name}",
            1,
        ),
    )
