"""The console's pure parts: statuses and attempts read from engine histories, the graph of a definition,
the ledger reader fed items shaped as the ledger contract says, the bounded cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.fake_backend import FakeBackend, function_error
from workflow.config import REPO_ROOT
from workflow.console import graph
from workflow.console.cache import BoundedCache
from workflow.console.ledger import Ledger, file_record, from_dynamodb
from workflow.console.logs import _invocation_block, function_name
from workflow.console.rejects import NotARejectsFile, parse
from workflow.console.trace import analyse, steps, visit_detail
from workflow.engine.clock import RealClock
from workflow.engine.service import StepFunctions

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn"


class Flaky(FakeBackend):
    """The shared fake backend whose one Lambda function fails `fails` times with `error`, then answers
    {"ok": true}; no AWS clients."""

    def __init__(self, fails: int, error: str = "Lambda.ServiceException") -> None:
        super().__init__(region=REGION, account=ACCOUNT, make_client=self._no_client)
        self.fails, self.error = fails, error
        self.functions["work"] = self._work

    @staticmethod
    def _no_client(service: str) -> Any:
        raise AssertionError(f"no {service} client in these tests")

    def _work(self, event: Any) -> Any:
        attempt = len(self.invocations)
        if attempt <= self.fails:
            raise function_error(self.error, f"attempt {attempt} broke")
        return {"ok": True}


def run(definition: dict[str, Any], backend: Flaky) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = StepFunctions(backend, clock=RealClock(speed=1000.0), region=REGION, account=ACCOUNT)
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    described = sfn.wait_for_execution(arn, 20.0)
    return described, sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]


def task(**extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:work", "Payload": {}},
        **extra,
    }


RETRY = [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 3}]


def test_a_retried_task_shows_each_attempt_its_error_and_the_backoff_before_the_next() -> None:
    """AWS history: TaskScheduled/TaskFailed per attempt, then TaskScheduled/TaskSucceeded (Retry docs:
    IntervalSeconds before the first retry)."""
    described, events = run({"StartAt": "Work", "States": {"Work": task(Retry=RETRY, End=True)}}, Flaky(2))
    assert described["status"] == "SUCCEEDED"
    trace = analyse(events, described["status"])
    (visit,) = trace.visits
    assert visit.status("SUCCEEDED") == "retried" and visit.retries == 2
    detail = visit_detail(visit, "SUCCEEDED")
    outcomes = [(a["outcome"], a["error"]) for a in detail["attempts"]]
    assert outcomes == [
        ("failed", "Lambda.ServiceException"),
        ("failed", "Lambda.ServiceException"),
        ("succeeded", None),
    ]
    assert detail["attempts"][0]["backoff_ms"] is None
    assert detail["attempts"][1]["backoff_ms"] > 0  # the clock runs 1000x: 2 s are about 2 ms
    assert detail["attempts"][2]["request_id"], "a lambda:invoke result names its request id"
    assert detail["parameters"]["FunctionName"].endswith(":function:work")
    kinds = [s["kind"] for s in steps(trace)[0]["segments"]]
    assert kinds == ["attempt", "backoff", "retry", "backoff", "retry"]


def test_a_caught_error_is_caught_and_the_catcher_runs_then_a_fail_state_fails() -> None:
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Oops"}], Next="Never"),
            "Never": {"Type": "Pass", "End": True},
            "Oops": {"Type": "Fail", "Error": "Broke", "Cause": "the work failed"},
        },
    }
    described, events = run(definition, Flaky(1, "Custom.Error"))
    assert described["status"] == "FAILED"
    trace = analyse(events, described["status"])
    status = trace.state_status()
    assert status == {"Work": "caught", "Oops": "failed"}
    failing = trace.failing_state()
    assert failing is not None and failing.name == "Oops"
    assert trace.error == "Broke" and trace.cause == "the work failed"


def test_an_uncaught_error_fails_the_state_where_it_happened() -> None:
    described, events = run({"StartAt": "Work", "States": {"Work": task(End=True)}}, Flaky(5, "Boom"))
    trace = analyse(events, described["status"])
    failing = trace.failing_state()
    assert failing is not None and failing.name == "Work" and failing.error == "Boom"
    assert "attempt 1 broke" in str(failing.cause)


def test_a_caught_parallel_is_caught_and_its_cancelled_branch_is_stopped() -> None:
    """Parallel docs: when one branch fails, the others are stopped and the Parallel's Catch applies."""
    definition = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 3600, "End": True}}},
                    {"StartAt": "Broken", "States": {"Broken": {"Type": "Fail", "Error": "Oops"}}},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                "End": True,
            },
            "Recover": {"Type": "Pass", "End": True},
        },
    }
    described, events = run(definition, Flaky(0))
    assert described["status"] == "SUCCEEDED"
    status = analyse(events, described["status"]).state_status()
    assert status == {"Both": "caught", "Slow": "stopped", "Broken": "failed", "Recover": "succeeded"}


