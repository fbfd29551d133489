"""The Map's 2-state child (Transform -> Enqueue) on the twin: a clean, a mixed and an all-rejected batch.

The child used to be Transform -> AnyValidRows (Choice) -> Enqueue | NothingToWrite (Pass) -> BatchDone
(Pass); BatchDone built each batch's ledger line. Now Enqueue, a JSONata state inside the JSONPath machine,
builds the same line in its `Output` from `$states.input` (Transform's output) and `$states.result` (the
writer's report).
AWS allows this mix: "When the top-level state machine query language is JSONPath, individual states can
override the query language by setting QueryLanguage to JSONata"
(https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html); a JSONata Task's `Output`
sees `$states.input` and `$states.result`
(https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html), and a JSONata
`sqs:sendMessage.waitForTaskToken` passes `{% $states.context.Task.Token %}` in its `MessageBody`
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html).

An all-rejected batch is no longer skipped by a Choice: it is sent with no items, the writer records the batch
in the ledger and reports zeros at once. Summarize (tasks/summarize) reads the same lines as before.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workflow.config import PipelineConfig
from workflow.twin.twin import Twin

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "data.csv"
BATCH = 4
# BatchDone's fields, in its order: what tasks/summarize reads from each child's output.
LEDGER_LINE = [
    "source",
    "first_row",
    "rows",
    "written",
    "duplicate",
    "duplicate_origins",
    "rejects",
    "conflicts",
]


def transform_module() -> Any:
    """tasks/transform's handler, imported as Lambda does (its folder is the code root)."""
    folder = str(ROOT / "tasks" / "transform")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import transform_handler

    return transform_handler


def csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def sample_rows() -> tuple[list[str], list[dict[str, str]]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def file_rows() -> tuple[list[str], list[dict[str, str]], list[dict[str, str]]]:
    """(header, first file's rows, the file under test: a clean, a mixed and an all-rejected batch)."""
    header, rows = sample_rows()
    first = [rows[0], rows[1]]
    clean = rows[2:6]
    conflict = {**rows[1], "local_avg": "99.99"}  # the key of a stored row, other values
    mixed = [dict(rows[0]), conflict, {**rows[6], "local_avg": "n/a"}, rows[7]]
    rejected = [
        {**rows[8], "timestamp": "not_a_timestamp!"},
        {**rows[9], "remote_avg": "inf"},
        {**rows[10], "location": ""},
        {**rows[11], "local_avg": "4,39"},
    ]
    return header, first, clean + mixed + rejected


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    header, first, rows = file_rows()
    folder = tmp_path_factory.mktemp("child")
    (folder / "first.csv").write_text(csv_text(header, first), encoding="utf-8")
    (folder / "batches.csv").write_text(csv_text(header, rows), encoding="utf-8")
    with Twin.ephemeral(PipelineConfig(max_items_per_batch=BATCH)) as twin:
        before = twin.run_file(folder / "first.csv", timeout_s=120)
        assert before["status"] == "SUCCEEDED" and before["rows_written"] == 2
        result = twin.run_file(folder / "batches.csv", timeout_s=120)
        assert result["status"] == "SUCCEEDED", result
        sfn = twin.client("stepfunctions")
        (map_run,) = sfn.list_map_runs(executionArn=result["execution_arn"])["mapRuns"]
        children = []
        for child in sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]:
            arn = child["executionArn"]
            output = json.loads(sfn.describe_execution(executionArn=arn)["output"])
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            children.append({"output": output, "events": events})
        children.sort(key=lambda c: c["output"]["first_row"])
        ledger = twin.client("dynamodb").query(
            TableName=twin.config.ledger_table_name,
            KeyConditionExpression="#f = :f AND begins_with(sk, :b)",
            ExpressionAttributeNames={"#f": "file"},
            ExpressionAttributeValues={
                ":f": {"S": f"s3://{twin.config.data_bucket}/{twin.config.incoming_prefix}batches.csv"},
                ":b": {"S": "BATCH#"},
            },
        )["Items"]
        yield {"before": before, "result": result, "children": children, "ledger": ledger, "rows": rows}


