"""Alarms on the ways a file can go wrong unseen: dead letters, failed executions, writer errors."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.settings import DeploySettings


class Alarms(Construct):
    """One alarm per signal, at the first occurrence (threshold 1): each one means rows need attention."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        *,
        settings: DeploySettings,
        dlq: sqs.IQueue,
        start_failures: sqs.IQueue,
        state_machine: sfn.IStateMachine,
        writer: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, cid)
        period = Duration.minutes(settings.alarm_period_minutes)
        self.dlq_messages = self._alarm(
            "DlqMessages",
            dlq.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum"),
            "Batches of rows the writer could not store are in the dead-letter queue",
        )
        self.start_failures = self._alarm(
            "StartFailures",
            start_failures.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum"),
            "Uploaded files whose execution EventBridge could not start",
        )
        self.failed_executions = self._alarm(
            "FailedExecutions",
            state_machine.metric_failed(period=period, statistic="Sum"),
            "Executions that failed (a file with failed batches: see its summary, then redrive)",
        )
        self.timed_out_executions = self._alarm(
            "TimedOutExecutions",
            state_machine.metric_timed_out(period=period, statistic="Sum"),
            "Executions that timed out",
        )
        self.writer_errors = self._alarm(
            "WriterErrors",
            writer.metric_errors(period=period, statistic="Sum"),
            "Writer invocations that raised (messages return to the queue, then the DLQ)",
        )

    def _alarm(self, cid: str, metric: cw.IMetric, description: str) -> cw.Alarm:
        return cw.Alarm(
            self,
            cid,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            alarm_description=description,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
