"""Fault scenarios of issue 10, run through a twin with faults injected by workflow/twin/faults.py.

Each scenario uploads its own files (its own timestamps, so scenarios sharing a twin never collide),
injects its fault, lets the pipeline recover (retries, redelivery, redrive), and returns a `Report`:
the ledger item of each file and what the messages table holds for it. `check()` then asserts what every
scenario must end with: the ledger equation holds, the table holds exactly the rows the ledger says were
written (per execution, against the writer's batch records), no file row is stored twice, and every stored
item holds the values of the origin it names. Used by tests/faults/ and bench/fault_ledgers.py (which
prints the ledger of each scenario).
"""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from workflow.config import PipelineConfig
from workflow.twin import faults, tracking
from workflow.twin.twin import Twin

HEADER = ["timestamp", "location", "source", "local_dest", "local_avg", "remote_dest", "remote_avg"]
BASE_EPOCH = 1_700_000_000
COUNTS = ("rows_total", "rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed")
SHOWN = (*COUNTS, "rows_dead_lettered")


def fault_config() -> PipelineConfig:
    """Batches of 250 rows (10 calls of 25 INSERTs: faults can hit some calls of a batch and not others),
    three at a time (a stopped run has batches that never started); SQS visibility 10 s (longer than a
    loaded machine needs for one batch, so a crashed writer's message comes back in seconds, not 3
    minutes); one message per writer invocation; a short ledger settle time; writer heartbeats every 2 s
    (the twin runs virtual time 20x: Enqueue's 300 s HeartbeatSeconds is 15 s)."""
    return PipelineConfig(
        max_items_per_batch=250,
        max_concurrency=3,
        queue_visibility_timeout_s=10,
        max_receive_count=5,
        writer_batch_size=1,
        ledger_settle_s=1,
        writer_heartbeat_s=2,
    )


@contextmanager
def fault_twin(speed: float = 20, lambda_time_scale: float = 0.25, **config: Any) -> Iterator[Twin]:
    """A twin for fault scenarios: virtual time 20x (retry backoffs; Enqueue's 300 s heartbeat -> 15 s; the
    Transform state's 120 s TimeoutSeconds -> 6 s, room for a busy machine), Lambda timeouts at 25% (the
    writer's 120 s -> 30 s: room for a loaded machine), the fault hooks
    installed. `config` overrides fields of fault_config() (e.g. max_receive_count=1 for a twin whose
    failures dead-letter)."""
    settings = fault_config().model_copy(update=config)
    with Twin.ephemeral(settings, speed=speed, lambda_time_scale=lambda_time_scale, esm_pollers=10) as twin:
        faults.install(twin)
        try:
            yield twin
        finally:
            faults.registry.clear()


