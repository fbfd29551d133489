"""Every file of the bad-input corpus through the whole pipeline, in one shared twin: nothing crashes, each
file ends with a clear per-file or per-row outcome, and the good rows of a partly bad file are stored."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.badinput.corpus import Case, build
from workflow.twin import tracking
from workflow.twin.twin import Twin

CASES = build()
# The only function error bad input may cause: a bad header fails its batch on purpose.
EXPECTED_ERRORS = {"CsvHeaderError"}
_ERROR_MESSAGE = re.compile(r'"errorMessage":\s*"((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def outcomes() -> Iterator[dict[str, dict[str, Any]]]:
    """All files uploaded at once (PutObject: one event each), then each execution followed to its end."""
    with Twin.ephemeral() as twin:
        s3 = twin.client("s3")
        for case in CASES:
            s3.put_object(Bucket=twin.config.data_bucket, Key=case.object_key, Body=case.body)
        sfn = twin.client("stepfunctions")
        results: dict[str, dict[str, Any]] = {}
        for case in CASES:
            arn = twin.execution_for_key(case.object_key, timeout_s=60)
            described = tracking.wait_for_execution(sfn, arn, timeout_s=120, poll_s=0.1)
            summary = tracking.file_summary(described) or twin.summarize_failure(described) or {}
            results[case.name] = {"described": described, "summary": summary}
        stored: Counter[str] = Counter()
        for page in twin.client("dynamodb").get_paginator("scan").paginate(TableName=twin.config.table_name):
            for item in page["Items"]:
                stored[item["source_file"]["S"]] += 1
        for case in CASES:
            results[case.name]["stored"] = stored[f"s3://{twin.config.data_bucket}/{case.object_key}"]
        assert twin.runtime is not None
        crashes = [
            f"{record.function}: {record.error}"
            for record in twin.runtime.records()
            if record.error and record.error.get("errorType") not in EXPECTED_ERRORS
        ]
        results["_crashes"] = {"list": crashes}
        yield results


def test_no_function_crashes_on_any_bad_input(outcomes: dict[str, dict[str, Any]]) -> None:
    assert outcomes["_crashes"]["list"] == []


def lambda_error_message(cause: Any) -> str:
    """A Lambda function error's cause is its JSON error payload: the message is what the user reads."""
    try:
        payload = json.loads(cause)
    except (TypeError, ValueError):  # the summary cuts causes to 500 characters: read the message alone
        match = _ERROR_MESSAGE.search(str(cause))
        return json.loads(f'"{match.group(1)}"') if match else str(cause)
    return str(payload.get("errorMessage", cause)) if isinstance(payload, dict) else str(cause)


def file_error_text(outcome: dict[str, Any]) -> str:
    """Everything the user is told about why a file failed: the execution's error and cause, and each
    failed batch's error and cause from the summary."""
    described, summary = outcome["described"], outcome["summary"]
    parts = [str(described.get("error") or ""), str(described.get("cause") or "")]
    for batch in summary.get("failed_batches_sample") or []:
        parts.append(f"{batch.get('error')}: {lambda_error_message(batch.get('cause'))}")
    if summary.get("error"):
        parts.append(json.dumps(summary["error"]))
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_gives_a_clear_outcome_and_the_good_rows_land(
    case: Case, outcomes: dict[str, dict[str, Any]]
) -> None:
    outcome = outcomes[case.name]
    described, summary = outcome["described"], outcome["summary"]
    assert described["status"] == case.status, file_error_text(outcome)
    if case.status == "FAILED":
        assert case.error is not None
        assert case.error in file_error_text(outcome)
        # nothing unaccounted: whatever was read is written, rejected or failed, and the table agrees
        counts = [int(summary.get(name) or 0) for name in ("rows_written", "rows_rejected", "rows_failed")]
        assert int(summary.get("rows_total") or 0) == sum(counts), summary
        assert outcome["stored"] == counts[0]
        return
    assert summary["file"] == f"s3://csv-etl-data/{case.object_key}"
    assert (summary["rows_total"], summary["rows_written"], summary["rows_rejected"]) == (
        case.written + case.rejected,
        case.written,
        case.rejected,
    ), summary
    assert summary["rows_failed"] == 0
    assert outcome["stored"] == case.written
    given = {(r["row"], r["field"]): r["reason"] for r in tracking.flat_rejects(summary)}
    for row, field, reason in case.reasons:
        assert reason in given.get((row, field), ""), given
