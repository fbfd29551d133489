"""Builds the CDK app: the stack plus cdk-nag's AwsSolutions checks, used by app.py and the tests."""

from __future__ import annotations

import os

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.nag import suppress
from infra.settings import DeploySettings
from infra.stack import CsvEtlStack

# Feature flags set in code, not only in cdk.json, so `python infra/app.py` and `npx cdk synth` produce the
# same template.
FEATURE_FLAGS: dict[str, object] = {
    # Server access logs are delivered through a bucket policy, not an ACL (ACLs stay disabled).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    # CDK's own deploy-time rules (cross-resource misconfigurations) fail the synth instead of warning.
    "@aws-cdk/core:validateAgainstDefaultRules": True,
}


def build_app(outdir: str | None = None, stack_name: str | None = None) -> tuple[App, CsvEtlStack]:
    """App with one environment-agnostic stack (synth needs no account), checked by AwsSolutions."""
    app = App(outdir=outdir or os.environ.get("CDK_OUTDIR", "cdk.out"), context=dict(FEATURE_FLAGS))
    name = stack_name or app.node.try_get_context("stack_name") or DeploySettings.stack_name
    stack = CsvEtlStack(app, name, stack_name=name)
    suppress(stack)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stack
