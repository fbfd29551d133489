"""Summarize Lambda: the file's outcome from the Map's ResultWriter output, plus every reject in S3.

Input {"bucket", "key", "execution", "results": {"Bucket", "Key"}} after the Map succeeded, or
{..., "error": {"Error", "Cause"}} after it failed (then the newest manifests are found by listing).
All manifests under the execution's results prefix are merged, so after a redrive each batch is
counted once, by its latest run.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from results_reader import find_manifests, latest_children
from run_summary import REJECTS_SAMPLE_MAX, build_summary, digest_child, iter_rejects, rejects_sample

logger = Logger(service="csv-etl-summarize")
SPOOL_BYTES = 8 * 1024 * 1024


@cache
def s3_client() -> Any:
    return boto3.client("s3")


def manifest_keys(s3: Any, bucket: str, prefix: str, given: str | None) -> list[str]:
    """Manifests oldest first; the one the Map reported (if any) last, as the newest."""
    keys = [key for key in find_manifests(s3, bucket, prefix) if key != given]
    return [*keys, given] if given else keys


def summarize(
    event: dict[str, Any], s3: Any, data_bucket: str, results_prefix: str, rejects_prefix: str
) -> dict[str, Any]:
    execution = event["execution"]
    file = f"s3://{event['bucket']}/{event['key']}"
    results = event.get("results") or {}
    results_bucket = results.get("Bucket") or data_bucket
    keys = manifest_keys(s3, results_bucket, f"{results_prefix}{execution}/", results.get("Key"))
    children = latest_children(s3, results_bucket, keys, compact=digest_child)
    batches = [digest for _, digest in children.values()]
    rejects_key = f"{rejects_prefix}{execution}.jsonl"
    first_rejects = write_rejects(s3, data_bucket, rejects_key, iter_rejects(file, batches))
    return build_summary(
        file=file,
        execution=execution,
        batches=batches,
        error=event.get("error"),
        results_location=f"s3://{results_bucket}/{keys[-1]}" if keys else None,
        rejects_location=f"s3://{data_bucket}/{rejects_key}" if first_rejects else None,
        sample=rejects_sample(first_rejects),
    )


def write_rejects(s3: Any, bucket: str, key: str, rejects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stream the rejects as JSON lines to S3 (only if there are any); return the first ones for the sample.

    Lines go to a spooled temp file (memory up to 8 MB, then Lambda's /tmp), not one big string.
    """
    first: list[dict[str, Any]] = []
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for reject in rejects:
            if len(first) < REJECTS_SAMPLE_MAX:
                first.append(reject)
            spool.write(json.dumps(reject, ensure_ascii=False).encode() + b"\n")
        if first:
            spool.seek(0)
            s3.put_object(Bucket=bucket, Key=key, ContentType="application/x-ndjson", Body=spool)
    return first


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    summary = summarize(
        event,
        s3_client(),
        os.environ["DATA_BUCKET"],
        os.environ.get("RESULTS_PREFIX", "results/"),
        os.environ.get("REJECTS_PREFIX", "rejects/"),
    )
    logger.info(
        "file summarized",
        extra={k: v for k, v in summary.items() if k not in {"rejects_sample", "failed_batches_sample"}},
    )
    return summary
