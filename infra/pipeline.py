"""The state machine, loaded from the one ASL file, and the EventBridge rule that starts it."""

from __future__ import annotations

from typing import cast

from aws_cdk import ArnFormat, CfnCondition, CfnParameter, Duration, Fn, IResolvable, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.inputs import StackInputs
from infra.storage import DataStore
from workflow.config import PipelineConfig, definition_text

# cfn-lint W3005: the CDK makes the state machine DependsOn its role as well as the role's policy (redundant,
# harmless). cfn-lint knows DefinitionSubstitutions: the ${Name} placeholders raise no E1029.
CFN_LINT_IGNORES = ["W3005"]


def csv_key_pattern(config: PipelineConfig) -> str:
    """EventBridge wildcard for the keys the twin reacts to: under the incoming prefix, ending in `.csv`."""
    return f"{config.incoming_prefix}*.csv"


class Pipeline(Construct):
    """State machine + the permissions its definition needs + the S3 → EventBridge → execution rule."""

    def __init__(
        self,
        scope: Construct,
        cid: str,
        inputs: StackInputs,
        *,
        store: DataStore,
        transform: lambda_.IFunction,
        summarize: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, cid)
        config, settings, params = inputs.config, inputs.settings, inputs.params
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            # The vendedlogs prefix keeps CloudWatch's resource policy small (AWS's advice for Step
            # Functions).
            log_group_name=f"/aws/vendedlogs/states/{stack.stack_name}-{config.state_machine_name}",
            retention=settings.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.substitutions: dict[str, str] = {
            "TransformFunctionArn": transform.function_arn,
            "SummarizeFunctionArn": summarize.function_arn,
            "QueueUrl": store.queue.queue_url,
            "DataBucket": store.bucket.bucket_name,
            "LedgerTable": store.ledger.table_name,
            "MaxItemsPerBatch": params.text("max_items_per_batch"),
            "MaxInputBytesPerBatch": params.text("max_input_bytes_per_batch"),
            "MaxConcurrency": params.text("max_concurrency"),
            "ToleratedFailurePercentage": params.text("tolerated_failure_percentage"),
            "ResultsPrefix": config.results_prefix,
        }
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_string(definition_text()),
            definition_substitutions=self.substitutions,
            state_machine_type=sfn.StateMachineType.STANDARD,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )
        # CDK's `node.default_child` of a StateMachine is its CfnStateMachine (typed: optional IConstruct).
        cfn_sm = cast(sfn.CfnStateMachine, self.state_machine.node.default_child)
        # Levels are parameters: the construct wrote the X-Ray and log-delivery permissions for the
        # enabled case, the parameters only choose what is sent.
        cfn_sm.add_property_override(
            "LoggingConfiguration.Level", params.state_machine_log_level.value_as_string
        )
        cfn_sm.add_property_override(
            "LoggingConfiguration.IncludeExecutionData",
            self._flag("LogExecutionData", params.state_machine_log_execution_data),
        )
        cfn_sm.add_property_override(
            "TracingConfiguration.Enabled", self._flag("TracingOn", params.state_machine_tracing)
        )
        cfn_sm.add_metadata("cfn-lint", {"config": {"ignore_checks": CFN_LINT_IGNORES}})
        self._grant_definition_needs(config, store, transform, summarize)
        self.map_run_policy = self._grant_map_run(stack)
        self.rule = self._start_rule(config, store)
        self.ended_rule = self._ended_rule(summarize)

    def _flag(self, cid: str, param: CfnParameter) -> IResolvable:
        """A real boolean from a "true"/"false" parameter (Boolean properties reject the string)."""
        condition = CfnCondition(self, cid, expression=Fn.condition_equals(param.value_as_string, "true"))
        return Fn.condition_if(condition.logical_id, True, False)

    def _grant_definition_needs(
        self,
        config: PipelineConfig,
        store: DataStore,
        transform: lambda_.IFunction,
        summarize: lambda_.IFunction,
    ) -> None:
        """Exactly the resources the ASL's tasks, ItemReader and ResultWriter touch."""
        sm = self.state_machine
        sm.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeTaskFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[transform.function_arn, summarize.function_arn],
            )
        )
        sm.add_to_role_policy(
            iam.PolicyStatement(
                sid="RegisterObjectInLedger",
                actions=["dynamodb:UpdateItem"],
                resources=[store.ledger.table_arn],
            )
        )
        sm.add_to_role_policy(
            iam.PolicyStatement(
                sid="EnqueueBatches", actions=["sqs:SendMessage"], resources=[store.queue.queue_arn]
            )
        )
        sm.add_to_role_policy(
            iam.PolicyStatement(
                sid="ItemReaderReadsIncomingCsv",
                actions=["s3:GetObject"],
                resources=[store.bucket.arn_for_objects(f"{config.incoming_prefix}*")],
            )
        )
        # AWS's documented ResultWriter policy (the same CDK's ResultWriter grants): multipart writes of
        # the manifest and result files, and reading them back on redrive.
        sm.add_to_role_policy(
            iam.PolicyStatement(
                sid="ResultWriterWritesResults",
                actions=[
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListMultipartUploadParts",
                    "s3:AbortMultipartUpload",
                ],
                resources=[store.bucket.arn_for_objects(f"{config.results_prefix}*")],
            )
        )

    def _grant_map_run(self, stack: Stack) -> iam.Policy:
        """A Distributed Map starts child executions of its own state machine (AWS: IAM policies for
        Distributed Map). A separate policy: inside the role's default policy the state machine would
        depend on its own ARN."""
        sm = self.state_machine
        executions = [
            stack.format_arn(
                service="states",
                resource="execution",
                resource_name=f"{sm.state_machine_name}{suffix}",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for suffix in (":*", "/*")
        ]
        policy = iam.Policy(
            self,
            "MapRunPolicy",
            statements=[
                iam.PolicyStatement(
                    sid="StartChildExecutions",
                    actions=["states:StartExecution"],
                    resources=[sm.state_machine_arn],
                ),
                iam.PolicyStatement(
                    sid="TrackChildExecutions",
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=executions,
                ),
                iam.PolicyStatement(
                    sid="RedriveChildExecutions",
                    actions=["states:RedriveExecution"],
                    resources=[executions[1]],
                ),
            ],
        )
        policy.attach_to_role(sm.role)
        return policy

    def _ended_rule(self, summarize: lambda_.IFunction) -> events.Rule:
        """An execution that ends FAILED, ABORTED or TIMED_OUT (the Map is uncaught on purpose) still gets its
        ledger item finalised: Summarize runs on the status-change event (AWS: Step Functions events in
        EventBridge). EventBridge retries the asynchronous invocation (185 times over 24 h), then drops; the
        failure stays visible in the execution itself."""
        return events.Rule(
            self,
            "ExecutionEnded",
            description="A csv-etl execution ended without succeeding: Summarize finalises its ledger item",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "stateMachineArn": [self.state_machine.state_machine_arn],
                    # a redrive starting (RUNNING, redriveCount > 0) marks the ledger item RUNNING again
                    "$or": [
                        {"status": ["FAILED", "ABORTED", "TIMED_OUT"]},
                        {"status": ["RUNNING"], "redriveCount": [{"numeric": [">", 0]}]},
                    ],
                },
            ),
            # EventBridge's own defaults, which the twin's delivery mirrors (workflow/twin/delivery_retry.py)
            targets=[targets.LambdaFunction(summarize, retry_attempts=185, max_event_age=Duration.hours(24))],
        )

    def _start_rule(self, config: PipelineConfig, store: DataStore) -> events.Rule:
        """S3 Object Created (EventBridge notifications) for `<incoming>*.csv` → StartExecution(event)."""
        return events.Rule(
            self,
            "CsvUploaded",
            description="A CSV lands under the incoming prefix: start an execution with the event as input",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [store.bucket.bucket_name]},
                    "object": {"key": [{"wildcard": csv_key_pattern(config)}]},
                },
            ),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    dead_letter_queue=store.start_failures,
                    retry_attempts=185,
                    max_event_age=Duration.hours(24),
                )
            ],
        )
