"""The REST API: five Lambda integrations behind an API key, a usage plan, request validation, access logs."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.inputs import StackInputs


@dataclass(frozen=True)
class Route:
    """One method of the API, the function (config key) behind it, its query strings (name: required)."""

    method: str
    path: str
    function: str
    query: dict[str, bool] = field(default_factory=dict)
    body: bool = False


PAGE = {"limit": False, "next": False}
ROUTES = [
    Route("GET", "/message", "api_list", query=PAGE),
    Route("POST", "/message", "api_post", body=True),
    Route("GET", "/message/{date}", "api_get", query={"time": False, **PAGE}),
    Route("PUT", "/message/{date}", "api_put", query={"time": True}, body=True),
    Route("DELETE", "/message/{date}", "api_delete", query={"time": True}),
]

# Every error API Gateway itself answers (bad key, throttled, invalid request) has the shape the handlers
# use: {"error": {"code", "message"}}. `messageString` is already a quoted JSON string.
ERROR_TEMPLATE = '{"error": {"code": "$context.error.responseType", "message": $context.error.messageString}}'

# JSON Schema (draft 4, what API Gateway models use) for POST/PUT bodies: a JSON object. Field rules are
# the handlers' (tasks/api), so they answer with the same field-level errors locally and on AWS.
BODY_SCHEMA = apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT)


class RestApi(Construct):
    """API Gateway REST API in front of the five API functions."""

    def __init__(
        self, scope: Construct, cid: str, inputs: StackInputs, *, functions: dict[str, lambda_.IFunction]
    ) -> None:
        super().__init__(scope, cid)
        config, settings, params = inputs.config, inputs.settings, inputs.params
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=settings.log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            description="csv-etl messages: REST CRUD on the stored rows",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway writes access logs through the account's CloudWatch role; the stack sets it and
            # keeps it on deletion, since other APIs in the account rely on the same setting.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=config.api_stage,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                metrics_enabled=True,
                tracing_enabled=True,
            ),
            default_method_options=apigw.MethodOptions(api_key_required=True),
        )
        # The stack's ApiUrl output replaces the construct's own (hash-named) endpoint output.
        self.api.node.try_remove_child("Endpoint")
        self.validator = self.api.add_request_validator(
            "Validator", validate_request_body=True, validate_request_parameters=True
        )
        self.body_model = self.api.add_model(
            "MessageBody", content_type="application/json", schema=BODY_SCHEMA, description="a JSON object"
        )
        for response_type, rid in (
            (apigw.ResponseType.DEFAULT_4_XX, "Default4xx"),
            (apigw.ResponseType.DEFAULT_5_XX, "Default5xx"),
        ):
            self.api.add_gateway_response(
                rid,
                type=response_type,
                templates={"application/json": ERROR_TEMPLATE},
                response_headers={"Content-Type": "'application/json'"},
            )
        for route in ROUTES:
            self._add_route(route, functions[route.function])
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            description="Throttling for every caller of the API key",
            throttle=apigw.ThrottleSettings(
                rate_limit=params.api_rate_limit.value_as_number,
                burst_limit=params.api_burst_limit.value_as_number,
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        self.api_key = self.api.add_api_key("ApiKey", description="csv-etl API key")
        self.usage_plan.add_api_key(self.api_key)

    def _add_route(self, route: Route, function: lambda_.IFunction) -> apigw.Method:
        resource = self.api.root.resource_for_path(route.path)
        parameters = {
            f"method.request.querystring.{name}": required for name, required in route.query.items()
        }
        if "{date}" in route.path:
            parameters["method.request.path.date"] = True
        models = {"application/json": self.body_model} if route.body else None
        return resource.add_method(
            route.method,
            apigw.LambdaIntegration(function, allow_test_invoke=False),
            request_validator=self.validator,
            request_parameters=parameters or None,
            request_models=models,
        )
