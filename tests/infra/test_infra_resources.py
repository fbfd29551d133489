"""Every resource of the stack with its key properties, checked on the synthesised template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.stack import OUTPUT_KEYS
from tests.infra.infra_synth import Synth
from workflow.config import TASKS_DIR, PipelineConfig

pytestmark = pytest.mark.infra
CONFIG = PipelineConfig()


def _ref(lid: str) -> dict[str, str]:
    return {"Ref": lid}


def _arn(lid: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [lid, "Arn"]}


# --- parameters -------------------------------------------------------------------------------------------


def test_tuning_parameters_default_to_the_twins_config(synth: Synth) -> None:
    params = synth.tpl["Parameters"]
    expected = {
        "MaxItemsPerBatch": CONFIG.max_items_per_batch,
        "MaxInputBytesPerBatch": CONFIG.max_input_bytes_per_batch,
        "MaxConcurrency": CONFIG.max_concurrency,
        "ToleratedFailurePercentage": CONFIG.tolerated_failure_percentage,
        "WriterBatchSize": CONFIG.writer_batch_size,
        "WriterBatchingWindowSeconds": CONFIG.writer_batching_window_s,
        "MaxReceiveCount": CONFIG.max_receive_count,
        "ApiRateLimit": CONFIG.api_rate_limit,
        "ApiBurstLimit": CONFIG.api_burst_limit,
    }
    for name, default in expected.items():
        assert params[name]["Type"] == "Number", name
        assert params[name]["Default"] == default, name
    assert params["StateMachineLogLevel"]["AllowedValues"] == ["ALL", "ERROR", "FATAL", "OFF"]
    assert params["StateMachineLogLevel"]["Default"] == CONFIG.state_machine_log_level == "ERROR"
    assert params["StateMachineLogExecutionData"]["Default"] == "true"
    assert params["StateMachineTracing"]["Default"] == "true"


def test_parameters_carry_aws_documented_bounds(synth: Synth) -> None:
    """AWS: ToleratedFailurePercentage is 0-100; ItemBatcher MaxInputBytesPerBatch at most 256 KiB;
    SQS event source batching window at most 300 s; maxReceiveCount 1-1000."""
    params = synth.tpl["Parameters"]
    tolerated = params["ToleratedFailurePercentage"]
    assert (tolerated["MinValue"], tolerated["MaxValue"]) == (0, 100)
    assert params["MaxInputBytesPerBatch"]["MaxValue"] == 262_144
    assert params["WriterBatchingWindowSeconds"]["MaxValue"] == 300
    assert (params["MaxReceiveCount"]["MinValue"], params["MaxReceiveCount"]["MaxValue"]) == (1, 1000)


# --- bucket -----------------------------------------------------------------------------------------------


def test_data_bucket_is_encrypted_private_versioned_and_sends_eventbridge_events(synth: Synth) -> None:
    bucket = synth.tpl["Resources"][synth.logical_id(synth.stack.store.bucket)]
    props = bucket["Properties"]
    assert (
        props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "AES256"
    )
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    assert props["LoggingConfiguration"]["DestinationBucketName"] == _ref(
        synth.logical_id(synth.stack.store.access_logs)
    )
    assert bucket["DeletionPolicy"] == "Retain"
    assert "BucketName" not in props, "CloudFormation names the bucket; the config's name is the twin's"


def test_data_bucket_lifecycle_expires_results_and_rejects_and_archives_processed_files(synth: Synth) -> None:
    props = synth.tpl["Resources"][synth.logical_id(synth.stack.store.bucket)]["Properties"]
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    settings = synth.stack.settings
    assert rules["ExpireResults"]["Prefix"] == CONFIG.results_prefix
    assert rules["ExpireResults"]["ExpirationInDays"] == settings.results_expire_days
    assert rules["ExpireRejects"]["Prefix"] == CONFIG.rejects_prefix
    assert rules["ExpireRejects"]["ExpirationInDays"] == settings.rejects_expire_days
    assert rules["ArchiveProcessedFiles"]["Prefix"] == CONFIG.incoming_prefix
    assert rules["ArchiveProcessedFiles"]["Transitions"] == [
        {"StorageClass": "STANDARD_IA", "TransitionInDays": settings.incoming_to_infrequent_access_days}
    ]
    assert "ExpirationInDays" not in rules["ArchiveProcessedFiles"], "source files are never deleted"
    assert rules["ExpireOldVersions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert rules["ExpireOldVersions"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] > 0
    assert all(rule["Status"] == "Enabled" for rule in rules.values())


def _deny_insecure_transport(policy_doc: dict[str, Any]) -> bool:
    return any(
        stmt["Effect"] == "Deny" and stmt["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for stmt in policy_doc["Statement"]
    )


def test_every_bucket_and_queue_denies_requests_without_tls(synth: Synth) -> None:
    bucket_policies = synth.resources("AWS::S3::BucketPolicy").values()
    queue_policies = synth.resources("AWS::SQS::QueuePolicy").values()
    buckets = {
        json.dumps(p["Properties"]["Bucket"])
        for p in bucket_policies
        if _deny_insecure_transport(p["Properties"]["PolicyDocument"])
    }
    assert buckets == {json.dumps(_ref(lid)) for lid in synth.resources("AWS::S3::Bucket")}
    queues = {
        json.dumps(q)
        for p in queue_policies
        if _deny_insecure_transport(p["Properties"]["PolicyDocument"])
        for q in p["Properties"]["Queues"]
    }
    assert queues == {json.dumps(_ref(lid)) for lid in synth.resources("AWS::SQS::Queue")}


def test_access_log_bucket_is_private_and_encrypted(synth: Synth) -> None:
    props = synth.tpl["Resources"][synth.logical_id(synth.stack.store.access_logs)]["Properties"]
    assert props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert "BucketEncryption" in props
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


# --- queues and table -------------------------------------------------------------------------------------


def test_batch_queue_is_encrypted_with_a_dlq_after_max_receive_count(synth: Synth) -> None:
    store = synth.stack.store
    queue = synth.tpl["Resources"][synth.logical_id(store.queue)]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["VisibilityTimeout"] == CONFIG.queue_visibility_timeout_s
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": _arn(synth.logical_id(store.dlq)),
        "maxReceiveCount": _ref("MaxReceiveCount"),
    }
    for dlq in (store.dlq, store.start_failures):
        props = synth.tpl["Resources"][synth.logical_id(dlq)]["Properties"]
        assert props["SqsManagedSseEnabled"] is True
        assert props["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_writer_visibility_timeout_covers_its_run_time(synth: Synth) -> None:
    """AWS (SQS event source): the queue's visibility timeout must be at least the function's timeout."""
    assert CONFIG.queue_visibility_timeout_s >= CONFIG.function("writer").timeout_s


def test_messages_table_keys_billing_recovery_and_retention(synth: Synth) -> None:
    table = synth.tpl["Resources"][synth.logical_id(synth.stack.store.table)]
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "date", "KeyType": "HASH"},
        {"AttributeName": "time", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "date", "AttributeType": "S"},
        {"AttributeName": "time", "AttributeType": "S"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert "TableName" not in props


def test_ledger_table_keys_billing_recovery_and_retention(synth: Synth) -> None:
    """The per-file ledger (file / sk keys) is kept like the data: retained, point-in-time recovery."""
    table = synth.tpl["Resources"][synth.logical_id(synth.stack.store.ledger)]
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "file", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"


# --- functions --------------------------------------------------------------------------------------------


def _function(synth: Synth, key: str) -> dict[str, Any]:
    return synth.tpl["Resources"][synth.logical_id(synth.stack.functions.by_key[key])]["Properties"]


def test_one_function_per_config_spec_with_its_handler_timeout_and_memory(synth: Synth) -> None:
    assert len(synth.resources("AWS::Lambda::Function")) == len(CONFIG.functions)
    for spec in CONFIG.functions:
        props = _function(synth, spec.key)
        assert props["Handler"] == spec.handler
        assert props["Timeout"] == spec.timeout_s
        assert props["MemorySize"] == spec.memory_mb
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert "FunctionName" not in props


def test_function_environment_maps_config_fields_to_deployed_resources(synth: Synth) -> None:
    table = _ref(synth.logical_id(synth.stack.store.table))
    ledger = _ref(synth.logical_id(synth.stack.store.ledger))
    bucket = _ref(synth.logical_id(synth.stack.store.bucket))
    deployed = {"table_name": table, "data_bucket": bucket, "ledger_table_name": ledger}
    for spec in CONFIG.functions:
        env = _function(synth, spec.key).get("Environment", {}).get("Variables", {})
        assert set(env) == set(spec.env), spec.key
        for var, field in spec.env.items():
            expected = deployed.get(field, str(getattr(CONFIG, field)))
            assert env[var] == expected, (spec.key, var)


def test_functions_use_aws_public_powertools_layer_for_their_runtime(synth: Synth) -> None:
    for spec in CONFIG.functions:
        (layer,) = _function(synth, spec.key)["Layers"]
        template, variables = layer["Fn::Sub"]
        assert template.startswith("arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:")
        assert template.endswith(":AWSLambdaPowertoolsPythonV3-python314-arm64:${Version}")
        assert variables == {"Version": _ref("PowertoolsLayerVersion")}


def test_each_function_logs_to_its_own_log_group_with_retention(synth: Synth) -> None:
    groups = synth.resources("AWS::Logs::LogGroup")
    seen = set()
    for spec in CONFIG.functions:
        lid = _function(synth, spec.key)["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[lid]["Properties"]["RetentionInDays"] == 30
        seen.add(lid)
    assert len(seen) == len(CONFIG.functions)
    assert all("RetentionInDays" in g["Properties"] for g in groups.values())


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_function_code_is_the_plain_tasks_folder(synth: Synth) -> None:
    """Code.from_asset on tasks/<folder>: the staged asset holds exactly the folder's code files."""
    assets = json.loads((synth.outdir / f"{synth.stack.artifact_id}.assets.json").read_text())["files"]
    for spec in CONFIG.functions:
        key = _function(synth, spec.key)["Code"]["S3Key"]
        asset = assets[key.removesuffix(".zip")]
        assert asset["source"]["packaging"] == "zip"
        staged = synth.outdir / asset["source"]["path"]
        folder = TASKS_DIR / spec.folder
        expected = {f for f in _files(folder) if not f.startswith("tests/") and not f.endswith(".md")}
        assert _files(staged) == expected, spec.key


