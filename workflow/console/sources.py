"""Where the console reads from: boto3 clients plus the pipeline's names, for the twin or a deployed stack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workflow.config import PipelineConfig
from workflow.console.ledger import Ledger
from workflow.console.logs import CloudWatchLogs, InvocationRecords, LogSource, NoLogs, lambda_log_group

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

    from workflow.twin.lambdas import InvocationRecord
    from workflow.twin.remote import Target
    from workflow.twin.twin import Twin

DEFAULT_LEDGER_TABLE = "csv-etl-ledger"


@dataclass
class Sources:
    """Clients (stepfunctions, s3, dynamodb) and names; `logs` finds a Lambda invocation's lines."""

    sfn: SFNClient
    s3: S3Client
    dynamodb: DynamoDBClient
    logs: LogSource
    bucket: str
    incoming_prefix: str
    state_machine_arn: str | None
    results_prefix: str = "results/"
    rejects_prefix: str = "rejects/"
    ledger_table: str | None = DEFAULT_LEDGER_TABLE
    description: str = ""
    poll_s: float = 0.5
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.dynamodb, self.ledger_table)

    def require_state_machine(self) -> str:
        if not self.state_machine_arn:
            raise LookupError(f"no state machine known for {self.description}")
        return self.state_machine_arn


def ledger_table_name(config: PipelineConfig) -> str:
    """The config's ledger table (the ledger's field), or the contract's default name."""
    return str(getattr(config, "ledger_table_name", DEFAULT_LEDGER_TABLE))


def from_target(
    target: Target,
    config: PipelineConfig | None = None,
    records: Callable[..., list[InvocationRecord]] | None = None,
) -> Sources:
    """Sources for a CLI target (workflow.twin.remote.Target): the twin or a deployed stack.

    `records` is the twin runtime's invocation records (only in the `etl up` process); a stack's Lambda
    logs come from CloudWatch Logs.
    """
    config = config or PipelineConfig()
    outputs = getattr(target, "outputs", {}) or {}
    on_aws = not target.endpoint_url
    if records is not None:
        logs: LogSource = InvocationRecords(records)
    elif on_aws:
        logs = CloudWatchLogs(target.client("logs"), lambda_log_group(target.client("lambda")))
    else:
        logs = NoLogs()
    return Sources(
        sfn=target.client("stepfunctions"),
        s3=target.client("s3"),
        dynamodb=target.client("dynamodb"),
        logs=logs,
        bucket=target.bucket,
        incoming_prefix=target.incoming_prefix,
        state_machine_arn=target.state_machine_arn,
        results_prefix=outputs.get("ResultsPrefix", config.results_prefix),
        rejects_prefix=outputs.get("RejectsPrefix", config.rejects_prefix),
        ledger_table=outputs.get("LedgerTableName", ledger_table_name(config)),
        description=target.description,
        poll_s=1.0 if on_aws else 0.5,
    )


def for_twin(twin: Twin) -> Sources:
    """Sources for an in-process twin (`etl up`, tests): its clients, its Lambda runtime's records."""
    config = twin.config
    if twin.runtime is None or twin.resources is None:
        raise RuntimeError("the twin is not started")
    return Sources(
        sfn=twin.client("stepfunctions"),
        s3=twin.client("s3"),
        dynamodb=twin.client("dynamodb"),
        logs=InvocationRecords(twin.runtime.records),
        bucket=config.data_bucket,
        incoming_prefix=config.incoming_prefix,
        state_machine_arn=twin.resources.state_machine_arn,
        results_prefix=config.results_prefix,
        rejects_prefix=config.rejects_prefix,
        ledger_table=ledger_table_name(config),
        description=f"the local twin at {twin.url}",
    )
