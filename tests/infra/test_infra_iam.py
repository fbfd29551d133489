"""Least privilege: every IAM statement of the template, walked and compared with what the code needs."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_synth import Synth
from workflow.config import TASKS_DIR, PipelineConfig

pytestmark = pytest.mark.infra
CONFIG = PipelineConfig()

# Actions AWS only authorises on Resource "*", and why we need them.
WILDCARD_RESOURCE_ACTIONS = {
    **dict.fromkeys(
        [
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        ],
        "X-Ray tracing of the state machine; X-Ray actions have no resource-level permissions",
    ),
    **dict.fromkeys(
        [
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ],
        "Step Functions logging to CloudWatch Logs (vended logs); AWS documents Resource '*' for these",
    ),
}
# The only managed policy: API Gateway's account-level CloudWatch role (access logs).
ALLOWED_MANAGED_POLICIES = {"AmazonAPIGatewayPushToCloudWatchLogs"}


def _statements(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role logical id, statement) for every identity-policy statement in the template."""
    for lid, res in synth.tpl["Resources"].items():
        props = res["Properties"]
        if res["Type"] == "AWS::IAM::Policy":
            for role in props.get("Roles", []):
                for stmt in props["PolicyDocument"]["Statement"]:
                    yield role["Ref"], stmt
        elif res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for stmt in policy["PolicyDocument"]["Statement"]:
                    yield lid, stmt


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(synth: Synth, role_lid: str) -> set[tuple[str, str]]:
    """(action, resource as JSON) pairs a role is allowed; conditions are checked separately."""
    return {
        (action, json.dumps(resource, sort_keys=True))
        for lid, stmt in _statements(synth)
        if lid == role_lid
        for action in _as_list(stmt["Action"])
        for resource in _as_list(stmt["Resource"])
    }


def _role_lid(synth: Synth, construct: Any) -> str:
    return synth.logical_id(construct.role)


def test_no_action_wildcards_and_no_not_action(synth: Synth) -> None:
    for role, stmt in _statements(synth):
        assert stmt["Effect"] == "Allow", (role, stmt)
        assert "NotAction" not in stmt and "NotResource" not in stmt, (role, stmt)
        for action in _as_list(stmt["Action"]):
            assert "*" not in action, (role, action)


def test_resource_wildcard_only_where_aws_requires_it(synth: Synth) -> None:
    wildcard_actions = {
        action
        for _, stmt in _statements(synth)
        if "*" in _as_list(stmt["Resource"])
        for action in _as_list(stmt["Action"])
    }
    unexplained = wildcard_actions - set(WILDCARD_RESOURCE_ACTIONS)
    assert not unexplained, f"Resource '*' without a reason: {sorted(unexplained)}"
    assert wildcard_actions, "the state machine's logging/X-Ray statements are expected here"
    sm_role = _role_lid(synth, synth.stack.pipeline.state_machine)
    assert {role for role, stmt in _statements(synth) if "*" in _as_list(stmt["Resource"])} == {sm_role}


def test_string_resources_have_no_wildcard_account_or_region(synth: Synth) -> None:
    """Literal ARNs (those not built from references) never widen to other accounts or regions."""
    for role, stmt in _statements(synth):
        for resource in _as_list(stmt["Resource"]):
            if isinstance(resource, str) and resource != "*":
                pytest.fail(f"{role}: hard-coded resource {resource}")


def test_managed_policies_only_for_api_gateway_logging(synth: Synth) -> None:
    managed = {}
    for lid, res in synth.resources("AWS::IAM::Role").items():
        for arn in res["Properties"].get("ManagedPolicyArns", []):
            managed[lid] = json.dumps(arn).rsplit("/", 1)[-1].strip('"]}')
    assert set(managed.values()) <= ALLOWED_MANAGED_POLICIES
    assert list(managed) == [synth.logical_id(synth.stack.api.api.node.find_child("CloudWatchRole"))]