def write_csv(
    path: Path,
    rows: int,
    start: int,
    local_avg: Callable[[int], str] = lambda i: "4.39",
    second: Callable[[int], int] = lambda i: i,
) -> Path:
    """`rows` rows, row i at BASE_EPOCH + start + second(i) (one second apart by default: one key each)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            ts = f"{BASE_EPOCH + start + second(i)}.5"
            writer.writerow([ts, "location-03", "wireless", "router-1", local_avg(i), "device-1", "9.09"])
    return path


@dataclass
class FileReport:
    key: str
    file: str
    ledger: dict[str, Any]
    results: list[dict[str, Any]] = field(default_factory=list)  # run_result of each execution, in order
    held: dict[str, int] = field(default_factory=dict)  # execution -> items the table holds from this file
    recorded: dict[str, int] = field(default_factory=dict)  # execution -> rows the batch records say written
    stored_twice: int = 0
    wrong_values: int = 0

    def line(self) -> str:
        ledger = self.ledger
        counts = " ".join(f"{k.removeprefix('rows_')}={ledger.get(k)}" for k in SHOWN)
        runs = ",".join(f"{e.get('kind')}:{e.get('status')}" for e in ledger.get("executions") or [])
        failed = [
            (b.get("first_row"), b.get("last_row"), b.get("error"))
            for b in ledger.get("failed_batches") or []
        ]
        text = f"{self.key}: {ledger.get('status')} {ledger.get('outcome')} {counts} runs=[{runs}]"
        text += f" held={sum(self.held.values())}"
        if failed:
            text += f" failed_batches={failed}"
        if ledger.get("duplicates_of"):
            text += f" duplicates_of={ledger['duplicates_of']}"
        if ledger.get("warnings"):
            text += f" warnings={ledger['warnings']}"
        return text


@dataclass
class Report:
    scenario: str
    files: list[FileReport]
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return (
            [f"[{self.scenario}]"]
            + [f"  {f.line()}" for f in self.files]
            + [f"  note: {n}" for n in self.notes]
        )


# ---- reading the twin ------------------------------------------------------------------------------------
def _scan(twin: Twin, table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    ddb = twin.client("dynamodb")
    kwargs = {"TableName": table, **kwargs}
    while True:
        page = ddb.scan(**kwargs)
        yield from tracking._items(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def file_report(
    twin: Twin, key: str, sources: dict[str, Path] | None = None, etag: str | None = None
) -> FileReport:
    """The ledger's latest object item for the key (or the item of this object version, `etag`) and what
    the messages table holds from that file (from that version's executions only, with `etag`)."""
    file = f"s3://{twin.config.data_bucket}/{key}"
    ddb = twin.client("dynamodb")
    items = tracking.ledger_query(ddb, twin.config.ledger_table_name, file) or []
    objects = tracking.ledger_objects(ddb, twin.config.ledger_table_name, file) or [{}]
    if etag is not None:
        objects = [o for o in objects if o.get("etag") == etag] or [{}]
    report = FileReport(key=key, file=file, ledger=objects[0])
    mine = {str(e.get("execution_arn", "")).rsplit(":", 1)[-1] for e in objects[0].get("executions") or []}
    for record in (i for i in items if str(i["sk"]).startswith("BATCH#")):
        name = str(record["execution"])
        if etag is not None and name not in mine:
            continue
        report.recorded[name] = report.recorded.get(name, 0) + int(record["written"])
    rows_seen: set[int] = set()
    expected = _expected_values(sources or {})
    for item in _scan(
        twin,
        twin.config.table_name,
        FilterExpression="source_file = :f",
        ExpressionAttributeValues={":f": {"S": file}},
    ):
        name = str(item["execution"])
        if etag is not None and name not in mine:
            continue
        report.held[name] = report.held.get(name, 0) + 1
        row = int(item["source_row"])
        report.stored_twice += row in rows_seen
        rows_seen.add(row)
        want = expected.get((file, row))
        if want is not None and Decimal(str(item["local_avg"])) != Decimal(want):
            report.wrong_values += 1
    return report


def _expected_values(sources: dict[str, Path]) -> dict[tuple[str, int], str]:
    """(file, row) -> local_avg of the source CSV: a stored item must hold its origin's values."""
    values: dict[tuple[str, int], str] = {}
    for file, path in sources.items():
        with path.open(newline="", encoding="utf-8") as handle:
            for row, record in enumerate(csv.DictReader(handle), start=2):
                values[(file, row)] = record["local_avg"]
    return values


def check(report: FileReport) -> None:
    """What every scenario must end with (issue 10, Fault injection)."""
    ledger = report.ledger
    assert ledger, f"{report.key}: no ledger item"
    parts = sum(int(ledger.get(k) or 0) for k in COUNTS[1:])
    assert int(ledger["rows_total"]) == parts, f"{report.key}: ledger does not balance: {ledger}"
    assert report.stored_twice == 0, f"{report.key}: a file row is stored twice"
    assert report.wrong_values == 0, f"{report.key}: an item holds values its named origin never had"
    assert report.held == {k: v for k, v in report.recorded.items() if v}, (
        f"{report.key}: the table holds {report.held} but the batch records say {report.recorded}"
    )
    latest = (ledger.get("executions") or [{}])[-1].get("execution_arn", "").rsplit(":", 1)[-1]
    assert int(ledger["rows_written"]) == report.held.get(latest, 0), (
        f"{report.key}: ledger says {ledger['rows_written']} written, the table holds {report.held}"
    )


# ---- driving the twin ------------------------------------------------------------------------------------
def executions_for(twin: Twin, key: str, count: int = 1, timeout_s: float = 30.0) -> list[str]:
    """The executions started for the last `count` uploads of `key`."""
    assert twin.events is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        deliveries = [d for d in twin.events.deliveries if d.event["detail"]["object"]["key"] == key]
        if len(deliveries) >= count and all(d.done.is_set() for d in deliveries[-count:]):
            return [str(d.result) for d in deliveries[-count:]]
        time.sleep(0.05)
    raise TimeoutError(f"no {count} executions for {key}")


FINISH_TIMEOUT_S = 120.0  # bench/fault_ledgers.py raises it for 5,000-row files


def finish(twin: Twin, arn: str, timeout_s: float | None = None) -> dict[str, Any]:
    """Wait for the execution and its ledger item (a failed run's is finalised by the status-change event)."""
    described = tracking.wait_for_execution(
        twin.client("stepfunctions"), arn, timeout_s=timeout_s or FINISH_TIMEOUT_S, poll_s=0.1
    )
    if described["status"] != "SUCCEEDED":
        _wait_status_delivery(twin, arn)
        writers_idle(twin)  # a batch being stored when the run ended lands, and joins the ledger late
    return tracking.run_result(described, 0.0, twin.summarize_failure)


def writers_idle(twin: Twin, timeout_s: float = 60.0) -> None:
    """Until the queue is empty and no writer invocation runs (nor a second delivery's thread)."""
    sqs = twin.client("sqs")
    assert twin.resources is not None and twin.runtime is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(
            QueueUrl=twin.resources.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        running = [r for r in twin.runtime.records(function="writer") if r.end is None]
        if not running and all(v == "0" for v in attrs.values()):
            return
        time.sleep(0.2)
    raise TimeoutError("writers still busy")


def _wait_status_delivery(twin: Twin, arn: str, timeout_s: float = 60.0) -> None:
    assert twin.status_rule is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [
            d
            for d in twin.status_rule.deliveries
            if d.execution_arn == arn and d.status != "RUNNING" and d.done.is_set()
        ]
        if done:
            assert done[-1].error is None, done[-1].error
            return
        time.sleep(0.05)
    raise TimeoutError(f"no status-change delivery for {arn}")


def redrive(twin: Twin, arn: str, key: str | None = None) -> dict[str, Any]:
    """Redrive and wait for the end; with `key`, also watch the ledger while the redrive runs: the result's
    `ledger_while_running` is the first (status, kinds of executions) seen after the redrive began."""
    sfn = twin.client("stepfunctions")
    ended = sum(1 for d in twin.status_rule.deliveries if d.status != "RUNNING") if twin.status_rule else 0
    sfn.redrive_execution(executionArn=arn)
    seen: tuple[str, list[str]] | None = None
    if key is not None:
        file = f"s3://{twin.config.data_bucket}/{key}"
        ddb = twin.client("dynamodb")
        deadline = time.monotonic() + 30
        while seen is None and time.monotonic() < deadline:
            objects = tracking.ledger_objects(ddb, twin.config.ledger_table_name, file) or [{}]
            kinds = [str(e.get("kind")) for e in objects[0].get("executions") or []]
            if objects[0].get("status") == "RUNNING" or kinds.count("redrive") > 0:
                seen = (str(objects[0].get("status")), kinds)
            time.sleep(0.05)
    result = finish(twin, arn)
    if twin.status_rule is not None:  # the redrive's own RUNNING event is handled before we read the ledger
        for delivery in [d for d in twin.status_rule.deliveries if d.execution_arn == arn]:
            delivery.done.wait(30)
        assert sum(1 for d in twin.status_rule.deliveries if d.status != "RUNNING") >= ended
    result["ledger_while_running"] = seen
    return result


def run_one(twin: Twin, path: Path, key: str) -> dict[str, Any]:
    twin.upload(path, key)
    return finish(twin, executions_for(twin, key)[0])


# ---- the scenarios ---------------------------------------------------------------------------------------
def overlapping_files(twin: Twin, tmp: Path, rounds: int = 2, rows: int = 600) -> Report:
    """The silent-overwrite bug: two files whose rows share timestamps uploaded at once. File B repeats
    A's first half: its first quarter with the same values (duplicates), its second quarter with other
    values (conflicts); its second half is its own. Several rounds, each with fresh timestamps."""
    shared, same = rows // 2, rows // 4
    files: list[FileReport] = []
    for n in range(rounds):
        start = 100_000 + n * 10_000
        a = write_csv(tmp / f"over-{n}-a.csv", rows, start)
        b = write_csv(
            tmp / f"over-{n}-b.csv",
            rows,
            start,
            local_avg=lambda i: "7.5" if same <= i < shared else "4.39",
            second=lambda i: i if i < shared else i + 5000,
        )
        keys = (f"incoming/overlap/{n}-a.csv", f"incoming/overlap/{n}-b.csv")
        threads = [
            threading.Thread(target=twin.upload, args=(p, k)) for p, k in zip((a, b), keys, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results = [finish(twin, executions_for(twin, key)[0]) for key in keys]
        sources = {f"s3://{twin.config.data_bucket}/{k}": p for k, p in zip(keys, (a, b), strict=True)}
        pair = [file_report(twin, key, sources) for key in keys]
        for report, result in zip(pair, results, strict=True):
            report.results.append(result)
        written = sum(int(r.ledger["rows_written"]) for r in pair)
        assert written == 2 * rows - shared, f"round {n}: {written} rows written for {2 * rows - shared} keys"
        assert sum(int(r.ledger["rows_duplicate"]) for r in pair) == same
        assert sum(int(r.ledger["rows_conflict"]) for r in pair) == shared - same
        files += pair
    return Report("two overlapping files uploaded at once", files)


def writer_crash_after_write(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The writer stores the second batch, then crashes before reporting; SQS redelivers the message."""
    path = write_csv(tmp / "crash.csv", rows, 200_000)
    fault = faults.writer_crash_after_write(first_row=second_batch(twin), times=1)
    result = run_one(twin, path, "incoming/crash.csv")
    report = file_report(
        twin, "incoming/crash.csv", {f"s3://{twin.config.data_bucket}/incoming/crash.csv": path}
    )
    report.results.append(result)
    return Report("writer crashed after writing, before reporting", [report], [f"crashes: {fault.fired}"])


def delivered_twice(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """SQS delivers one batch's message twice, to two writers at once."""
    path = write_csv(tmp / "twice.csv", rows, 300_000)
    fault = faults.deliver_twice(first_row=second_batch(twin))
    result = run_one(twin, path, "incoming/twice.csv")
    report = file_report(
        twin, "incoming/twice.csv", {f"s3://{twin.config.data_bucket}/incoming/twice.csv": path}
    )
    report.results.append(result)
    return Report("SQS message delivered twice", [report], [f"second deliveries: {fault.fired}"])


def transient_transform_errors(twin: Twin, tmp: Path, rows: int = 750) -> Report:
    """The transform raises a connection reset once, times out once, and Lambda throttles once."""
    path = write_csv(tmp / "blip.csv", rows, 400_000)
    reset = faults.transform_error(first_row=2)
    # past the Transform state's TimeoutSeconds (120 virtual seconds)
    timeout = faults.transform_timeout(first_row=502, seconds=180 / twin.speed)
    throttled = faults.lambda_throttled(twin.config.function("transform").name)
    result = run_one(twin, path, "incoming/blip.csv")
    report = file_report(twin, "incoming/blip.csv")
    report.results.append(result)
    notes = [
        f"connection resets {reset.fired}, timeouts {timeout.fired}, throttled invokes {throttled.fired}"
    ]
    return Report("transient transform errors (reset, timeout, throttling)", [report], notes)


def throttled_then_redrive(twin: Twin, tmp: Path, rows: int = 750) -> Report:
    """DynamoDB throttles one batch's rows for good: the writer and the state machine retry, the file
    fails naming the real cause; the throttling ends; a redrive completes it."""
    path = write_csv(tmp / "throttle.csv", rows, 500_000)
    faults.throttle_dynamodb(twin.config.table_name, rows=range(502, 1002), times=None)
    key = "incoming/throttle.csv"
    twin.upload(path, key)
    arn = executions_for(twin, key)[0]
    failed = finish(twin, arn)
    before = file_report(twin, key)
    faults.registry.clear()
    done = redrive(twin, arn, key)
    after = file_report(twin, key, {f"s3://{twin.config.data_bucket}/{key}": path})
    before.results.append(failed)
    after.results.append(done)
    return Report("DynamoDB throttling for good, then a redrive", [before, after])


def stopped_then_redrive(twin: Twin, tmp: Path, rows: int = 1000) -> Report:
    """The execution is stopped while its batches run, then redriven."""
    path = write_csv(tmp / "stopped.csv", rows, 600_000)
    key = "incoming/stopped.csv"
    file = f"s3://{twin.config.data_bucket}/{key}"
    twin.upload(path, key)
    arn = executions_for(twin, key)[0]
    ddb = twin.client("dynamodb")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # stop once some batches are stored
        items = tracking.ledger_query(ddb, twin.config.ledger_table_name, file) or []
        if sum(1 for i in items if str(i["sk"]).startswith("BATCH#")) >= 2:
            break
        time.sleep(0.05)
    twin.client("stepfunctions").stop_execution(
        executionArn=arn, error="Test.Stopped", cause="stopped mid-run"
    )
    stopped = finish(twin, arn)
    before = file_report(twin, key)
    done = redrive(twin, arn, key)
    after = file_report(twin, key, {file: path})
    before.results.append(stopped)
    after.results.append(done)
    return Report("execution stopped mid-run, then redriven", [before, after])


def same_file_twice(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The same file uploaded twice at once (same key, same content: one object version, two events),
    then once more under another key (same content: every row a duplicate)."""
    path = write_csv(tmp / "twice-up.csv", rows, 700_000)
    key = "incoming/same/twice.csv"
    threads = [threading.Thread(target=twin.upload, args=(path, key)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [finish(twin, arn) for arn in executions_for(twin, key, count=2)]
    first = file_report(twin, key, {f"s3://{twin.config.data_bucket}/{key}": path})
    first.results += results
    other = run_one(twin, path, "incoming/same/copy.csv")
    copy = file_report(twin, "incoming/same/copy.csv")
    copy.results.append(other)
    notes = [json.dumps([r.get("message") or r["status"] for r in results])]
    return Report("the same file uploaded twice at once, then under another key", [first, copy], notes)


def second_batch(twin: Twin) -> int:
    """The file row the second batch starts at (the batch size is set explicitly in fault_config())."""
    return 2 + twin.config.max_items_per_batch


def _report(twin: Twin, key: str, path: Path, result: dict[str, Any]) -> FileReport:
    report = file_report(twin, key, {f"s3://{twin.config.data_bucket}/{key}": path})
    report.results.append(result)
    return report


def writer_crash_before_write(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The writer crashes before storing the second batch, once: the message comes back (SQS visibility
    timeout) or Enqueue's heartbeat timeout sends it again, whichever is first; nothing was stored."""
    key, path = "incoming/crash-before.csv", write_csv(tmp / "crash-before.csv", rows, 800_000)
    fault = faults.writer_crash_before_write(first_row=second_batch(twin))
    report = _report(twin, key, path, run_one(twin, path, key))
    return Report("writer crashed before writing", [report], [f"crashes: {fault.fired}"])


def writer_crash_every_time(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The writer stores the second batch and crashes before reporting, every time (each redelivery, each
    new message of Enqueue's retries): the batch fails (States.HeartbeatTimeout), the ledger counts the rows
    that are stored, the message lands in the DLQ; the fault is cleared; a redrive completes the file.
    Needs a twin whose failed messages dead-letter quickly (max_receive_count=1)."""
    key, path = "incoming/crash-always.csv", write_csv(tmp / "crash-always.csv", rows, 850_000)
    fault = faults.writer_crash_after_write(first_row=second_batch(twin), times=None)
    twin.upload(path, key)
    arn = executions_for(twin, key)[0]
    failed = finish(twin, arn)
    before = _report(twin, key, path, failed)
    crashes = fault.fired
    faults.registry.clear()
    after = _report(twin, key, path, redrive(twin, arn, key))
    return Report("writer crashed after writing, every time", [before, after], [f"crashes: {crashes}"])


def lost_message(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The second batch's SQS message is lost (deleted unread): Enqueue's heartbeat timeout notices and its
    Retry sends it again."""
    key, path = "incoming/lost.csv", write_csv(tmp / "lost.csv", rows, 900_000)
    fault = faults.lose_message(first_row=second_batch(twin))
    report = _report(twin, key, path, run_one(twin, path, key))
    return Report("SQS message lost", [report], [f"messages lost: {fault.fired}"])


def token_never_returned(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The writer stores the second batch but its report never arrives (the message is gone): Enqueue's
    heartbeat timeout retries; the second writer finds the rows stored by this execution: counted once."""
    key, path = "incoming/no-report.csv", write_csv(tmp / "no-report.csv", rows, 950_000)
    fault = faults.task_token_never_returned(first_row=second_batch(twin))
    report = _report(twin, key, path, run_one(twin, path, key))
    return Report("task token never returned", [report], [f"reports lost: {fault.fired}"])


def missing_message_or_report(twin: Twin, tmp: Path, rows: int = 1000) -> Report:
    """Three of the above in one file, on different batches (the tests' way of keeping them fast; the
    bench runs each alone): the writer crashes before writing batch 2, batch 3's message is lost, batch
    4's report never returns. Each is noticed (redelivery or Enqueue's heartbeat timeout) and sent again."""
    key, path = "incoming/missing.csv", write_csv(tmp / "missing.csv", rows, 1_250_000)
    size = twin.config.max_items_per_batch
    crash = faults.writer_crash_before_write(first_row=2 + size)
    lost = faults.lose_message(first_row=2 + 2 * size)
    unreported = faults.task_token_never_returned(first_row=2 + 3 * size)
    report = _report(twin, key, path, run_one(twin, path, key))
    notes = [f"crashes: {crash.fired}, messages lost: {lost.fired}, reports lost: {unreported.fired}"]
    return Report(
        "writer crash before writing + SQS message lost + task token never returned", [report], notes
    )


def unprocessed_items(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """DynamoDB refuses every tenth item of the second batch twice, stores the rest: the writer retries the
    refused items only."""
    key, path = "incoming/unprocessed.csv", write_csv(tmp / "unprocessed.csv", rows, 1_000_000)
    first = second_batch(twin)
    refused = range(first, first + twin.config.max_items_per_batch, 10)
    fault = faults.unprocessed_items(twin.config.table_name, refused, refusals=2)
    report = _report(twin, key, path, run_one(twin, path, key))
    return Report("DynamoDB unprocessed items", [report], [f"refused INSERTs: {fault.fired}"])


def dynamodb_throttled_for_a_while(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """DynamoDB throttles the second batch's puts for 3 s: the writer's own retries give up
    (Writer.Throttled), the state machine's Retry tries again later and the file completes without a
    redrive."""
    key, path = "incoming/busy.csv", write_csv(tmp / "busy.csv", rows, 1_050_000)
    first = second_batch(twin)
    throttled = range(first, first + twin.config.max_items_per_batch)
    reports = faults.watch_calls(
        "stepfunctions", "SendTaskFailure", lambda params: params.get("error") == "Writer.Throttled"
    )
    fault = faults.throttle_dynamodb_for(twin.config.table_name, seconds=3.0, rows=throttled)
    twin.upload(path, key)
    report = _report(twin, key, path, finish(twin, executions_for(twin, key)[0]))
    notes = [f"throttled puts: {fault.fired}", f"Writer.Throttled reports: {reports.fired}"]
    return Report("DynamoDB throttling for a while, then recovery", [report], notes)


def lambda_throttled(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """The Lambda service throttles the transform's first four invocations (TooManyRequestsException)."""
    key, path = "incoming/lambda-busy.csv", write_csv(tmp / "lambda-busy.csv", rows, 1_100_000)
    fault = faults.lambda_throttled(twin.config.function("transform").name, times=4)
    report = _report(twin, key, path, run_one(twin, path, key))
    return Report("Lambda throttling", [report], [f"throttled invokes: {fault.fired}"])


def replaced_while_running(twin: Twin, tmp: Path, rows: int = 500) -> Report:
    """A file is replaced under the same key while its execution runs: version 2 repeats version 1's
    timestamps, with the same values in even rows and other values in odd rows; version 1 has a bad value
    in every hundredth row. Each version is its own ledger object with its own rejects file; each key is
    stored once; the other version counts the same values as duplicates and the different ones as
    conflicts (rejected with both origins), never overwriting."""
    key = "incoming/replaced.csv"
    file = f"s3://{twin.config.data_bucket}/{key}"
    v1 = write_csv(
        tmp / "replaced-v1.csv", rows, 1_150_000, local_avg=lambda i: "bad" if i % 100 == 0 else "4.39"
    )
    v2 = write_csv(tmp / "replaced-v2.csv", rows, 1_150_000, local_avg=lambda i: "8.25" if i % 2 else "4.39")
    twin.upload(v1, key)
    [arn1] = executions_for(twin, key)
    ddb = twin.client("dynamodb")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # replace it once the first version's rows are being stored
        items = tracking.ledger_query(ddb, twin.config.ledger_table_name, file) or []
        if any(str(i["sk"]).startswith("BATCH#") for i in items):
            break
        time.sleep(0.05)
    twin.upload(v2, key)
    arn2 = executions_for(twin, key, count=2)[-1]
    results = [finish(twin, arn1), finish(twin, arn2)]
    assert twin.events is not None
    etags = [
        next(str(d.event["detail"]["object"]["etag"]) for d in twin.events.deliveries if str(d.result) == arn)
        for arn in (arn1, arn2)
    ]
    reports = [
        file_report(twin, key, {file: path}, etag=etag) for path, etag in zip((v1, v2), etags, strict=True)
    ]
    for report, result in zip(reports, results, strict=True):
        report.results.append(result)
    return Report("a file replaced under the same key while its execution runs", reports, [f"etags: {etags}"])


SCENARIOS: list[Callable[[Twin, Path], Report]] = [
    overlapping_files,
    writer_crash_after_write,
    delivered_twice,
    transient_transform_errors,
    throttled_then_redrive,
    stopped_then_redrive,
    same_file_twice,
    writer_crash_before_write,
    lost_message,
    token_never_returned,
    unprocessed_items,
    dynamodb_throttled_for_a_while,
    lambda_throttled,
    replaced_while_running,
]
DEAD_LETTER_SCENARIOS: list[Callable[[Twin, Path], Report]] = [writer_crash_every_time]
"""Scenarios that need a twin whose failed messages go to the DLQ at once: fault_twin(max_receive_count=1)."""