def test_graph_nests_the_map_processor_and_parallel_branches_and_labels_choices() -> None:
    definition = json.loads((REPO_ROOT / "workflow/definition/csv_etl.asl.json").read_text())
    definition["States"]["Summarize"]["Next"] = "Both"
    del definition["States"]["Summarize"]["End"]
    definition["States"]["Both"] = {
        "Type": "Parallel",
        "End": True,
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}},
        ],
    }
    elements = graph.elements(definition)
    nodes = {e["data"]["id"]: e["data"] for e in elements if "source" not in e["data"]}
    edges = {(e["data"]["source"], e["data"]["target"]): e for e in elements if "source" in e["data"]}
    assert nodes["ProcessRows/Transform"]["parent"] == "ProcessRows"
    assert nodes["ProcessRows/Transform"]["child_of"] == "ProcessRows", "inner states run in child executions"
    assert "Distributed Map" in nodes["ProcessRows"]["label"]
    assert nodes["Both/branch0/A"]["parent"] == "Both/branch0"
    assert nodes["Both/branch1"]["parent"] == "Both"
    assert edges[("ProcessRows/Transform", "ProcessRows/Enqueue")]["classes"] == "next"
    assert edges[("Configure", "IsReplay")]["classes"] == "next"
    assert edges[("IsReplay", "RegisterReplay")]["data"]["label"] == "And(2)"
    assert edges[("IsReplay", "RegisterObject")]["data"]["label"] == "Default"
    catch = edges[("RegisterObject", "DuplicateEvent")]
    assert catch["classes"] == "catch" and "ConditionalCheckFailed" in catch["data"]["label"]
    assert edges[("DuplicateEvent", graph.END)]["classes"] == "next"
    for register in ("RegisterObject", "RegisterReplay"):
        assert edges[(register, "ProcessRows")]["classes"] == "next"
        # hidden layout edges rank the Map's contents between its neighbours
        assert edges[(register, "ProcessRows/Transform")]["classes"] == "layout"
    top_level = {e["data"]["name"] for e in elements if e["data"].get("name") and "parent" not in e["data"]}
    assert top_level == set(definition["States"]), "every state of the definition, no other"
    assert edges[("ProcessRows/Enqueue", "Summarize")]["classes"] == "layout"
    assert edges[("Summarize", "Both/branch0/A")]["classes"] == "layout"


def test_logs_block_of_one_request_and_function_names() -> None:
    events = [
        ("s1", "START RequestId: r1 Version: $LATEST\n"),
        ("s1", "hello from r1\n"),
        ("s2", "START RequestId: r2 Version: $LATEST\n"),
        ("s1", "REPORT RequestId: r1 Duration: 3 ms\n"),
        ("s1", "START RequestId: r3 Version: $LATEST\n"),
    ]
    assert _invocation_block(events, "r1") == [
        "START RequestId: r1 Version: $LATEST",
        "hello from r1",
        "REPORT RequestId: r1 Duration: 3 ms",
    ]
    assert function_name("arn:aws:lambda:us-east-1:1:function:csv-etl-writer:live") == "csv-etl-writer"
    assert function_name("csv-etl-writer") == "csv-etl-writer"


def test_bounded_cache_keeps_at_most_its_size() -> None:
    cache: BoundedCache[int, int] = BoundedCache(3)
    for i in range(10):
        cache.put(i, i)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(9) == 9


# ---- the ledger, fed items shaped as the ledger contract says ---------------------------------------------
LEDGER = "csv-etl-ledger"
FILE = "s3://csv-etl-data/incoming/data.csv"
ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:csv-etl:abc"


