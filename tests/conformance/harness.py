"""Runs one conformance case against the engine, in-process or through boto3 over HTTP.

Case file format (JSON list per file under cases/), one object per case:
- `id` (unique, lowercase-dashes), `doc` (the AWS documentation page/section the behaviour comes from) and/or
  `recorded` (`{"snapshot": <path in localstack/localstack>, "test": "<Class>::<test>"}`: a response recorded
  on real AWS that the case reproduces; the recording wins over the docs);
- `speed` (optional): virtual seconds per real second for this case (default SPEED); `clock: "manual"`:
  virtual time advances only when the engine sleeps (exact durations for backoff and Wait checks);
- `kind`: `execution` (default), `validation`, `test_state` or `api`;
- execution: `definition`, `input`, optional `type` (STANDARD|EXPRESS), `sync` (StartSyncExecution),
  `mocks` (`functions`: name -> entry of functions.REGISTRY; `config` + `test_case`: a Step Functions Local
  mock configuration and the test case to run with `<arn>#<TestCase>`), `setup` (`s3`: bucket -> key ->
  text or JSON value, `sqs`: queue names, `dynamodb`: tables, `sns`: topics, `state_machines`: name ->
  definition), `task_responses` (answers to task tokens, in arrival order:
  `{"send": "success|failure|heartbeat|none", "output"|"error"|"cause", "after_s", "same_token"}`),
  `token_queue` (take tokens from this SQS queue's messages instead of the capture_token function),
  `redrive` (`{"expect": ..., "task_responses": [...]}`: redrive the failed execution, then check again);
  `expect`: `status`, `output` | `error` + `cause`, `history` (exact type list), `history_subsequence`,
  `s3` (bucket -> key -> expected JSON), `sqs_messages`, `result_writer` (manifest and result files),
  `history_events` (the whole history as recorded: each event matched on `id`, `previousEventId`, `type` and
  the details given, JSON payload strings compared as JSON, timestamps ignored),
  `describe` (DescribeExecution subset), `elapsed_at_least_s` / `elapsed_below_s` (virtual time),
  `calls` (function entry -> call count).
- validation: `definition`, `expect`: `result` (OK|FAIL), `codes` (diagnostic codes that must appear).
- test_state: `definition` (one state, or a state machine with `stateName`), `input`, `inspectionLevel`,
  `variables`, `mock`, `context`, `stateConfiguration`, `revealSecrets`, `no_role` (call without roleArn),
  `expect` (response subset) or `api_error` (`{"code", "message"}` of the refusal).
- api: `steps` (`{"op", "args", "expect"|"error", "save": {var: key}}`; `${var}` in args is substituted).
Strings `${MOTO}`, `${REGION}`, `${ACCOUNT}`, `${SFN_ACCOUNT}` anywhere in a case are replaced before it runs.
"""

from __future__ import annotations

import gzip
import inspect
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conformance.functions import REGISTRY, FunctionContext, LambdaServiceError
from tests.conformance.matching import history_events_mismatch, mismatch, subsequence_mismatch
from tests.fake_backend import FakeBackend
from workflow.engine.errors import ServiceError

CASES_DIR = Path(__file__).parent / "cases"
REGION = "us-east-1"
MOTO_ACCOUNT = "123456789012"  # moto's default account: queue URLs and ARNs it builds use it
SFN_ACCOUNT = "123456789012"
SPEED = 1000.0  # virtual seconds per real second: a Wait of 10 s takes 10 ms
ROLE_ARN = f"arn:aws:iam::{SFN_ACCOUNT}:role/conformance"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
EXECUTION_DEADLINE_S = 30.0


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            case["_file"] = path.name
            cases.append(case)
    return cases


def substitute(value: Any, variables: dict[str, str]) -> Any:
    """Replace `${NAME}` in every string of a JSON value."""
    if isinstance(value, str):
        for name, replacement in variables.items():
            value = value.replace("${" + name + "}", replacement)
        return value
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    return value