def test_writer_reads_the_queue_with_partial_batch_responses(synth: Synth) -> None:
    (mapping,) = synth.resources("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == _ref(synth.logical_id(synth.stack.functions.by_key["writer"]))
    assert props["EventSourceArn"] == _arn(synth.logical_id(synth.stack.store.queue))
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == _ref("WriterBatchSize")
    assert props["MaximumBatchingWindowInSeconds"] == _ref("WriterBatchingWindowSeconds")


# --- state machine and rule -------------------------------------------------------------------------------


def test_state_machine_is_standard_with_logging_and_tracing_levels_from_parameters(synth: Synth) -> None:
    pipeline = synth.stack.pipeline
    props = synth.tpl["Resources"][synth.logical_id(pipeline.state_machine)]["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert "StateMachineName" not in props
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == _ref("StateMachineLogLevel")
    flags = {name: cond["Fn::Equals"] for name, cond in synth.tpl["Conditions"].items()}

    def flag(value: dict[str, Any]) -> list[Any]:  # {"Fn::If": [condition, true, false]} -> the condition
        condition, when_true, when_false = value["Fn::If"]
        assert (when_true, when_false) == (True, False)
        return flags[condition]

    assert flag(logging["IncludeExecutionData"]) == [_ref("StateMachineLogExecutionData"), "true"]
    assert logging["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": _arn(synth.logical_id(pipeline.log_group))}}
    ]
    assert flag(props["TracingConfiguration"]["Enabled"]) == [_ref("StateMachineTracing"), "true"]
    group = synth.tpl["Resources"][synth.logical_id(pipeline.log_group)]["Properties"]
    name = f"/aws/vendedlogs/states/{synth.stack.stack_name}-{CONFIG.state_machine_name}"
    assert group["LogGroupName"] == name


