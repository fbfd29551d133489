"""`etl run FILE --json`: the whole pipeline on an ephemeral twin, driven as a user drives it."""

from __future__ import annotations

import json

import pytest

from tests.e2e.pipeline_runs import SAMPLES, etl

pytestmark = pytest.mark.server


def test_good_file_succeeds_with_every_row_written() -> None:
    done = etl("run", str(SAMPLES / "data.csv"), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED"
    assert result["rows_total"] == 20 and result["rows_written"] == 20 and result["rows_rejected"] == 0
    assert result["rejects"] == []
    assert result["execution_arn"].startswith("arn:aws:states:us-east-1:000000000000:execution:csv-etl:")
    assert result["duration_s"] > 0


def test_bad_row_is_rejected_with_reasons_naming_each_problem() -> None:
    """data_bad_msg.csv: a bad timestamp, a bad local_avg and a missing column in its only row."""
    done = etl("run", str(SAMPLES / "data_bad_msg.csv"), "--json")
    assert done.returncode == 0, "rejected rows do not fail the file: " + done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED"
    assert (result["rows_total"], result["rows_written"], result["rows_rejected"]) == (1, 0, 1)
    fields = {r["field"]: r["reason"] for r in result["rejects"]}
    assert {r["row"] for r in result["rejects"]} == {2}
    assert "timestamp" in fields and "local_avg" in fields
    assert "remote_avg" in fields and "missing" in fields["remote_avg"]
    assert result["rejects_location"].endswith("/rejects/incoming/data_bad_msg.csv")


def test_key_outside_the_rules_pattern_is_refused() -> None:
    done = etl("run", str(SAMPLES / "data.csv"), "--key", "elsewhere/data.csv")
    assert done.returncode == 2
    assert "incoming/" in done.stderr
