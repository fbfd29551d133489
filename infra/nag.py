"""Acknowledged cdk-nag (AwsSolutions) and CloudFormation-validation findings, each with its reason.

cdk-nag 3 reports through CDK's policy validation: `Validations.of(construct).acknowledge(...)` on the
narrowest construct, one finding id per wildcard (`AwsSolutions-IAM5[Resource::...]`).
"""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct

from infra.stack import CsvEtlStack


def _ref(stack: Stack, resource: IConstruct, attribute: str) -> str:
    """How cdk-nag writes a GetAtt inside a finding id: `<LogicalId.Attribute>`."""
    # an L2 construct's `node.default_child` is its L1 resource (typed only as an optional IConstruct)
    cfn = resource if isinstance(resource, CfnResource) else cast(CfnResource, resource.node.default_child)
    return f"<{stack.resolve(stack.get_logical_id(cfn))}.{attribute}>"


def _ack(construct: IConstruct, finding: str, *reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=finding, reason=" ".join(reason)))


def suppress(stack: CsvEtlStack) -> None:
    """Every acknowledgement of the stack. tests/infra checks that synth then reports no error."""
    config = stack.config
    bucket = _ref(stack, stack.store.bucket, "Arn")
    sm = stack.pipeline.state_machine
    sm_policy = sm.role.node.find_child("DefaultPolicy")
    summarize_role = stack.functions.by_key["summarize"].role
    assert summarize_role is not None
    summarize_policy = summarize_role.node.find_child("DefaultPolicy")

    results = f"AwsSolutions-IAM5[Resource::{bucket}/{config.results_prefix}*]"
    for policy in (sm_policy, summarize_policy):
        _ack(
            policy,
            results,
            "The Distributed Map's ResultWriter writes (and summarize reads) files whose keys Step",
            "Functions chooses at run time (results/<execution>/<map run id>/...):",
            "scoped to the results prefix of this bucket only.",
        )
    _ack(
        summarize_policy,
        f"AwsSolutions-IAM5[Resource::{bucket}/{config.rejects_prefix}*]",
        "Summarize writes rejects/<original key>, one CSV per file a user can fix:",
        "scoped to the rejects prefix.",
    )
    for policy, who in (
        (sm_policy, "The ItemReader reads"),
        (summarize_policy, "Summarize counts the rows of"),
    ):
        _ack(
            policy,
            f"AwsSolutions-IAM5[Resource::{bucket}/{config.incoming_prefix}*]",
            f"{who} the CSV the S3 event names; any key under the incoming prefix can be",
            "uploaded, and the EventBridge rule only starts executions for that prefix.",
        )
    _ack(
        sm_policy,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray (PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and",
        "CloudWatch Logs delivery actions (CreateLogDelivery, ...) support no resource-level",
        "permissions: AWS documents Resource '*' for Step Functions tracing and logging.",
        "Written by the CDK StateMachine construct.",
    )
    execution = (
        f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{_ref(stack, sm, 'Name')}"
    )
    for suffix in (":*", "/*"):
        _ack(
            stack.pipeline.map_run_policy,
            f"AwsSolutions-IAM5[Resource::{execution}{suffix}]",
            "Child executions of this state machine's Distributed Map get ARNs at run time; AWS's",
            "Distributed Map policy scopes DescribeExecution/StopExecution/RedriveExecution to this",
            "state machine's executions, which is what the wildcard does.",
        )
    _ack(
        stack.store.start_failures,
        "AwsSolutions-SQS3",
        "This queue is a dead-letter queue: the EventBridge rule target's (cdk-nag only recognises",
        "queues used as another SQS queue's redrive target).",
    )
    _ack(
        stack.api.api.node.find_child("CloudWatchRole"),
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonAPIGatewayPushToCloudWatchLogs]",
        "API Gateway's account-level CloudWatch role, needed for access logs; AWS's managed policy is",
        "the documented one for it.",
    )
    _ack(
        stack.api.api,
        "AwsSolutions-APIG3",
        "No WAF by default (cost); the API requires an API key and the usage plan throttles every",
        "caller. Associate a WAFv2 web ACL with the stage when the API is exposed beyond known callers.",
    )
    for method in stack.api.api.methods:
        _ack(
            method,
            "AwsSolutions-APIG4",
            "Callers authenticate with the API key (required on every method), the same contract as",
            "the local twin's REST API; an IAM or Cognito authorizer is a deployment choice beyond",
            "this project.",
        )
        _ack(
            method,
            "AwsSolutions-COG4",
            "No Cognito user pool: callers are services holding the API key (see AwsSolutions-APIG4).",
        )
