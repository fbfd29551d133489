"""Local throughput of the whole pipeline against the emulated DynamoDB's own write rate.

    .venv/bin/python bench/throughput.py --rows 10000 --bad-share 0.01

Prints one JSON object: the pipeline's rows/s through the twin (S3 -> execution -> Map -> transform -> SQS ->
writer -> DynamoDB -> summary) and, as the floor to compare with, moto's DynamoDB write rate for the same
number of items with boto3's batch_writer: in-process `mock_aws` in a fresh interpreter with moto as
released and CPython's default settings, just before and just after the pipeline, averaged
(`pipeline_vs_in_process_floor`, issue 14's ratio); the same with the moto seams and interpreter settings
the twin runs with (`pipeline_vs_floor_with_twin_settings`: a like-for-like ratio, since the twin's moto is
faster than stock moto: workflow/twin/moto_seams.py, interpreter_tuning.py); and through the twin's HTTP
endpoint.

`stages` says where a row's time goes, from the execution's histories, the Map Run and the Lambda invocation
records: `read` (ItemReader + ItemBatcher in the Map's thread), `transform` (the Transform state, Lambda
call included), `enqueue` (SendMessage: Enqueue entered to TaskSubmitted), `write` (TaskSubmitted to the
task token's answer: the queue, the writer's INSERTs, SendTaskSuccess), `report` (Summarize). Each gives
the seconds summed over batches (children overlap, so the sums exceed the wall time) and ms per row;
`lambda_busy_s` is the handlers' own time. `ETL_TWIN_HANDOFF=0` keeps the Lambdas' HTTP hop (handoff.py), to
compare in one sitting.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sample_data"))

import generate  # noqa: E402  (sample_data/generate.py)

from workflow.twin import handoff  # noqa: E402
from workflow.twin.provision import create_keyed_table  # noqa: E402
from workflow.twin.twin import Twin  # noqa: E402


def message_item(i: int) -> dict[str, Any]:
    """The i-th of a run of items shaped like the messages table's (bench/moto_costs.py uses it too)."""
    return {
        "date": "2019-05-28",
        "time": f"{i:09d}",
        "location": "location-03",
        "source": "wireless",
        "local_dest": "router-1",
        "local_avg": Decimal("4.39"),
        "remote_dest": "device-1",
        "remote_avg": Decimal("9.09"),
        "timestamp": Decimal("1559040909.3853335"),
        "source_row": i + 2,
    }


def table_write_rate(dynamodb: Any, rows: int) -> float:
    """Items/s for `rows` puts with batch_writer into a fresh table shaped like the messages table."""
    name = f"bench-{time.monotonic_ns()}"
    create_keyed_table(dynamodb, name, "date", "time")
    table = boto3.resource(
        "dynamodb", region_name="us-east-1", endpoint_url=dynamodb.meta.endpoint_url
    ).Table(name)
    started = time.perf_counter()
    with table.batch_writer() as batch:
        for i in range(rows):
            batch.put_item(Item=message_item(i))
    return rows / (time.perf_counter() - started)


def in_process_rate(rows: int) -> float:
    from moto import mock_aws

    with mock_aws():
        return table_write_rate(boto3.client("dynamodb", region_name="us-east-1"), rows)


def fresh_process_rate(rows: int, *, twin_settings: bool) -> float:
    """`in_process_rate` in a new interpreter: a heap without the twin's leftovers (which made the figure
    swing 2,400-3,100 items/s when measured after the twin in this process). `twin_settings`: with the
    moto seams and the interpreter settings the twin runs with, for a like-for-like figure."""
    flag = ["--twin-settings"] if twin_settings else []
    out = subprocess.run(
        [sys.executable, __file__, "--floor-only", "--rows", str(rows), *flag],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(json.loads(out)["items_per_s"])


def floor_only(rows: int, twin_settings: bool) -> int:
    if twin_settings:
        from workflow.twin import interpreter_tuning, moto_seams

        interpreter_tuning.relax()
        moto_seams.make_dynamodb_writes_atomic()
        moto_seams.size_items_once()
    print(json.dumps({"items_per_s": in_process_rate(rows)}))
    return 0


def _seconds(later: Any, earlier: Any) -> float:
    return float((later - earlier).total_seconds())


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = sfn.get_execution_history(
            executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {})
        )
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def _child_stages(events: list[dict[str, Any]], totals: dict[str, float]) -> None:
    """Add one child's Transform, Enqueue (up to TaskSubmitted) and write (TaskSubmitted to its answer)."""
    entered: dict[str, Any] = {}
    submitted = None
    for event in events:
        kind = event["type"]
        if kind == "TaskStateEntered":
            entered[event["stateEnteredEventDetails"]["name"]] = event["timestamp"]
        elif kind == "TaskSubmitted" and "Enqueue" in entered:
            submitted = event["timestamp"]
            totals["enqueue"] += _seconds(submitted, entered["Enqueue"])
        elif kind == "TaskStateExited":
            name = event["stateExitedEventDetails"]["name"]
            if name == "Transform":
                totals["transform"] += _seconds(event["timestamp"], entered[name])
            elif name == "Enqueue" and submitted is not None:
                totals["write"] += _seconds(event["timestamp"], submitted)