def test_each_role_trusts_exactly_one_service(synth: Synth) -> None:
    expected = {_role_lid(synth, fn): "lambda.amazonaws.com" for fn in synth.stack.functions.by_key.values()}
    expected[_role_lid(synth, synth.stack.pipeline.state_machine)] = "states.amazonaws.com"
    for lid, res in synth.resources("AWS::IAM::Role").items():
        (stmt,) = res["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert stmt["Action"] == "sts:AssumeRole"
        if lid in expected:
            assert stmt["Principal"] == {"Service": expected[lid]}, lid
        else:
            assert list(stmt["Principal"]) == ["Service"], lid


# --- exact permission sets --------------------------------------------------------------------------------


def _ref(lid: str) -> str:
    return json.dumps({"Ref": lid}, sort_keys=True)


def _arn(lid: str) -> str:
    return json.dumps({"Fn::GetAtt": [lid, "Arn"]}, sort_keys=True)


def _objects(bucket_lid: str, prefix: str) -> str:
    return json.dumps(
        {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_lid, "Arn"]}, f"/{prefix}*"]]}, sort_keys=True
    )


def _logs(synth: Synth, key: str) -> set[tuple[str, str]]:
    group = _arn(synth.logical_id(synth.stack.functions.log_groups[key]))
    return {("logs:CreateLogStream", group), ("logs:PutLogEvents", group)}


def test_state_machine_role_has_exactly_what_the_definition_uses(synth: Synth) -> None:
    """AWS (IAM policies for Distributed Map): StartExecution on the state machine, Describe/StopExecution
    on its executions; ItemReader s3:GetObject on the source; ResultWriter PutObject, GetObject,
    ListMultipartUploadParts, AbortMultipartUpload on the results prefix."""
    stack = synth.stack
    sm_lid = synth.logical_id(stack.pipeline.state_machine)
    bucket = synth.logical_id(stack.store.bucket)
    fns = stack.functions.by_key
    grants = _grants(synth, _role_lid(synth, stack.pipeline.state_machine))
    wildcard = {(action, '"*"') for action in WILDCARD_RESOURCE_ACTIONS}
    executions = {
        json.dumps(
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":states:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        ":execution:",
                        {"Fn::GetAtt": [sm_lid, "Name"]},
                        suffix,
                    ],
                ]
            },
            sort_keys=True,
        ): suffix
        for suffix in (":*", "/*")
    }
    expected = wildcard | {
        ("lambda:InvokeFunction", _arn(synth.logical_id(fns["transform"]))),
        ("lambda:InvokeFunction", _arn(synth.logical_id(fns["summarize"]))),
        ("sqs:SendMessage", _arn(synth.logical_id(stack.store.queue))),
        # RegisterObject / RegisterReplay: the first state records the object version in the ledger
        ("dynamodb:UpdateItem", _arn(synth.logical_id(stack.store.ledger))),
        ("s3:GetObject", _objects(bucket, CONFIG.incoming_prefix)),
        *{
            (action, _objects(bucket, CONFIG.results_prefix))
            for action in (
                "s3:PutObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:AbortMultipartUpload",
            )
        },
        ("states:StartExecution", _ref(sm_lid)),
        *{
            (action, arn)
            for arn in executions
            for action in ("states:DescribeExecution", "states:StopExecution")
        },
        *{("states:RedriveExecution", arn) for arn, suffix in executions.items() if suffix == "/*"},
    }
    assert grants == expected


def test_map_run_permissions_are_a_separate_policy(synth: Synth) -> None:
    """Inside the role's default policy the state machine would depend on its own ARN (a cycle)."""
    policy = synth.tpl["Resources"][synth.logical_id(synth.stack.pipeline.map_run_policy)]
    actions = {
        a for stmt in policy["Properties"]["PolicyDocument"]["Statement"] for a in _as_list(stmt["Action"])
    }
    assert actions == {
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
        "states:RedriveExecution",
    }
    sm = synth.tpl["Resources"][synth.logical_id(synth.stack.pipeline.state_machine)]
    assert synth.logical_id(synth.stack.pipeline.map_run_policy) not in sm.get("DependsOn", [])