def contract_item(etag: str, uploaded_at: str, status: str) -> dict[str, Any]:
    return {
        "file": FILE,
        "sk": f"OBJECT#{etag}",
        "bucket": "csv-etl-data",
        "key": "incoming/data.csv",
        "etag": etag,
        "size": 1425,
        "uploaded_at": uploaded_at,
        "updated_at": uploaded_at,
        "status": status,
        "outcome": "partial" if status == "FAILED" else "complete",
        "rows_total": 1500,
        "rows_written": 1000,
        "rows_duplicate": 0,
        "rows_rejected": 0,
        "rows_conflict": 0,
        "rows_failed": 500,
        "rows_dead_lettered": 0,
        "executions": [
            {"execution_arn": ARN, "kind": "first", "status": "FAILED", "started_at": uploaded_at},
            {"execution_arn": ARN, "kind": "redrive", "status": status, "started_at": uploaded_at},
        ],
        "error": {"Error": "States.ExceedToleratedFailureThreshold", "Cause": "threshold"},
        "failed_batches": [
            {
                "first_row": 502,
                "last_row": 1001,
                "rows": 500,
                "error": "Writer.WriteFailed",
                "cause": "ResourceNotFoundException: Requested resource not found",
                "execution_arn": ARN + "/child",
            }
        ],
        "rejects_location": "s3://csv-etl-data/rejects/incoming/data.csv.csv",
        "warnings": [],
        "next_step": "etl redrive abc",
    }


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        yield client