def test_rule_starts_the_state_machine_for_csv_objects_under_the_incoming_prefix(synth: Synth) -> None:
    """AWS: S3 sends `Object Created` events to EventBridge when EventBridge notifications are on; a
    wildcard pattern matches prefix and suffix together."""
    store, pipeline = synth.stack.store, synth.stack.pipeline
    rule = synth.tpl["Resources"][synth.logical_id(pipeline.rule)]
    props = rule["Properties"]
    assert props["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [_ref(synth.logical_id(store.bucket))]},
            "object": {"key": [{"wildcard": f"{CONFIG.incoming_prefix}*.csv"}]},
        },
    }
    (target,) = props["Targets"]
    assert target["Arn"] == _ref(synth.logical_id(pipeline.state_machine))
    assert "Input" not in target and "InputPath" not in target, "the execution input is the event itself"
    assert target["DeadLetterConfig"] == {"Arn": _arn(synth.logical_id(store.start_failures))}
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 24 * 3600


def test_failed_aborted_and_timed_out_executions_go_to_summarize(synth: Synth) -> None:
    """AWS, "Step Functions events in EventBridge": an execution's status change is an event of source
    aws.states, detail-type "Step Functions Execution Status Change"; the rule sends those of this state
    machine that did not succeed to Summarize, which finalises the ledger (the twin delivers the same)."""
    pipeline = synth.stack.pipeline
    assert len(synth.resources("AWS::Events::Rule")) == 2
    props = synth.tpl["Resources"][synth.logical_id(pipeline.ended_rule)]["Properties"]
    assert props["EventPattern"] == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "stateMachineArn": [_ref(synth.logical_id(pipeline.state_machine))],
            "$or": [
                {"status": ["FAILED", "ABORTED", "TIMED_OUT"]},
                {"status": ["RUNNING"], "redriveCount": [{"numeric": [">", 0]}]},
            ],
        },
    }
    (target,) = props["Targets"]
    summarize = synth.logical_id(synth.stack.functions.by_key["summarize"])
    assert target["Arn"] == _arn(summarize)
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 24 * 3600}
    assert "Input" not in target, "Summarize gets the event itself"
    permissions = [
        p["Properties"]
        for p in synth.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert [p["FunctionName"] for p in permissions] == [_arn(summarize)]
    assert permissions[0]["SourceArn"] == _arn(synth.logical_id(pipeline.ended_rule))


def test_event_pattern_matches_the_keys_the_twin_reacts_to() -> None:
    """The wildcard is `<incoming prefix>*.csv`: EventBridge's `*` matches any characters, `/` included."""
    from fnmatch import fnmatchcase

    from infra.pipeline import csv_key_pattern

    pattern = csv_key_pattern(CONFIG)
    assert fnmatchcase("incoming/data.csv", pattern)
    assert fnmatchcase("incoming/2026/11/data.csv", pattern)
    assert not fnmatchcase("incoming/data.csv.tmp", pattern)
    assert not fnmatchcase("results/x.csv", pattern)


# --- API --------------------------------------------------------------------------------------------------


def test_every_method_requires_the_api_key_and_validates_its_request(synth: Synth) -> None:
    methods = synth.resources("AWS::ApiGateway::Method")
    validator_lid = synth.logical_id(synth.stack.api.validator)
    assert len(methods) == 5
    for method in methods.values():
        props = method["Properties"]
        assert props["ApiKeyRequired"] is True
        assert props["RequestValidatorId"] == _ref(validator_lid)
        assert props["Integration"]["Type"] == "AWS_PROXY"
    synth.template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )


