"""What each function may do beyond writing its own logs: one place, one statement per need."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn

from infra.storage import DataStore
from workflow.config import PipelineConfig

# DynamoDB actions on the messages table, per function (config key). The API handlers' calls are checked
# against this table by tests/infra (every boto3 call in a folder must be allowed here).
TABLE_ACTIONS: dict[str, list[str]] = {
    # PartiQLInsert: the items go in as INSERTs in BatchExecuteStatement (an INSERT never overwrites);
    # BatchGetItem: the stored items under the keys an INSERT found taken (duplicates and conflicts only)
    "writer": ["dynamodb:PartiQLInsert", "dynamodb:BatchGetItem"],
    "api_list": ["dynamodb:Scan", "dynamodb:Query"],
    "api_get": ["dynamodb:GetItem", "dynamodb:Query"],
    "api_post": ["dynamodb:PutItem"],
    "api_put": ["dynamodb:UpdateItem"],
    "api_delete": ["dynamodb:DeleteItem"],
}
# DynamoDB actions on the ledger table, per function: the writer puts its batch records (and adds a batch it
# stored after its run ended to the object's counts); Summarize reads them and rewrites the object's item.
LEDGER_ACTIONS: dict[str, list[str]] = {
    # DeleteItem: the writer removes its `writing` mark of a batch that failed (tasks/writer)
    "writer": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:DeleteItem"],
    "summarize": ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"],
}


def grant_function_needs(
    config: PipelineConfig,
    functions: dict[str, lambda_.Function],
    store: DataStore,
    state_machine: sfn.IStateMachine,
) -> None:
    """Table access per TABLE_ACTIONS, the writer's task-token callbacks, summarize's S3 prefixes."""
    for key, actions in TABLE_ACTIONS.items():
        functions[key].add_to_role_policy(
            iam.PolicyStatement(sid="MessagesTable", actions=actions, resources=[store.table.table_arn])
        )
    for key, actions in LEDGER_ACTIONS.items():
        functions[key].add_to_role_policy(
            iam.PolicyStatement(sid="LedgerTable", actions=actions, resources=[store.ledger.table_arn])
        )
    # The writer reports each batch back to the execution that is waiting on the task token.
    state_machine.grant_task_response(functions["writer"])
    summarize = functions["summarize"]
    results = f"{config.results_prefix}*"
    summarize.add_to_role_policy(
        iam.PolicyStatement(
            sid="ReadMapResults", actions=["s3:GetObject"], resources=[store.bucket.arn_for_objects(results)]
        )
    )
    summarize.add_to_role_policy(
        iam.PolicyStatement(
            sid="ListMapResults",
            actions=["s3:ListBucket"],
            resources=[store.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [results]}},
        )
    )
    # A run that ended early: Summarize counts the file's rows to name the ones no batch reached.
    summarize.add_to_role_policy(
        iam.PolicyStatement(
            sid="CountIncomingRows",
            actions=["s3:GetObject"],
            resources=[store.bucket.arn_for_objects(f"{config.incoming_prefix}*")],
        )
    )
    summarize.add_to_role_policy(
        iam.PolicyStatement(
            sid="WriteRejects",
            actions=["s3:PutObject"],
            resources=[store.bucket.arn_for_objects(f"{config.rejects_prefix}*")],
        )
    )
