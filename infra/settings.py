"""Deploy-time settings that the twin has no use for (runtime, retention, lifecycle, layer).

The pipeline's names and tuning defaults live in `workflow/config.py`; only what exists on AWS alone is here,
so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs


@dataclass(frozen=True)
class DeploySettings:
    """Knobs of the AWS deployment. Defaults are what `cdk deploy` uses without `-c` overrides."""

    stack_name: str = "csv-etl"
    runtime: lambda_.Runtime = lambda_.Runtime.PYTHON_3_14
    architecture: lambda_.Architecture = lambda_.Architecture.ARM_64
    # AWS's public Powertools layer (account 017000801446); the version is a stack parameter.
    powertools_layer_name: str = "AWSLambdaPowertoolsPythonV3-python314-arm64"
    powertools_layer_account: str = "017000801446"
    powertools_layer_version: int = 38
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    # Bucket lifecycle (days).
    results_expire_days: int = 30
    rejects_expire_days: int = 90
    incoming_to_infrequent_access_days: int = 30
    noncurrent_versions_expire_days: int = 30
    abort_multipart_days: int = 7
    access_logs_expire_days: int = 90
    dlq_retention_days: int = 14
    # Alarms: evaluation period (minutes).
    alarm_period_minutes: int = 5
