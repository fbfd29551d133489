"""The Lambda functions, one per `FunctionSpec` in the config, each from its plain `tasks/<folder>`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from aws_cdk import Duration, Fn, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.inputs import StackInputs
from infra.settings import DeploySettings
from workflow.config import TASKS_DIR, FunctionSpec, PipelineConfig

# cfn-lint W3005: the CDK makes a function DependsOn its role as well as the role's policy; the role is
# also referenced by GetAtt. Redundant, harmless, and not ours to change.
CFN_LINT_IGNORES = ["W3005"]

# Files in a task folder that are not code: kept out of the asset so its hash only changes with the code.
ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".pytest_cache", "tests", "*.md"]


def resolve_env(config: PipelineConfig, spec: FunctionSpec, deployed: Mapping[str, str]) -> dict[str, str]:
    """The function's environment: config fields naming deployed resources get the deployed value.

    Locally `TABLE_NAME` is the config's `table_name`; on AWS it is the table CloudFormation named.
    """
    return {
        var: deployed[field] if field in deployed else str(getattr(config, field))
        for var, field in spec.env.items()
    }


def cfn_function(fn: lambda_.Function) -> lambda_.CfnFunction:
    """The L1 resource behind the construct: CDK's `node.default_child` of a Function is its CfnFunction
    (typed only as an optional IConstruct)."""
    return cast(lambda_.CfnFunction, fn.node.default_child)


class Functions(Construct):
    """Creates every function with its own role and log group (write access to that group only)."""

    def __init__(
        self, scope: Construct, cid: str, inputs: StackInputs, *, deployed: Mapping[str, str]
    ) -> None:
        super().__init__(scope, cid)
        config, settings, params = inputs.config, inputs.settings, inputs.params
        layer_arn = Fn.sub(
            "arn:${AWS::Partition}:lambda:${AWS::Region}:"
            + settings.powertools_layer_account
            + ":layer:"
            + settings.powertools_layer_name
            + ":${Version}",
            {"Version": params.text("powertools_layer_version")},
        )
        self.powertools = lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", layer_arn)
        self.by_key: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for spec in config.functions:
            self.by_key[spec.key] = self._function(config, settings, spec, deployed)

    def _function(
        self,
        config: PipelineConfig,
        settings: DeploySettings,
        spec: FunctionSpec,
        deployed: Mapping[str, str],
    ) -> lambda_.Function:
        cid = "".join(part.capitalize() for part in spec.key.split("_"))
        log_group = logs.LogGroup(
            self, f"{cid}Logs", retention=settings.log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        role = iam.Role(
            self,
            f"{cid}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.key} function: its log group plus what the stack grants it",
        )
        log_group.grant_write(role)
        self.log_groups[spec.key] = log_group
        fn = lambda_.Function(
            self,
            cid,
            code=lambda_.Code.from_asset(str(TASKS_DIR / spec.folder), exclude=ASSET_EXCLUDES),
            handler=spec.handler,
            runtime=settings.runtime,
            architecture=settings.architecture,
            timeout=Duration.seconds(spec.timeout_s),
            memory_size=spec.memory_mb,
            environment=resolve_env(config, spec, deployed),
            layers=[self.powertools],
            log_group=log_group,
            role=role,
            description=f"csv-etl {spec.key}: tasks/{spec.folder} {spec.handler}",
        )
        cfn_function(fn).add_metadata("cfn-lint", {"config": {"ignore_checks": CFN_LINT_IGNORES}})
        return fn
