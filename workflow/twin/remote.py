"""Where the CLI's commands go: a running twin (AWS_ENDPOINT_URL or :4566) or a deployed stack.

A `Target` holds boto3 clients and the pipeline's names. For the twin the names come from the config and the
state machine is found by name; for AWS (`--stack NAME`) they come from the CloudFormation stack's outputs.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from workflow.config import LOCAL_REGION, PipelineConfig
from workflow.twin import tracking
from workflow.twin.backend import endpoint_client, session_client
from workflow.twin.clients import TypedClients

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
STACK_OUTPUTS = (
    "DataBucketName",
    "IncomingPrefix",
    "StateMachineArn",
    "TableName",
    "LedgerTableName",
    "ApiUrl",
    "ApiKeyId",
    "QueueUrl",
    "DlqUrl",
)


@dataclass
class Target(TypedClients):
    """The pipeline the CLI talks to."""

    description: str
    bucket: str
    incoming_prefix: str
    state_machine_arn: str | None
    table: str | None = None
    ledger_table: str | None = None
    endpoint_url: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)
    _session: boto3.session.Session | None = None

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            if self.endpoint_url:
                region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or LOCAL_REGION
                self._clients[service] = endpoint_client(service, self.endpoint_url, region, pool=10)
            else:
                self._clients[service] = session_client(self._session or boto3.session.Session(), service)
        return self._clients[service]

    def require_state_machine(self) -> str:
        if not self.state_machine_arn:
            raise LookupError(f"no state machine known for {self.description} (use --stack NAME)")
        return self.state_machine_arn

    def execution_arn(self, execution: str) -> str:
        """An execution ARN from an ARN or a bare execution name (of this pipeline's state machine)."""
        if execution.startswith("arn:"):
            return execution
        machine = self.require_state_machine()
        return machine.replace(":stateMachine:", ":execution:", 1) + ":" + execution

    # ---- files ------------------------------------------------------------------------------------------
    def drop(self, path: Path, key: str | None = None) -> tuple[str, datetime]:
        """Upload a file to incoming/<name> (or `key`); returns the key and when the upload started."""
        key = key or self.incoming_prefix + Path(path).name
        since = datetime.now(UTC)
        self.client("s3").upload_file(str(path), self.bucket, key)
        return key, since

    def execution_for_key(self, key: str, since: datetime, timeout_s: float = 60.0) -> str:
        return tracking.execution_for_key(
            self.client("stepfunctions"),
            self.require_state_machine(),
            self.bucket,
            key,
            since=since,
            timeout_s=timeout_s,
        )

    def summarize_failure(self, described: Mapping[str, Any]) -> dict[str, Any] | None:
        return tracking.summarize_failed(
            self, described, self.ledger_table, PipelineConfig().ledger_settle_s + 10.0
        )

    def replay(self, execution: str) -> str:
        """Start a new execution for the same file event, marked `replay: true` beside the event.

        The definition registers each object version once (a second event for it is a no-op); the mark
        makes this run anyway, recorded in the ledger as a replay. Its rows already stored count as
        duplicates, so a replay writes nothing twice.
        """
        sfn = self.client("stepfunctions")
        described = sfn.describe_execution(executionArn=self.execution_arn(execution))
        started = sfn.start_execution(
            stateMachineArn=described["stateMachineArn"],
            name=str(uuid.uuid4()),
            input=tracking.replay_input(described.get("input")),
        )
        return str(started["executionArn"])

    # ---- the ledger ---------------------------------------------------------------------------------------
    def ledger_objects(self, file: str | None = None) -> list[dict[str, Any]] | None:
        """OBJECT items of the ledger (one file, or all), newest upload first; None without a ledger table."""
        return tracking.ledger_objects(self.client("dynamodb"), self.ledger_table, file)


def twin_target(
    config: PipelineConfig | None = None, endpoint_url: str | None = None, wait_s: float = 0.0
) -> Target:
    """The running twin; the state machine is looked up by the config's name."""
    config = config or PipelineConfig()
    url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    target = Target(
        description=f"the local twin at {url}",
        bucket=config.data_bucket,
        incoming_prefix=config.incoming_prefix,
        state_machine_arn=None,
        table=config.table_name,
        ledger_table=config.ledger_table_name,
        endpoint_url=url,
    )
    deadline = time.monotonic() + wait_s
    while True:
        try:
            machines = target.client("stepfunctions").list_state_machines()["stateMachines"]
            break
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise ConnectionError(
                    f"cannot reach the twin at {url} ({type(exc).__name__}); start it with `etl up`"
                ) from exc
            time.sleep(0.2)
    for machine in machines:
        if machine["name"] == config.state_machine_name:
            target.state_machine_arn = machine["stateMachineArn"]
    return target


def stack_target(stack: str, session: boto3.session.Session | None = None) -> Target:
    """A deployed stack, named by its CloudFormation outputs."""
    session = session or boto3.session.Session()
    stacks = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    missing = [name for name in ("DataBucketName", "StateMachineArn") if name not in outputs]
    if missing:
        raise LookupError(f"stack {stack} has no output(s) {', '.join(missing)}")
    return Target(
        description=f"stack {stack}",
        bucket=outputs["DataBucketName"],
        incoming_prefix=outputs.get("IncomingPrefix", PipelineConfig().incoming_prefix),
        state_machine_arn=outputs["StateMachineArn"],
        table=outputs.get("TableName"),
        ledger_table=outputs.get("LedgerTableName"),
        outputs=outputs,
        _session=session,
    )


def bucket_target(bucket: str, config: PipelineConfig | None = None) -> Target:
    """Real AWS, only a bucket known: files can be dropped, executions not followed."""
    config = config or PipelineConfig()
    return Target(
        description=f"bucket {bucket}",
        bucket=bucket,
        incoming_prefix=config.incoming_prefix,
        state_machine_arn=None,
    )