def test_function_roles_have_exactly_their_needs(synth: Synth) -> None:
    stack = synth.stack
    table = _arn(synth.logical_id(stack.store.table))
    ledger = _arn(synth.logical_id(stack.store.ledger))
    bucket = synth.logical_id(stack.store.bucket)
    queue = _arn(synth.logical_id(stack.store.queue))
    sm = _ref(synth.logical_id(stack.pipeline.state_machine))
    needs: dict[str, set[tuple[str, str]]] = {
        "transform": set(),
        "writer": {
            ("dynamodb:PartiQLInsert", table),  # INSERTs: never an overwrite, no read before
            ("dynamodb:BatchGetItem", table),  # only the keys an INSERT found taken
            ("dynamodb:PutItem", ledger),  # the batch record
            ("dynamodb:UpdateItem", ledger),  # a batch stored after its run ended joins the counts
            ("dynamodb:GetItem", ledger),
            ("dynamodb:DeleteItem", ledger),  # the `writing` mark of a batch that failed
            ("states:SendTaskHeartbeat", sm),
            ("states:SendTaskSuccess", sm),
            ("states:SendTaskFailure", sm),
            # the SQS event source mapping polls with the function's role
            *{
                (a, queue)
                for a in (
                    "sqs:ReceiveMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueUrl",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                )
            },
        },
        "summarize": {
            ("dynamodb:Query", ledger),  # the batch records
            ("dynamodb:GetItem", ledger),  # the object version's item ...
            ("dynamodb:PutItem", ledger),  # ... rewritten (optimistic locking)
            ("s3:GetObject", _objects(bucket, CONFIG.incoming_prefix)),  # rows of a run that ended early
            ("s3:GetObject", _objects(bucket, CONFIG.results_prefix)),
            ("s3:ListBucket", _arn(bucket)),
            ("s3:PutObject", _objects(bucket, CONFIG.rejects_prefix)),
        },
        "api_list": {("dynamodb:Scan", table), ("dynamodb:Query", table)},
        "api_get": {("dynamodb:GetItem", table), ("dynamodb:Query", table)},
        "api_post": {("dynamodb:PutItem", table)},
        "api_put": {("dynamodb:UpdateItem", table)},
        "api_delete": {("dynamodb:DeleteItem", table)},
    }
    assert set(needs) == {spec.key for spec in CONFIG.functions}
    for key, fn in stack.functions.by_key.items():
        assert _grants(synth, _role_lid(synth, fn)) == needs[key] | _logs(synth, key), key


def test_summarize_lists_only_the_results_prefix(synth: Synth) -> None:
    role = _role_lid(synth, synth.stack.functions.by_key["summarize"])
    (stmt,) = [s for lid, s in _statements(synth) if lid == role and s["Action"] == "s3:ListBucket"]
    assert stmt["Condition"] == {"StringLike": {"s3:prefix": [f"{CONFIG.results_prefix}*"]}}


def test_event_rule_role_only_starts_this_state_machine(synth: Synth) -> None:
    rule = synth.tpl["Resources"][synth.logical_id(synth.stack.pipeline.rule)]
    (target,) = rule["Properties"]["Targets"]
    role = target["RoleArn"]["Fn::GetAtt"][0]
    assert _grants(synth, role) == {
        ("states:StartExecution", _ref(synth.logical_id(synth.stack.pipeline.state_machine)))
    }


# --- the handlers' AWS calls ------------------------------------------------------------------------------

# boto3 operation (method or paginator name) -> IAM action.
OPERATIONS = {
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "batch_get_item": "dynamodb:BatchGetItem",
    # the writer's statements are INSERTs only (tasks/writer/batch_store.py); "IAM policies with PartiQL for
    # DynamoDB" (developer guide): BatchExecuteStatement needs the PartiQL action of each statement
    "batch_execute_statement": "dynamodb:PartiQLInsert",
    "batch_writer": "dynamodb:BatchWriteItem",
    "transact_write_items": "dynamodb:TransactWriteItems",
    "get_object": "s3:GetObject",
    "head_object": "s3:GetObject",
    "put_object": "s3:PutObject",
    "list_objects_v2": "s3:ListBucket",
    "list_objects": "s3:ListBucket",
    "delete_object": "s3:DeleteObject",
    "copy_object": "s3:PutObject",
    "upload_fileobj": "s3:PutObject",
    "download_fileobj": "s3:GetObject",
    "send_task_success": "states:SendTaskSuccess",
    "send_task_failure": "states:SendTaskFailure",
    "send_task_heartbeat": "states:SendTaskHeartbeat",
    "start_execution": "states:StartExecution",
    "send_message": "sqs:SendMessage",
    "send_message_batch": "sqs:SendMessage",
}
CHECKED_SERVICES = ("dynamodb:", "s3:", "states:")
# Granted although no call is statically reachable, or reachable but not granted, with the reason.
GRANTED_NOT_CALLED: dict[tuple[str, str], str] = {}
CALLED_NOT_GRANTED = {
    (
        "api_get",
        "dynamodb:Scan",
    ): "get_message always passes the date to message_store.page, which then Queries",
}


