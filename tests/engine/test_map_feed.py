"""A large Distributed Map starts its children while the ItemReader is still reading, with a bounded window of
batches read ahead (workflow/engine/map_feed.py); what depends on the whole input stays exact."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from workflow.engine import map_run as map_run_module
from workflow.engine.map_feed import SlotFeed
from workflow.engine.map_run import ChildSlot
from workflow.engine.states.runtime import CancelToken

BUCKET = "feed-data"


def _texts(n: int, log: list[str], gate: threading.Event | None = None) -> Iterator[tuple[str, int]]:
    """n one-item batches; logs each read; after the first two, waits (up to 5 s) for `gate`."""
    for i in range(n):
        if i == 2 and gate is not None:
            gate.wait(5)
            log.append(f"gate {'open' if gate.is_set() else 'timed out'}")
        log.append(f"read {i}")
        yield f'{{"Items":[{i}]}}', 1


def _feed(texts: Iterator[tuple[str, int]], stored: dict[str, str]) -> SlotFeed:
    return SlotFeed(texts, lambda rows: stored.update(rows), spill_bytes=0).prefetch()


def test_children_start_before_the_reader_ends() -> None:
    """The reader blocks after two batches until a child has started: it would time out if every batch
    were read before the first child."""
    log: list[str] = []
    gate = threading.Event()
    stored: dict[str, str] = {}
    feed = _feed(_texts(6, log, gate), stored)
    assert feed.spilled and not feed.done and feed.length == 0

    def work(slot: ChildSlot) -> None:
        log.append(f"start {slot.index}")
        gate.set()

    feed.run(work, 1, CancelToken(), lambda: False, "test-feed")
    assert "gate open" in log
    assert log.index("start 0") < log.index("read 5")
    assert [s.index for s in feed.slots] == list(range(6)) and feed.done and not feed.partial
    # every input is in the store, none held in memory
    for s in feed.slots:
        assert s.input_text is None and stored[s.input_key or ""] == f'{{"Items":[{s.index}]}}'


def test_the_reader_stays_at_most_a_window_ahead_of_the_children() -> None:
    log: list[str] = []
    ahead: list[int] = []
    feed = _feed(_texts(40, log), {})
    started: list[int] = []

    def work(slot: ChildSlot) -> None:
        started.append(slot.index)
        ahead.append(len(feed.slots) - len(started))
        time.sleep(0.002)

    feed.run(work, 2, CancelToken(), lambda: False, "test-feed")
    assert sorted(started) == list(range(40))
    assert max(ahead) <= 2 + 2  # the window (= workers) plus the ones being started
    assert min(ahead[:20]) >= 0


def test_a_stop_during_the_read_ends_the_reading_and_marks_the_feed_partial() -> None:
    log: list[str] = []
    feed = _feed(_texts(1000, log), {})
    stopped = threading.Event()

    def work(slot: ChildSlot) -> None:
        if slot.index == 3:
            stopped.set()

    group = CancelToken()
    feed.run(work, 1, group, stopped.is_set, "test-feed")
    assert feed.partial and len(feed.slots) < 100


def test_a_reader_error_after_children_started_propagates_once_they_finished() -> None:
    finished: list[int] = []

    def texts() -> Iterator[tuple[str, int]]:
        yield from ((f"[{i}]", 1) for i in range(5))
        raise ValueError("bad row")

    feed = _feed(texts(), {})
    group = CancelToken()
    with pytest.raises(ValueError, match="bad row"):
        feed.run(lambda slot: finished.append(slot.index), 1, group, lambda: False, "test-feed")
    assert group.cancelled and finished  # children ran before the error and were waited for


# ---- through the engine: a CSV Map with the feed streaming (SPILL_BYTES forced low)


def _definition(tolerated: dict[str, Any], bad_index: int) -> dict[str, Any]:
    return {
        "StartAt": "Rows",
        "States": {
            "Rows": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket": BUCKET, "Key": "rows.csv"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": 1},
                "MaxConcurrency": 1,
                **tolerated,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Check",
                    "States": {
                        "Check": {
                            "Type": "Choice",
                            "Choices": [
                                {"Variable": "$.Items[0].id", "StringEquals": str(bad_index), "Next": "Bad"}
                            ],
                            "Default": "Ok",
                        },
                        "Bad": {"Type": "Fail", "Error": "Row.Invalid", "Cause": "bad row"},
                        "Ok": {"Type": "Pass", "End": True},
                    },
                },
                "End": True,
            }
        },
    }


@pytest.fixture
def s3(sfn_backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(map_run_module, "SPILL_BYTES", 40)  # a couple of batches, then the feed streams
    client = sfn_backend.client("s3")
    client.create_bucket(Bucket=BUCKET)
    body = "id,name\n" + "".join(f"{i},n-{i}\n" for i in range(10))
    client.put_object(Bucket=BUCKET, Key="rows.csv", Body=body.encode())
    return client


def test_a_tolerated_percentage_is_decided_on_the_whole_file_not_on_what_was_read_so_far(
    runner: Any, s3: Any
) -> None:
    """1 failed batch in 10 is 10%, under ToleratedFailurePercentage 40, although it was 50% or more of the
    batches read when it failed (AWS: failed items / total items, "ToleratedFailurePercentage" in the
    Distributed Map doc)."""
    described = runner.run(_definition({"ToleratedFailurePercentage": 40}, bad_index=1), {})
    assert described["status"] == "SUCCEEDED", described
    map_run = runner.sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"][0]["mapRunArn"]
    counts = runner.sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["pending"]) == (10, 9, 1, 0)


def test_a_zero_percentage_fails_at_once_and_still_holds_every_batch_for_a_redrive(
    runner: Any, s3: Any
) -> None:
    described = runner.run(_definition({"ToleratedFailurePercentage": 0}, bad_index=2), {})
    assert described["status"] == "FAILED"
    assert described["error"] == "States.ExceedToleratedFailureThreshold"
    types = runner.types(described["executionArn"])
    assert types.index("MapRunStarted") < types.index("MapRunFailed") < types.index("ExecutionFailed")
    map_run = runner.sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"][0]["mapRunArn"]
    counts = runner.sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
    assert counts["total"] == 10 and counts["failed"] == 1 and counts["pending"] >= 1


def test_an_item_reader_failure_after_children_started_fails_the_map_run_and_a_redrive_reads_again(
    runner: Any, s3: Any
) -> None:
    body = "id,name\n" + "".join(f"{i},n-{i}\n" for i in range(10)) + '10,"unterminated\n'
    s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=body.encode())
    described = runner.run(_definition({}, bad_index=-1), {})
    assert described["status"] == "FAILED" and described["error"] == "States.ItemReaderFailed"
    arn = described["executionArn"]
    types = runner.types(arn)
    assert types.index("MapRunStarted") < types.index("MapRunFailed") < types.index("MapStateFailed")
    first = runner.sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert len(first) == 1
    counts = runner.sfn.describe_map_run(mapRunArn=first[0]["mapRunArn"])["executionCounts"]
    # the batches before the bad record were read, and children ran while the reader went on
    assert counts["total"] >= 9 and counts["succeeded"] >= 1  # the last batch waits for the next row
    runner.sfn.redrive_execution(executionArn=arn)
    again = runner.sfn.wait_for_execution(arn, 20.0)
    assert again["error"] == "States.ItemReaderFailed"
    # the partial Map Run is not redriven: the redrive read the file again, in a new Map Run
    assert len(runner.sfn.list_map_runs(executionArn=arn)["mapRuns"]) == 2