def expected_lines(run: dict[str, Any]) -> list[dict[str, Any]]:
    """What BatchDone built: the transform's source, rows and rejects, and the writer's outcome."""
    transform = transform_module()
    rows = run["rows"]
    source = run["children"][0]["output"]["source"]
    first_origin = f"{run['before']['file']} (execution {run['before']['execution_arn'].rsplit(':', 1)[-1]})"
    lines = []
    for start in range(0, len(rows), BATCH):
        entries = [{"index": i, "row": rows[i]} for i in range(start, min(start + BATCH, len(rows)))]
        out = transform.transform_batch({"Items": entries, "BatchInput": source})
        lines.append(
            {
                "source": source,
                "first_row": out["first_row"],
                "rows": out["rows"],
                "written": out["valid"],
                "duplicate": 0,
                "duplicate_origins": {},
                "rejects": out["rejects"],
                "conflicts": [],
            }
        )
    # the mixed batch: row 6 is the first file's row 2 (a duplicate), row 7 its row 3 with other values
    mixed = lines[1]
    mixed.update(written=1, duplicate=1, duplicate_origins={first_origin: 1})
    return lines


def test_each_child_runs_two_states_and_ends_with_the_batch_ledger_line(run: dict[str, Any]) -> None:
    children = run["children"]
    assert len(children) == 3
    for child in children:
        entered = [
            e["stateEnteredEventDetails"]["name"] for e in child["events"] if e["type"].endswith("Entered")
        ]
        assert entered == ["Transform", "Enqueue"]
        assert list(child["output"]) == LEDGER_LINE
    expected = expected_lines(run)
    clean, mixed, rejected = (child["output"] for child in children)
    assert clean == expected[0] and clean["written"] == 4 and not clean["rejects"]
    assert rejected == expected[2] and rejected["written"] == 0 and len(rejected["rejects"]) == 4
    assert {k: v for k, v in mixed.items() if k != "conflicts"} == {
        k: v for k, v in expected[1].items() if k != "conflicts"
    }
    assert [r["row"] for r in mixed["rejects"]] == [8]
    (conflict,) = mixed["conflicts"]
    assert conflict["row"] == 7 and "first.csv" in json.dumps(conflict), "names the stored row's origin"


def test_an_all_rejected_batch_is_sent_with_no_items_and_answered_at_once(run: dict[str, Any]) -> None:
    events = run["children"][2]["events"]
    (scheduled,) = [
        e
        for e in events
        if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "sqs"
    ]
    body = json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["MessageBody"]
    assert body["items"] == [] and body["rows"] == 4 and len(body["rejects"]) == 4
    assert body["taskToken"] and body["etag"], "token and ETag from the context, as the JSONPath state sent"
    (report,) = [
        e
        for e in events
        if e["type"] == "TaskSucceeded" and e["taskSucceededEventDetails"]["resourceType"] == "sqs"
    ]
    outcome = json.loads(report["taskSucceededEventDetails"]["output"])
    assert outcome == {"written": 0, "duplicate": 0, "duplicate_origins": {}, "conflicts": []}


def test_summarize_and_the_ledger_count_every_row_of_the_three_batches(run: dict[str, Any]) -> None:
    result = run["result"]
    assert (result["rows_total"], result["rows_written"], result["rows_duplicate"]) == (12, 5, 1)
    assert (result["rows_rejected"], result["rows_conflict"], result["rows_failed"]) == (5, 1, 0)
    assert result["batches_total"] == 3
    records = {int(item["first_row"]["N"]): item for item in run["ledger"]}
    assert sorted(records) == [2, 6, 10], "the writer records the all-rejected batch too"
    assert records[10]["rejected"]["N"] == "4" and records[10]["written"]["N"] == "0"
    assert sorted(r["row"] for r in result["rejects"]) == [7, 8, 10, 11, 12, 13]
