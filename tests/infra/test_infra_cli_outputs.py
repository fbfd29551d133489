"""The `etl ... --stack NAME` commands find the deployed pipeline through this stack's outputs."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra.stack import OUTPUT_KEYS
from tests.infra.infra_synth import Synth

pytestmark = pytest.mark.infra
remote = pytest.importorskip("workflow.twin.remote", reason="the CLI's AWS target is not written yet")


class _Session:
    """A boto3 session stand-in whose CloudFormation client answers from a stub."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def client(self, service: str) -> Any:
        assert service == "cloudformation"
        return self._client


def test_every_output_the_cli_reads_is_an_output_of_the_stack(synth: Synth) -> None:
    assert set(remote.STACK_OUTPUTS) <= set(OUTPUT_KEYS)
    assert set(remote.STACK_OUTPUTS) <= set(synth.tpl["Outputs"])


def test_stack_target_is_built_from_the_outputs(synth: Synth) -> None:
    """DescribeStacks returns the outputs CloudFormation resolved; the CLI's target uses them as they are."""
    values = {key: f"value-of-{key}" for key in synth.tpl["Outputs"]}
    values["IncomingPrefix"] = synth.tpl["Outputs"]["IncomingPrefix"]["Value"]
    values["StateMachineArn"] = "arn:aws:states:eu-west-1:123456789012:stateMachine:PipelineStateMachine-abc"
    client = boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "csv-etl",
                        "CreationTime": "2026-11-27T00:00:00Z",
                        "StackStatus": "CREATE_COMPLETE",
                        "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in values.items()],
                    }
                ]
            },
            {"StackName": "csv-etl"},
        )
        target = remote.stack_target("csv-etl", session=_Session(client))
    assert target.bucket == values["DataBucketName"]
    assert target.incoming_prefix == values["IncomingPrefix"]
    assert target.state_machine_arn == values["StateMachineArn"]
    assert target.table == values["TableName"]
    assert target.execution_arn("run-1") == (
        "arn:aws:states:eu-west-1:123456789012:execution:PipelineStateMachine-abc:run-1"
    )
