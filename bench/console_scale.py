"""The console on a 2,000-batch execution: response times of its pages' API calls, and its memory.

    .venv/bin/python bench/console_scale.py --rows 1000000 --batch 500

Builds the execution on the twin's engine: a generated CSV in the twin's S3, a state machine shaped like the
pipeline's (Configure -> a Distributed Map reading the CSV in batches -> Summarize) whose item processor
states are Pass states (three batches fail on purpose, within the tolerated count, so the failed-batch path
is measured too). Then the console, served over HTTP on the twin's boto3 clients as `etl up` serves it, is
timed on what its pages call; and its RSS is read before and after viewing many child executions (the caches
are bounded, so it must not grow with them). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "sample_data"))

import generate  # noqa: E402  (sample_data/generate.py)

from workflow.twin.server import wait_healthy  # noqa: E402
from workflow.twin.twin import Twin  # noqa: E402

FAILING = 3  # batches that fail on purpose (first index of the batch divisible by a stride)


def definition(bucket: str, batch: int, stride: int) -> dict[str, Any]:
    fail_rules = [
        {
            "Variable": "$.Items[0].index",
            "NumericEquals": stride * (i + 1) * batch,
            "Next": "WriteFailed",
        }
        for i in range(FAILING)
    ]
    return {
        "StartAt": "Configure",
        "States": {
            "Configure": {
                "Type": "Pass",
                "Result": {"batch": batch},
                "ResultPath": "$.config",
                "Next": "ProcessRows",
            },
            "ProcessRows": {
                "Type": "Map",
                "Label": "Rows",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                    "Parameters": {"Bucket": bucket, "Key.$": "$.key"},
                },
                "ItemSelector": {"index.$": "$$.Map.Item.Index", "row.$": "$$.Map.Item.Value"},
                "ItemBatcher": {
                    "MaxItemsPerBatch": batch,
                    "BatchInput": {"bucket": bucket, "key.$": "$.key"},
                },
                "MaxConcurrency": 32,
                "ToleratedFailureCount": FAILING * batch,  # counted in items (rows), not batches
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Transform",
                    "States": {
                        "Transform": {
                            "Type": "Pass",
                            "Result": {"valid": 1},
                            "ResultPath": "$.t",
                            "Next": "AnyBad",
                        },
                        "AnyBad": {"Type": "Choice", "Choices": fail_rules, "Default": "BatchDone"},
                        "WriteFailed": {
                            "Type": "Fail",
                            "Error": "Writer.WriteFailed",
                            "Cause": "injected failure",
                        },
                        "BatchDone": {
                            "Type": "Pass",
                            "Parameters": {"rows.$": "States.ArrayLength($.Items)"},
                            "End": True,
                        },
                    },
                },
                "ResultPath": None,
                "Next": "Summarize",
            },
            "Summarize": {"Type": "Pass", "End": True},
        },
    }


def timed_get(url: str) -> tuple[float, Any]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = json.loads(response.read())
    return round(time.perf_counter() - started, 3), body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--view", type=int, default=300, help="child executions to view for the memory figure"
    )
    args = parser.parse_args(argv)
    batches = -(-args.rows // args.batch)
    stride = max(1, batches // (FAILING + 1))
    figures: dict[str, Any] = {"rows": args.rows, "batches": batches}
    with tempfile.TemporaryDirectory() as folder, Twin.ephemeral() as twin:
        path = Path(folder) / "big.csv"
        started = time.perf_counter()
        generate.write_csv(path, rows=args.rows, bad_share=0.0, seed=1)
        bucket = twin.config.data_bucket
        twin.client("s3").upload_file(
            str(path), bucket, "bench/big.csv"
        )  # not under incoming/: no pipeline run
        figures["prepare_s"] = round(time.perf_counter() - started, 1)
        sfn = twin.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="console-scale",
            definition=json.dumps(definition(bucket, args.batch, stride)),
            roleArn="arn:aws:iam::000000000000:role/bench",
        )["stateMachineArn"]
        started = time.perf_counter()
        arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"key": "bench/big.csv"}))[
            "executionArn"
        ]
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            time.sleep(0.5)
        figures["execution_s"] = round(time.perf_counter() - started, 1)
        figures["execution_status"] = sfn.describe_execution(executionArn=arn)["status"]

        # the console in its own process (`etl console` against the twin), so its RSS is its own
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=twin.region)
        env["PYTHONPATH"] = str(ROOT)
        console = subprocess.Popen(
            [sys.executable, "-m", "workflow", "console", "--endpoint-url", twin.url, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            if not wait_healthy(url, 60):
                raise SystemExit("the console did not start")
            base = url + "/api"
            q = quote(arn, safe="")
            times: dict[str, float] = {}
            times["execution_header"], header = timed_get(f"{base}/executions/{q}")
            times["execution_graph"], _ = timed_get(f"{base}/executions/{q}/graph")
            times["execution_history_page"], _ = timed_get(f"{base}/executions/{q}/history")
            times["state_details_inner"], _ = timed_get(
                f"{base}/executions/{q}/states/ProcessRows%2FTransform"
            )
            run = quote(header["map_runs"][0]["mapRunArn"], safe="")
            times["map_run"], described = timed_get(f"{base}/mapruns/{run}")
            times["map_run_children_page_1"], page = timed_get(f"{base}/mapruns/{run}/children")
            token, deepest = page["next"], 1
            while token and deepest < 11:  # a page deep into the list costs the same as the first
                times["map_run_children_deep_page"], page = timed_get(
                    f"{base}/mapruns/{run}/children?page={quote(token, safe='')}"
                )
                token, deepest = page["next"], deepest + 1
            figures["deep_page_number"] = deepest
            times["map_run_children_failed"], failed = timed_get(
                f"{base}/mapruns/{run}/children?status=FAILED"
            )
            times["executions_list"], _ = timed_get(f"{base}/executions")
            times["execution_header_cached"], _ = timed_get(f"{base}/executions/{q}")
            figures["times_s"] = times
            figures["failed_batches_in_header"] = len(header["failed_batches"])
            figures["failed_children_listed"] = len(failed["children"])
            figures["item_counts"] = described["itemCounts"]

            children = []
            token = None
            while len(children) < args.view:
                suffix = f"?page={quote(token, safe='')}" if token else ""
                _, page = timed_get(f"{base}/mapruns/{run}/children{suffix}")
                children.extend(c["executionArn"] for c in page["children"])
                token = page["next"]
                if not token:
                    break
            series = [{"viewed": 0, "rss_mb": rss_mb(console.pid)}]
            slowest = 0.0
            for index, child in enumerate(children[: args.view], start=1):
                cq = quote(child, safe="")
                t1, _ = timed_get(f"{base}/executions/{cq}")
                t2, _ = timed_get(f"{base}/executions/{cq}/graph")
                slowest = max(slowest, t1, t2)
                if index % 100 == 0 or index == len(children[: args.view]):
                    series.append({"viewed": index, "rss_mb": rss_mb(console.pid)})
            figures["memory"] = {"rss_while_viewing_children": series, "slowest_child_page_call_s": slowest}
        finally:
            console.terminate()
            console.wait(10)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