_CLIENTS: dict[tuple[str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def shared_client(service: str, endpoint_url: str) -> Any:
    """boto3 clients are thread-safe and slow to build: one per service and endpoint for the whole session."""
    key = (service, endpoint_url)
    with _CLIENTS_LOCK:  # creating botocore clients is not thread-safe; using them is
        if key not in _CLIENTS:
            _CLIENTS[key] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=endpoint_url,
                region_name=REGION,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30),
            )
        return _CLIENTS[key]


class ConformanceBackend(FakeBackend):
    """The shared fake backend with AWS clients on the session's moto server (Step Functions on the engine's
    HTTP app) and the case's Lambda functions taken from functions.REGISTRY by entry name."""

    def __init__(self, moto_url: str, sfn_url: str, functions: dict[str, str]) -> None:
        super().__init__(
            region=REGION,
            account=SFN_ACCOUNT,
            make_client=lambda service: shared_client(
                service, sfn_url if service == "stepfunctions" else moto_url
            ),
        )
        self.moto_url = moto_url
        self.sfn_url = sfn_url
        self.context = FunctionContext()
        for name, entry in functions.items():
            self.functions[name] = self._registry_function(entry)

    def _registry_function(self, entry: str) -> Callable[[Any], Any]:
        """REGISTRY[entry] as a function of the event; a LambdaServiceError fails the Invoke call itself."""

        def function(event: Any) -> Any:
            self.context.events.append((entry, event))
            try:
                return REGISTRY[entry](event, self.context)
            except LambdaServiceError as exc:
                raise ServiceError(exc.code, str(exc), exc.status) from exc

        return function


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Api:
    """The Step Functions API as the runner sees it: in-process (service methods) or boto3 over HTTP."""

    def __init__(self, target: Any, over_http: bool) -> None:
        self.target = target
        self.over_http = over_http

    def __call__(self, op: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result = getattr(self.target, op)(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ApiError(str(error.get("Code")), str(error.get("Message", ""))) from exc
        except ServiceError as exc:
            raise ApiError(exc.code, exc.message) from exc
        result = dict(result or {})
        result.pop("ResponseMetadata", None)
        return _plain(result)


def _plain(value: Any) -> Any:
    """Datetimes -> ISO strings so in-process and HTTP results compare the same way."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def make_service(
    backend: ConformanceBackend,
    mock_config: dict[str, Any] | None,
    speed: float = SPEED,
    manual_clock: bool = False,
) -> Any:
    """A fresh engine service on the suite's fast clock, with the case's mock configuration if any.

    `manual_clock`: virtual time moves only when the engine sleeps, so durations (backoff, Wait) are exact
    whatever the machine's load.
    """
    from workflow.engine.clock import ManualClock, RealClock
    from workflow.engine.service import StepFunctions

    clock = ManualClock() if manual_clock else RealClock(speed=speed)
    kwargs: dict[str, Any] = {"clock": clock, "region": REGION, "account": SFN_ACCOUNT}
    params = inspect.signature(StepFunctions).parameters
    if mock_config is not None:
        if "mock_config" not in params:
            raise NotImplementedError("StepFunctions takes no mock configuration")
        from workflow.engine.mock_config import MockConfig

        kwargs["mock_config"] = MockConfig.load(mock_config)
    return StepFunctions(backend, **{k: v for k, v in kwargs.items() if k in params})


@dataclass
class Runner:
    api: Api
    backend: ConformanceBackend
    name: str

    # ---- execution cases -------------------------------------------------------------------------------
    def run_execution(self, case: dict[str, Any]) -> None:
        setup_resources(self.backend, case.get("setup", {}))
        for name, definition in case.get("setup", {}).get("state_machines", {}).items():
            self.api("create_state_machine", name=name, definition=json.dumps(definition), roleArn=ROLE_ARN)
        sm_type = case.get("type", "STANDARD")
        created = self.api(
            "create_state_machine",
            name=self.name,
            definition=definition_text(case),
            roleArn=ROLE_ARN,
            type=sm_type,
        )
        sm_arn = created["stateMachineArn"]
        if case.get("mocks", {}).get("test_case"):
            sm_arn = f"{sm_arn}#{case['mocks']['test_case']}"
        payload = json.dumps(case.get("input", {}))
        expect = case["expect"]
        if case.get("sync"):
            result = self.api("start_sync_execution", stateMachineArn=sm_arn, input=payload)
            check_result(expect, result, None)
            return
        started = self.api("start_execution", stateMachineArn=sm_arn, name="run-1", input=payload)
        arn = started["executionArn"]
        result = self.wait(arn, case)
        history = self.history(arn) if sm_type == "STANDARD" else None
        check_result(expect, result, history)
        check_side_effects(self.backend, expect, result)
        if "redrive" in case:
            self.api("redrive_execution", executionArn=arn)
            time.sleep(0.05)
            result = self.wait(arn, {**case, "task_responses": case["redrive"].get("task_responses", [])})
            check_result(case["redrive"]["expect"], result, self.history(arn))
            check_side_effects(self.backend, case["redrive"]["expect"], result)

    def wait(self, arn: str, case: dict[str, Any]) -> dict[str, Any]:
        responses = list(case.get("task_responses", []))
        pending: list[str] = []
        token: str | None = None
        deadline = time.monotonic() + EXECUTION_DEADLINE_S
        while time.monotonic() < deadline:
            result = self.api("describe_execution", executionArn=arn)
            if result["status"] in TERMINAL and result.get("redriveStatus") != "REDRIVING":
                return result
            if responses:
                pending.extend(self.new_tokens(case))
                same = bool(responses[0].get("same_token")) and token is not None
                if pending or same:
                    token = token if same else pending.pop(0)
                    assert token is not None
                    self.answer(token, responses.pop(0))
                    continue
            time.sleep(0.01)
        raise AssertionError(f"execution still running after {EXECUTION_DEADLINE_S}s")

    def new_tokens(self, case: dict[str, Any]) -> list[str]:
        captured = self.backend.context.tokens
        if case.get("token_queue"):
            sqs = self.backend.client("sqs")
            url = f"{self.backend.moto_url}/{MOTO_ACCOUNT}/{case['token_queue']}"
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                body = json.loads(message["Body"])
                captured.append(body.get("taskToken") or body.get("token"))
        tokens = list(captured)
        captured.clear()
        return tokens

    def answer(self, token: str, response: dict[str, Any]) -> None:
        time.sleep(response.get("after_s", 0))
        kind = response["send"]
        try:
            if kind == "success":
                self.api("send_task_success", taskToken=token, output=json.dumps(response.get("output", {})))
            elif kind == "failure":
                kwargs = {k: response[k] for k in ("error", "cause") if k in response}
                self.api("send_task_failure", taskToken=token, **kwargs)
            elif kind == "heartbeat":
                self.api("send_task_heartbeat", taskToken=token)
        except ApiError as exc:
            if response.get("api_error") != exc.code:
                raise
        else:
            if response.get("api_error"):
                raise AssertionError(f"expected {response['api_error']} from send_task_{kind}")

    def history(self, arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self.api("get_execution_history", **kwargs)
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    # ---- other kinds -----------------------------------------------------------------------------------
    def run_validation(self, case: dict[str, Any]) -> None:
        expect = case["expect"]
        text = definition_text(case)
        result = self.api(
            "validate_state_machine_definition", definition=text, type=case.get("type", "STANDARD")
        )
        assert result["result"] == expect["result"], json.dumps(result, indent=1)
        codes = [d.get("code") for d in result.get("diagnostics", []) if d.get("severity") == "ERROR"]
        for code in expect.get("codes", []):
            assert code in codes, f"diagnostic {code} not in {result.get('diagnostics')}"
        if expect["result"] == "FAIL":  # CreateStateMachine refuses what validation rejects
            try:
                self.api("create_state_machine", name=self.name, definition=text, roleArn=ROLE_ARN)
            except ApiError as exc:
                assert exc.code == "InvalidDefinition", exc
            else:
                raise AssertionError("CreateStateMachine accepted an invalid definition")

    def run_test_state(self, case: dict[str, Any]) -> None:
        setup_resources(self.backend, case.get("setup", {}))
        kwargs: dict[str, Any] = {
            "definition": json.dumps(case["definition"]),
            "roleArn": ROLE_ARN,
            "input": json.dumps(case.get("input", {})),
        }
        for key in ("inspectionLevel", "revealSecrets", "stateName", "mock", "stateConfiguration"):
            if key in case:
                kwargs[key] = case[key]
        if case.get("no_role"):
            del kwargs["roleArn"]
        for key in ("variables", "context"):
            if key in case:
                kwargs[key] = json.dumps(case[key])
        if "api_error" in case:  # the call is refused: {"code", "message"}
            try:
                self.api("test_state", **kwargs)
            except ApiError as exc:
                problem = mismatch(case["api_error"], {"code": exc.code, "message": exc.message})
                assert problem is None, f"{problem}: {exc}"
                return
            raise AssertionError(f"TestState accepted the call; expected {case['api_error']}")
        result = self.api("test_state", **kwargs)
        problem = mismatch({"$subset": case["expect"]}, result)
        assert problem is None, f"{problem}\nresult: {json.dumps(result, indent=1)[:3000]}"

    def run_api(self, case: dict[str, Any]) -> None:
        setup_resources(self.backend, case.get("setup", {}))
        variables: dict[str, str] = {"name": self.name, "role": ROLE_ARN}
        for index, step in enumerate(case["steps"]):
            args = substitute(step.get("args", {}), variables)
            for key in ("definition", "input", "output"):
                if key in args and not isinstance(args[key], str):
                    args[key] = json.dumps(args[key])
            if step["op"] == "wait":
                result = self.wait(args["executionArn"], {})
            elif step["op"] == "tokens":
                result = {"token": self.wait_for_token()}
            else:
                try:
                    result = self.api(step["op"], **args)
                except ApiError as exc:
                    assert step.get("error") == exc.code, f"step {index} {step['op']}: unexpected {exc}"
                    continue
                assert "error" not in step, f"step {index} {step['op']}: expected {step.get('error')}"
            if "expect" in step:
                problem = mismatch({"$subset": substitute(step["expect"], variables)}, result)
                assert problem is None, f"step {index} {step['op']}: {problem}"
            for var, key in step.get("save", {}).items():
                variables[var] = str(result[key])
            for var, path in step.get("save_path", {}).items():
                value: Any = result
                for part in path:
                    value = value[part]
                variables[var] = str(value)

    def wait_for_token(self) -> str:
        deadline = time.monotonic() + EXECUTION_DEADLINE_S
        while time.monotonic() < deadline:
            if self.backend.context.tokens:
                return self.backend.context.tokens.pop(0)
            time.sleep(0.01)
        raise AssertionError("no task token arrived")


def setup_resources(backend: ConformanceBackend, setup: dict[str, Any]) -> None:
    """Create the S3 objects, SQS queues and DynamoDB tables a case needs on the moto server."""
    for bucket, objects in setup.get("s3", {}).items():
        s3 = backend.client("s3")
        s3.create_bucket(Bucket=bucket)
        for key, body in objects.items():
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(data) if key.endswith(".gz") else data)
    for queue in setup.get("sqs", []):
        backend.client("sqs").create_queue(QueueName=queue)
    for table in setup.get("dynamodb", []):
        # a table name (key "pk"), or {"name", "keys": [hash, range?]} (string keys)
        name, keys = (table, ["pk"]) if isinstance(table, str) else (table["name"], table["keys"])
        backend.client("dynamodb").create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[
                {"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)
            ],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in keys],
        )
    for topic in setup.get("sns", []):
        backend.client("sns").create_topic(Name=topic)
    for bus in setup.get("events", []):
        backend.client("events").create_event_bus(Name=bus)


def definition_text(case: dict[str, Any]) -> str:
    """The case's definition as API text: a JSON document, a raw string (invalid JSON cases), or a file."""
    if "definition_file" in case:
        from workflow.config import REPO_ROOT

        text = (REPO_ROOT / case["definition_file"]).read_text(encoding="utf-8")
        for name, value in case.get("substitutions", {}).items():
            text = text.replace("${" + name + "}", value)
        return text
    definition = case["definition"]
    return definition if isinstance(definition, str) else json.dumps(definition)


def _elapsed_s(result: dict[str, Any]) -> float:
    stop, start = datetime.fromisoformat(result["stopDate"]), datetime.fromisoformat(result["startDate"])
    return (stop - start).total_seconds()


def check_result(
    expect: dict[str, Any], result: dict[str, Any], history: list[dict[str, Any]] | None
) -> None:
    detail = json.dumps({k: result.get(k) for k in ("status", "output", "error", "cause")}, indent=1)[:4000]
    types = [e.get("type") for e in history or []]
    status = result["status"]
    assert status == expect["status"], f"status {status} != {expect['status']}\n{detail}\n{types}"
    if "output" in expect:
        output = json.loads(result["output"]) if result.get("output") is not None else None
        problem = mismatch(expect["output"], output)
        assert problem is None, f"output: {problem}\n{detail}"
    for key in ("error", "cause"):
        if key in expect:
            problem = mismatch(expect[key], result.get(key))
            assert problem is None, f"{key}: {problem}\n{detail}"
    if "describe" in expect:
        problem = mismatch({"$subset": expect["describe"]}, result)
        assert problem is None, f"describe: {problem}"
    if "elapsed_at_least_s" in expect:
        assert _elapsed_s(result) >= expect["elapsed_at_least_s"], f"elapsed {_elapsed_s(result)} s (virtual)"
    if "elapsed_below_s" in expect:
        assert _elapsed_s(result) < expect["elapsed_below_s"], f"elapsed {_elapsed_s(result)} s (virtual)"
    if history is not None and "history" in expect:
        assert types == expect["history"], f"history {types}\n!= {expect['history']}"
    if history is not None and "history_events" in expect:
        problem = history_events_mismatch(expect["history_events"], history)
        assert problem is None, problem
    if history is not None and "history_subsequence" in expect:
        problem = subsequence_mismatch(expect["history_subsequence"], history)
        assert problem is None, problem


def check_side_effects(backend: ConformanceBackend, expect: dict[str, Any], result: dict[str, Any]) -> None:
    s3 = backend.client("s3")
    if "result_writer" in expect:
        wanted = expect["result_writer"]
        details = json.loads(result["output"])[wanted.get("details_key", "ResultWriterDetails")]
        manifest = json.loads(s3.get_object(Bucket=details["Bucket"], Key=details["Key"])["Body"].read())
        if "manifest" in wanted:
            problem = mismatch(wanted["manifest"], manifest)
            assert problem is None, f"manifest: {problem}"
        for kind in ("SUCCEEDED", "FAILED", "PENDING"):
            if kind in wanted:
                rows: list[Any] = []
                for entry in manifest["ResultFiles"].get(kind, []):
                    body = s3.get_object(Bucket=details["Bucket"], Key=entry["Key"])["Body"].read()
                    rows.extend(json.loads(body))
                problem = mismatch(wanted[kind], rows)
                assert problem is None, f"{kind} results: {problem}"
    for queue, bodies in expect.get("sqs_messages", {}).items():
        url = f"{backend.moto_url}/{MOTO_ACCOUNT}/{queue}"
        got = backend.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        problem = mismatch(bodies, [json.loads(m["Body"]) for m in got])
        assert problem is None, f"sqs {queue}: {problem}"
    for bucket, objects in expect.get("s3", {}).items():
        for key, wanted in objects.items():
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            problem = mismatch(wanted, json.loads(body))
            assert problem is None, f"s3://{bucket}/{key}: {problem}"
    for entry, count in expect.get("calls", {}).items():
        actual = sum(1 for name, _ in backend.context.events if name == entry)
        assert actual == count, f"{entry} called {actual} times, expected {count}"


RUNNERS: dict[str, Callable[[Runner, dict[str, Any]], None]] = {
    "execution": Runner.run_execution,
    "validation": Runner.run_validation,
    "test_state": Runner.run_test_state,
    "api": Runner.run_api,
}
