"""The engine's own memory at scale: a Distributed Map over a CSV with Pass children, no Lambda, no twin.

    .venv/bin/python bench/engine_memory.py --rows 100000
    .venv/bin/python bench/engine_memory.py --rows 1000000

Runs the pipeline's Map shape (CSV ItemReader, ItemSelector, ItemBatcher with BatchInput, MaxConcurrency,
ResultWriter to S3) on the engine with moto's S3 in process, and prints one JSON object: rows/s, peak RSS
(VmHWM), the RSS before the run (interpreter, moto, the CSV in moto's S3) and the run's growth above it,
split by phase from an RSS sampler (every 50 ms):

- `read_and_children`: reading and batching the CSV while the child executions run, up to the last child's
  end: the engine's own memory (histories, map runs, execution records, batches) and the reader's stream;
- `result_upload`: the ResultWriter's files, streamed by the engine but each uploaded with one PutObject,
  whose body moto (in process, as in the twin) reads in full: moto's share, about 3x the file size.

`split_mb` splits the peak by owner from RSS per phase: `engine` is the growth while reading and running the
children less the CSV's size (moto's in-process GetObject answers with the whole object, which the reader's
stream holds while it reads: measured at 0.7-1x the file), `moto` the CSV object it stores, that response
and the growth of the result upload, `rest` the RSS before the run without the CSV (interpreter, boto3,
moto's code). `engine_objects_mb` is the engine's own objects alone (execution records, histories, Map Runs,
slots, task tokens: their retained size, walked every `--every` seconds and when the last child ends; the
largest figure: the running children's batches when a walk catches them, so use `--every 1` to compare
sizes); `engine_objects_retained_kb` is the walk when the last child ends, what stays as the file grows.

Target (issue 14): the engine's memory at 1,000,000 rows stays within 1.5x of its figure at 100,000 rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sample_data"))

import boto3  # noqa: E402
import generate  # noqa: E402  (sample_data/generate.py)
from botocore.config import Config  # noqa: E402
from moto import mock_aws  # noqa: E402

from workflow.config import PipelineConfig  # noqa: E402
from workflow.engine.backend import LambdaResult  # noqa: E402
from workflow.engine.clock import RealClock  # noqa: E402
from workflow.engine.service import StepFunctions  # noqa: E402

REGION, ACCOUNT, BUCKET = "us-east-1", "123456789012", "bench-data"
# Without this, boto3 wraps uploads in aws-chunked checksums that moto decodes quadratically (findings.md).
_CLIENT_CONFIG = Config(
    request_checksum_calculation="when_required", response_checksum_validation="when_required"
)


class MotoBackend:
    """The engine's Backend over moto's in-process S3; no Lambda (the children are Pass states)."""

    region, account = REGION, ACCOUNT

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(  # type: ignore[call-overload]
                    service, region_name=REGION, config=_CLIENT_CONFIG
                )
            return self._clients[service]

    def invoke_lambda(self, function_name: str, payload: bytes, *_: Any, **__: Any) -> LambdaResult:
        raise NotImplementedError("the benchmark's children are Pass states")


def definition(config: PipelineConfig) -> dict[str, Any]:
    """The pipeline's Map (workflow/definition/csv_etl.asl.json) with a Pass child instead of the Lambdas."""
    return {
        "StartAt": "ProcessRows",
        "States": {
            "ProcessRows": {
                "Type": "Map",
                "Label": "Rows",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
                },
                "ItemSelector": {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"},
                "ItemBatcher": {
                    "MaxItemsPerBatch": config.max_items_per_batch,
                    "MaxInputBytesPerBatch": config.max_input_bytes_per_batch,
                    "BatchInput": {
                        "bucket.$": "$.bucket",
                        "key.$": "$.key",
                        "execution.$": "$$.Execution.Name",
                    },
                },
                "MaxConcurrency": config.max_concurrency,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Transform",
                    "States": {"Transform": {"Type": "Pass", "End": True}},
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": BUCKET, "Prefix": "results/"},
                },
                "End": True,
            }
        },
    }