def stage_times(twin: Twin, execution_arn: str, rows: int) -> dict[str, Any]:
    """Where the time went: per stage, seconds summed over batches and ms per row (see the docstring)."""
    sfn = twin.service
    totals = dict.fromkeys(("read", "transform", "enqueue", "write", "report"), 0.0)
    for item in sfn.list_map_runs(executionArn=execution_arn)["mapRuns"]:
        totals["read"] += sfn.engine.map_runs[item["mapRunArn"]].read_seconds
        token: str | None = None
        while True:
            page = sfn.list_executions(mapRunArn=item["mapRunArn"], **({"nextToken": token} if token else {}))
            for child in page["executions"]:
                _child_stages(_history(sfn, child["executionArn"]), totals)
            token = page.get("nextToken")
            if not token:
                break
    entered = None
    for event in _history(sfn, execution_arn):
        if event["type"] == "TaskStateEntered" and event["stateEnteredEventDetails"]["name"] == "Summarize":
            entered = event["timestamp"]
        elif event["type"] == "TaskStateExited" and entered is not None:
            totals["report"] += _seconds(event["timestamp"], entered)
            entered = None
    assert twin.runtime is not None
    busy = {
        spec.key: round(sum(r.duration_ms or 0.0 for r in twin.runtime.records(function=spec.key)) / 1000, 1)
        for spec in twin.config.functions
        if spec.key in ("transform", "writer", "summarize")
    }
    return {
        "stages": {
            name: {"seconds_summed": round(value, 1), "ms_per_row": round(value * 1000 / rows, 3)}
            for name, value in totals.items()
        },
        "lambda_busy_s": busy,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad-share", type=float, default=0.01)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the execution")
    parser.add_argument("--floor-only", action="store_true", help="only the floor, as JSON (used internally)")
    parser.add_argument("--twin-settings", action="store_true", help="with --floor-only: the twin's moto")
    args = parser.parse_args(argv)
    if args.floor_only:
        return floor_only(args.rows, args.twin_settings)

    # The machine's speed drifts (a shared host): the floor is measured before and after the pipeline and
    # the mean is the figure the ratio uses; both are printed.
    floor_before = fresh_process_rate(args.rows, twin_settings=False)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / f"bench-{args.rows}.csv"
        generate.write_csv(csv_path, args.rows, args.bad_share, seed=1)
        with Twin.ephemeral() as twin:
            result = twin.run_file(csv_path, timeout_s=args.timeout)
            stages = stage_times(twin, result["execution_arn"], args.rows)
            http_rate = table_write_rate(twin.client("dynamodb"), args.rows)
    pipeline_rate = args.rows / result["duration_s"]
    floor_after = fresh_process_rate(args.rows, twin_settings=False)
    floor = (floor_before + floor_after) / 2
    floor_twin = fresh_process_rate(args.rows, twin_settings=True)
    outcomes = ("rows_written", "rows_duplicate", "rows_rejected", "rows_conflict", "rows_failed")
    accounted = sum(result.get(name) or 0 for name in outcomes)  # the ledger's equation
    print(
        json.dumps(
            {
                "rows": args.rows,
                "status": result["status"],
                **{name: result.get(name) for name in outcomes},
                "rows_unaccounted": args.rows - accounted,
                "pipeline_seconds": result["duration_s"],
                "pipeline_rows_per_s": round(pipeline_rate),
                "dynamodb_batch_writer_in_process_items_per_s": round(floor),
                "floor_before_and_after_items_per_s": [round(floor_before), round(floor_after)],
                "dynamodb_batch_writer_in_process_twin_settings_items_per_s": round(floor_twin),
                "dynamodb_batch_writer_via_twin_http_items_per_s": round(http_rate),
                "pipeline_vs_in_process_floor": round(pipeline_rate / floor, 2),
                "pipeline_vs_floor_with_twin_settings": round(pipeline_rate / floor_twin, 2),
                "lambda_handoff": handoff.ENABLED,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                **stages,
            },
            indent=2,
        )
    )
    return 0 if result["status"] == "SUCCEEDED" and accounted == args.rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