def test_each_route_integrates_its_own_function(synth: Synth) -> None:
    from infra.api import ROUTES

    api = synth.stack.api.api
    for route in ROUTES:
        method = next(
            m for m in api.methods if m.http_method == route.method and m.resource.path == route.path
        )
        props = synth.tpl["Resources"][synth.logical_id(method)]["Properties"]
        uri = json.dumps(props["Integration"]["Uri"])
        fn_lid = synth.logical_id(synth.stack.functions.by_key[route.function])
        assert fn_lid in uri, route
        assert all(
            lid not in uri
            for key, fn in synth.stack.functions.by_key.items()
            if key != route.function
            for lid in [synth.logical_id(fn)]
        )


def test_usage_plan_throttles_with_parameters_and_holds_the_key(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan",
        {
            "Throttle": {"RateLimit": _ref("ApiRateLimit"), "BurstLimit": _ref("ApiBurstLimit")},
            "ApiStages": [Match.object_like({"Stage": Match.any_value()})],
        },
    )
    synth.template.has_resource_properties(
        "AWS::ApiGateway::UsagePlanKey",
        {"KeyId": _ref(synth.logical_id(synth.stack.api.api_key)), "KeyType": "API_KEY"},
    )


def test_stage_writes_access_logs_and_error_logs(synth: Synth) -> None:
    (stage,) = synth.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == CONFIG.api_stage
    assert props["AccessLogSetting"]["DestinationArn"] == _arn(synth.logical_id(synth.stack.api.access_logs))
    assert json.loads(props["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    assert props["MethodSettings"][0]["LoggingLevel"] == "ERROR"
    assert props["MethodSettings"][0]["MetricsEnabled"] is True


def test_gateway_errors_have_the_handlers_error_shape(synth: Synth) -> None:
    """API Gateway's own 4xx/5xx (bad key, throttled, bad body) answer {"error": {"code", "message"}}."""
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for props in responses.values():
        template = props["ResponseTemplates"]["application/json"]
        filled = template.replace("$context.error.responseType", "INVALID_API_KEY").replace(
            "$context.error.messageString", json.dumps("Forbidden")
        )
        assert json.loads(filled) == {"error": {"code": "INVALID_API_KEY", "message": "Forbidden"}}


# --- alarms and outputs -----------------------------------------------------------------------------------


def test_alarms_fire_on_dlq_messages_failed_executions_and_writer_errors(synth: Synth) -> None:
    alarms = [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]
    stack = synth.stack

    def dimensions(namespace: str, metric: str) -> list[Any]:
        return [a["Dimensions"] for a in alarms if (a["Namespace"], a["MetricName"]) == (namespace, metric)]

    queues = [
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": [synth.logical_id(q), "QueueName"]}}]
        for q in (stack.store.dlq, stack.store.start_failures)
    ]
    assert sorted(map(json.dumps, dimensions("AWS/SQS", "ApproximateNumberOfMessagesVisible"))) == sorted(
        map(json.dumps, queues)
    )
    (sm,) = dimensions("AWS/States", "ExecutionsFailed")
    (writer,) = dimensions("AWS/Lambda", "Errors")
    sm_lid = synth.logical_id(stack.pipeline.state_machine)
    writer_lid = synth.logical_id(stack.functions.by_key["writer"])
    assert sm == [{"Name": "StateMachineArn", "Value": _ref(sm_lid)}]
    assert writer == [{"Name": "FunctionName", "Value": _ref(writer_lid)}]
    for alarm in alarms:
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"


def test_outputs_are_exactly_the_keys_the_cli_reads(synth: Synth) -> None:
    outputs = synth.tpl["Outputs"]
    stack = synth.stack
    assert list(outputs) == list(OUTPUT_KEYS)
    assert outputs["DataBucketName"]["Value"] == _ref(synth.logical_id(stack.store.bucket))
    assert outputs["IncomingPrefix"]["Value"] == CONFIG.incoming_prefix
    assert outputs["StateMachineArn"]["Value"] == _ref(synth.logical_id(stack.pipeline.state_machine))
    assert outputs["QueueUrl"]["Value"] == _ref(synth.logical_id(stack.store.queue))
    assert outputs["DlqUrl"]["Value"] == _ref(synth.logical_id(stack.store.dlq))
    assert outputs["TableName"]["Value"] == _ref(synth.logical_id(stack.store.table))
    assert outputs["LedgerTableName"]["Value"] == _ref(synth.logical_id(stack.store.ledger))
    assert outputs["ApiKeyId"]["Value"] == _ref(synth.logical_id(stack.api.api_key))
    api_url = json.dumps(outputs["ApiUrl"]["Value"])
    stage = synth.logical_id(stack.api.api.deployment_stage)
    assert synth.logical_id(stack.api.api) in api_url and json.dumps(_ref(stage)) in api_url