def rss_kib(field: str) -> int:
    """A line of /proc/self/status in KiB: VmRSS (now) or VmHWM (peak since start or since reset_peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+: write 5 to clear_refs); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


_NOT_OWNED = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
    threading.Thread,
)
_FOREIGN = ("boto", "botocore", "moto", "threading", "logging", "sqlite3")


def engine_bytes(engine: Any) -> int:
    """The engine's own objects (execution records, histories, Map Runs and their slots, task tokens):
    the retained size of everything reachable from them, each object once, not counting code, modules,
    threads, boto3/moto objects or the Engine itself (its backend and store live elsewhere)."""
    seen: set[int] = {id(engine), id(engine.__dict__)}
    # the records held in memory; succeeded Map children live in the store and are rebuilt only when read
    stack: list[Any] = [engine.executions.in_memory(), list(engine.map_runs.values()), engine.tokens]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _NOT_OWNED):
            continue
        if type(obj).__module__.split(".", 1)[0] in _FOREIGN:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


class Sampler(threading.Thread):
    """Peak RSS until the Map Run's last child has finished, and after (the ResultWriter's upload); the
    engine's own objects measured every `every` seconds and when the last child ends."""

    def __init__(self, sfn: StepFunctions, every: float = 15.0) -> None:
        super().__init__(daemon=True)
        self.sfn = sfn
        self.peaks = {"read_and_children": 0, "result_upload": 0}
        self.stopped = threading.Event()
        self.every = every
        self.engine_peak = 0
        self.engine_retained = 0  # once the last child has ended: what stays per row

    def snapshot(self) -> int:
        size = engine_bytes(self.sfn.engine)
        self.engine_peak = max(self.engine_peak, size)
        return size

    def children_done(self) -> bool:
        for map_run in list(self.sfn.engine.map_runs.values()):
            counts: dict[str, int] = map_run.describe()["executionCounts"]
            # a streaming Map Run may have none pending for a moment while the reader reads on
            idle = counts["pending"] == 0 and counts["running"] == 0
            return idle and not map_run.reading and counts["total"] > 0
        return False

    def run(self) -> None:
        phase = "read_and_children"
        last = time.monotonic()
        while not self.stopped.is_set():
            if phase == "read_and_children" and self.children_done():
                phase = "result_upload"
                self.engine_retained = self.snapshot()
            elif phase == "read_and_children" and time.monotonic() - last >= self.every:
                self.snapshot()
                last = time.monotonic()
            self.peaks[phase] = max(self.peaks[phase], rss_kib("VmRSS"))
            time.sleep(0.05)


def run(rows: int, workdir: Path, every: float = 15.0) -> dict[str, Any]:
    csv_path = workdir / "data.csv"
    generate.write_csv(csv_path, rows, 0.0, 1)
    config = PipelineConfig()
    with mock_aws():
        backend = MotoBackend()
        s3 = backend.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.upload_file(str(csv_path), BUCKET, "incoming/data.csv")
        sfn = StepFunctions(backend, clock=RealClock(), region=REGION, account=ACCOUNT)
        machine = sfn.create_state_machine(
            name="engine-memory",
            definition=json.dumps(definition(config)),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn",
        )["stateMachineArn"]
        peak_reset = reset_peak()
        before = rss_kib("VmRSS")
        sampler = Sampler(sfn, every)
        sampler.start()
        started = time.perf_counter()
        execution = sfn.start_execution(
            stateMachineArn=machine, input=json.dumps({"bucket": BUCKET, "key": "incoming/data.csv"})
        )["executionArn"]
        while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        sampler.stopped.set()
        sampler.join()
        sampler.snapshot()
        peak = rss_kib("VmHWM")
        after = rss_kib("VmRSS")
        results = s3.list_objects_v2(Bucket=BUCKET, Prefix="results/").get("Contents", [])
    csv_bytes = csv_path.stat().st_size
    engine_kib = max(sampler.peaks["read_and_children"] - before, 0)
    return {
        "rows": rows,
        "status": described["status"],
        "seconds": round(elapsed, 1),
        "rows_per_s": round(rows / elapsed),
        "peak_rss_mb": round(peak / 1024),
        "rss_before_run_mb": round(before / 1024),
        "rss_after_run_mb": round(after / 1024),
        "run_growth_mb": round((peak - before) / 1024) if peak_reset else None,
        "peak_counted_from": "start of the run" if peak_reset else "process start (clear_refs not allowed)",
        "growth_by_phase_mb": {k: round(max(v - before, 0) / 1024) for k, v in sampler.peaks.items()},
        "result_files_mb": round(sum(o["Size"] for o in results) / 2**20, 1),
        "csv_mb": round(csv_bytes / 2**20, 1),
        "split_mb": {
            "engine": round(max(engine_kib - csv_bytes / 1024, 0) / 1024),
            "moto": round((2 * csv_bytes / 1024 + max(peak - before - engine_kib, 0)) / 1024),
            "rest": round(max(before - csv_bytes / 1024, 0) / 1024),
        },
        "engine_objects_mb": round(sampler.engine_peak / 2**20, 1),
        "engine_objects_every_s": every,
        "engine_objects_retained_kb": round(sampler.engine_retained / 1024),
        "batch": {
            "max_items": config.max_items_per_batch,
            "max_bytes": config.max_input_bytes_per_batch,
            "max_concurrency": config.max_concurrency,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--every",
        type=float,
        default=15.0,
        help="seconds between walks of the engine's objects (a short run is walked only at its end: "
        "use 1 to catch the running children's payloads at every size)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="engine-memory-") as tmp:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        print(json.dumps(run(args.rows, Path(tmp), args.every), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
