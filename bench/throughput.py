"""Local throughput of the whole pipeline against the emulated DynamoDB's own write rate.

    .venv/bin/python bench/throughput.py --rows 10000 --bad-share 0.01

Prints one JSON object: the pipeline's rows/s through the twin (S3 -> execution -> Map -> transform -> SQS ->
writer -> DynamoDB -> summary) and, as the floor to compare with, moto's DynamoDB write rate for the same
number of items with boto3's batch_writer (in-process `mock_aws`, and through the twin's HTTP endpoint).
"""

from __future__ import annotations

import argparse
import json
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

from workflow.twin.twin import Twin  # noqa: E402


def table_write_rate(dynamodb: Any, rows: int) -> float:
    """Items/s for `rows` puts with batch_writer into a fresh table shaped like the messages table."""
    name = f"bench-{time.monotonic_ns()}"
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "date", "KeyType": "HASH"},
            {"AttributeName": "time", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "date", "AttributeType": "S"},
            {"AttributeName": "time", "AttributeType": "S"},
        ],
    )
    table = boto3.resource(
        "dynamodb", region_name="us-east-1", endpoint_url=dynamodb.meta.endpoint_url
    ).Table(name)
    started = time.perf_counter()
    with table.batch_writer() as batch:
        for i in range(rows):
            batch.put_item(
                Item={
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
            )
    return rows / (time.perf_counter() - started)


def in_process_rate(rows: int) -> float:
    from moto import mock_aws

    with mock_aws():
        return table_write_rate(boto3.client("dynamodb", region_name="us-east-1"), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--bad-share", type=float, default=0.01)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / f"bench-{args.rows}.csv"
        generate.write_csv(csv_path, args.rows, args.bad_share, seed=1)
        with Twin.ephemeral() as twin:
            result = twin.run_file(csv_path)
            http_rate = table_write_rate(twin.client("dynamodb"), args.rows)
    pipeline_rate = args.rows / result["duration_s"]
    floor = in_process_rate(args.rows)
    accounted = (result["rows_written"] or 0) + (result["rows_rejected"] or 0) + (result["rows_failed"] or 0)
    print(
        json.dumps(
            {
                "rows": args.rows,
                "status": result["status"],
                "rows_written": result["rows_written"],
                "rows_rejected": result["rows_rejected"],
                "rows_failed": result["rows_failed"],
                "rows_unaccounted": args.rows - accounted,
                "pipeline_seconds": result["duration_s"],
                "pipeline_rows_per_s": round(pipeline_rate),
                "dynamodb_batch_writer_in_process_items_per_s": round(floor),
                "dynamodb_batch_writer_via_twin_http_items_per_s": round(http_rate),
                "pipeline_vs_in_process_floor": round(pipeline_rate / floor, 2),
            },
            indent=2,
        )
    )
    return 0 if result["status"] == "SUCCEEDED" and accounted == args.rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