class _Module:
    """A task folder module: its functions' calls (callee names) and the boto3 operations each makes."""

    def __init__(self, path: Path) -> None:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        self.aliases: dict[str, str] = {}  # local name -> "module.name" or "module"
        self.calls: dict[str, set[str]] = {}
        self.operations: dict[str, set[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = alias.name
        self.methods = {
            fn.name
            for cls in ast.walk(tree)
            if isinstance(cls, ast.ClassDef)
            for fn in cls.body
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.calls[node.name], self.operations[node.name] = self._scan(node)
        for node in tree.body:  # `handler = api_handler(list_messages)`: the name stands for its value
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.calls[target.id], self.operations[target.id] = self._scan(node.value)

    def _scan(self, fn: ast.AST) -> tuple[set[str], set[str]]:
        calls: set[str] = set()
        operations: set[str] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Attribute):
                if node.attr in OPERATIONS:  # a call, or a bound method passed on (`_send(sfn.send_task_x)`)
                    operations.add(OPERATIONS[node.attr])
                if isinstance(node.value, ast.Name):
                    calls.add(f"{node.value.id}.{node.attr}")
            elif isinstance(node, ast.Name):
                calls.add(node.id)  # called, or passed as a value (decorators, callbacks)
            elif isinstance(node, ast.Constant) and node.value in OPERATIONS:
                operations.add(OPERATIONS[node.value])  # getattr(client, "batch_write_item")
        return calls, operations


def _reachable_operations(folder: Path, handler: str) -> set[str]:
    modules = {p.stem: _Module(p) for p in folder.glob("*.py")}
    start_module, start_fn = handler.rsplit(".", 1)
    seen: set[tuple[str, str]] = set()
    todo = [(start_module, start_fn)]
    found: set[str] = set()
    while todo:
        module_name, fn = todo.pop()
        if (module_name, fn) in seen or module_name not in modules or fn not in modules[module_name].calls:
            continue
        seen.add((module_name, fn))
        module = modules[module_name]
        found |= module.operations[fn]
        for callee in module.calls[fn]:
            head, _, tail = callee.partition(".")
            target = module.aliases.get(head, head)
            if not tail:  # a local function, or `from module import function`
                todo.append(tuple(target.rsplit(".", 1)) if "." in target else (module_name, target))
            elif target in modules:  # module.function
                todo.append((target, tail))
            else:  # obj.method: any class method of that name in the folder (an over-approximation)
                todo.extend((name, tail) for name, other in modules.items() if tail in other.methods)
    return found


def test_roles_allow_every_aws_call_their_handler_makes_and_nothing_else(synth: Synth) -> None:
    """Walks each handler's call graph inside its tasks/ folder: every boto3 operation reachable from the
    handler is allowed by the function's role, and every data action granted is one the code makes."""
    checked = 0
    for spec in CONFIG.functions:
        folder = TASKS_DIR / spec.folder
        module = folder / (spec.handler.rsplit(".", 1)[0] + ".py")
        if not module.exists():
            continue  # the handler is not written yet: nothing to compare
        checked += 1
        called = _reachable_operations(folder, spec.handler)
        role = _role_lid(synth, synth.stack.functions.by_key[spec.key])
        granted = {action for action, _ in _grants(synth, role) if action.startswith(CHECKED_SERVICES)}
        missing = {a for a in called - granted if (spec.key, a) not in CALLED_NOT_GRANTED}
        unused = {a for a in granted - called if (spec.key, a) not in GRANTED_NOT_CALLED}
        assert not missing, f"{spec.key}: code calls {sorted(missing)} but the role does not allow it"
        assert not unused, f"{spec.key}: role allows {sorted(unused)} but the code never calls it"
    if not checked:
        pytest.skip("no handler module written yet under tasks/")


def test_call_graph_walk_finds_calls_through_shared_modules(tmp_path: Path) -> None:
    """The walk follows `module.function` calls and string operation names (getattr dispatch)."""
    (tmp_path / "h.py").write_text(
        "import store\n\ndef op(e, c):\n    return store.save(e)\n\nhandler = wrap(op)\n"
    )
    (tmp_path / "store.py").write_text(
        "def save(e):\n    s = Store()\n    return s.put(_call('batch_write_item'))\n\n"
        "def unused():\n    t.scan()\n\n"
        "def _call(op):\n    return getattr(client, op)()\n\n"
        "class Store:\n    def put(self, x):\n        self.sfn.send_task_success(x)\n"
    )
    assert _reachable_operations(tmp_path, "h.handler") == {
        "dynamodb:BatchWriteItem",
        "states:SendTaskSuccess",
    }