def test_ledger_reader_reads_object_items_newest_first_and_skips_other_items(ddb: Any) -> None:
    ledger = Ledger(ddb, LEDGER)
    assert not ledger.available(), "no table: the console falls back to S3 and Step Functions"
    ddb.create_table(
        TableName=LEDGER,
        KeySchema=[{"AttributeName": "file", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "file", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    table = boto3.resource("dynamodb", region_name=REGION).Table(LEDGER)
    table.put_item(Item=contract_item("old", "2026-11-30T10:00:00Z", "SUCCEEDED"))
    table.put_item(Item=contract_item("new", "2026-12-01T10:00:00Z", "FAILED"))
    table.put_item(Item={"file": FILE, "sk": "BATCH#2", "status": "SUCCEEDED"})
    ledger = Ledger(ddb, LEDGER)
    assert ledger.available()
    files = ledger.files()
    assert [f["etag"] for f in files] == ["new", "old"]
    latest = files[0]
    assert latest["counts"]["rows_failed"] == 500 and isinstance(latest["counts"]["rows_total"], int)
    assert latest["redrives"] == 1 and latest["execution_arn"] == ARN
    assert latest["failed_batches"][0]["first_row"] == 502
    assert "ResourceNotFoundException" in latest["failed_batches"][0]["cause"]
    assert latest["next_step"] == "etl redrive abc"
    assert [r["etag"] for r in ledger.file("csv-etl-data", "incoming/data.csv")] == ["new", "old"]
    assert ledger.for_execution("csv-etl-data", "incoming/data.csv", ARN)["etag"] == "new"


def test_file_record_of_a_minimal_item_and_low_level_items() -> None:
    record = file_record(
        from_dynamodb({"file": {"S": FILE}, "sk": {"S": "OBJECT#e1"}, "status": {"S": "RUNNING"}})
    )
    assert record["key"] == "incoming/data.csv" and record["etag"] == "e1"
    assert record["counts"] == {} and record["executions"] == [] and record["execution_arn"] is None


def test_cloudwatch_logs_give_the_lines_of_one_request_from_its_log_group() -> None:
    """Lambda writes START/END/REPORT lines with the request id to /aws/lambda/<function> (Lambda docs:
    "Using CloudWatch Logs with Lambda"); a failed attempt without a request id gets its time window."""
    from datetime import UTC, datetime, timedelta

    from workflow.console.logs import CloudWatchLogs

    with mock_aws():
        client = boto3.client("logs", region_name=REGION)
        client.create_log_group(logGroupName="/aws/lambda/csv-etl-transform")
        client.create_log_stream(logGroupName="/aws/lambda/csv-etl-transform", logStreamName="s1")
        now = datetime.now(UTC)
        stamp = int(now.timestamp() * 1000)
        lines = [
            "START RequestId: other Version: $LATEST",
            "REPORT RequestId: other Duration: 1 ms",
            "START RequestId: mine Version: $LATEST",
            "batch transformed",
            "END RequestId: mine",
            "REPORT RequestId: mine Duration: 3 ms",
        ]
        client.put_log_events(
            logGroupName="/aws/lambda/csv-etl-transform",
            logStreamName="s1",
            logEvents=[{"timestamp": stamp + i, "message": line} for i, line in enumerate(lines)],
        )
        logs = CloudWatchLogs(client)
        found = logs.lines(
            "csv-etl-transform", "mine", now - timedelta(seconds=1), now + timedelta(seconds=1)
        )
        assert found == lines[2:]
        window = logs.lines("csv-etl-transform", None, now - timedelta(seconds=1), now + timedelta(seconds=1))
        assert window == lines
        missing = logs.lines("csv-etl-nothing", "x", now, now)
        assert missing and missing[0].startswith("(logs unavailable: ResourceNotFoundException")
        # the stack gives each function its own log group (LoggingConfig.LogGroup)
        client.create_log_group(logGroupName="/stack/TransformLogs")
        client.create_log_stream(logGroupName="/stack/TransformLogs", logStreamName="s1")
        client.put_log_events(
            logGroupName="/stack/TransformLogs",
            logStreamName="s1",
            logEvents=[{"timestamp": stamp, "message": "START RequestId: own Version: $LATEST"}],
        )
        own = CloudWatchLogs(client, lambda function: "/stack/TransformLogs")
        assert own.lines("csv-etl-transform", "own", now - timedelta(seconds=1), now) == [
            "START RequestId: own Version: $LATEST"
        ]


def test_lambda_log_group_comes_from_the_function_configuration_else_the_default() -> None:
    """GetFunctionConfiguration's LoggingConfig.LogGroup (the stack sets one per function)."""
    from workflow.console.logs import lambda_log_group

    class FakeLambda:
        calls = 0

        def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
            self.calls += 1
            if FunctionName == "gone":
                raise RuntimeError("ResourceNotFoundException")
            return {"LoggingConfig": {"LogGroup": f"/stack/{FunctionName}", "LogFormat": "Text"}}

    fake = FakeLambda()
    find = lambda_log_group(fake)
    assert find("csv-etl-writer") == "/stack/csv-etl-writer"
    assert find("csv-etl-writer") == "/stack/csv-etl-writer" and fake.calls == 1, "remembered"
    assert find("gone") == "/aws/lambda/gone"


# ---- the rejects file Summarize writes (tasks/summarize/rejects_csv.py) -----------------------------------
def test_rejects_lines_split_into_one_problem_each_with_the_value_of_its_column() -> None:
    lines = [
        "timestamp,location,remote_avg,row,field,reason\n",
        '1559000000,"a, b",,4,location,"too long; see the docs"\n',  # one problem: its reason kept whole
        "x,y,,5,timestamp; remote_avg,timestamp: not a number; remote_avg: empty or missing\n",
        "x,y,z,6,a; b,joined some other way\n",  # not as Summarize joins: one problem, as written
    ]
    assert list(parse(iter(lines), "s3://b/rejects/f.csv")) == [
        {"row": 4, "field": "location", "reason": "too long; see the docs", "value": "a, b"},
        {"row": 5, "field": "timestamp", "reason": "not a number", "value": "x"},
        {"row": 5, "field": "remote_avg", "reason": "empty or missing", "value": ""},
        {"row": 6, "field": "a; b", "reason": "joined some other way", "value": None},
    ]
    with pytest.raises(NotARejectsFile, match=r"s3://b/other\.csv: not a rejects file"):
        list(parse(iter(["timestamp,location\n", "1,2\n"]), "s3://b/other.csv"))


def test_the_ledgers_advice_wins_unless_it_is_only_the_redrive_command_the_console_already_names() -> None:
    from workflow.console.executions import _next_step

    header: dict[str, Any] = {
        "status": "FAILED",
        "name": "run-1",
        "failed_batches": [{"cause": "Requested resource not found"}],
        "error": "States.ExceedToleratedFailureThreshold",
        "cause": "",
        "actions": {"redrive": True},
    }
    own = _next_step(header, "etl redrive run-1")
    assert "press Redrive" in own and "etl redrive run-1" in own
    assert _next_step(header, None) == own
    fix_file = "Fix the file (line 151 is longer than the ItemReader reads) and upload it again."
    assert _next_step(header, fix_file) == fix_file
