"""Commands on a running pipeline (twin or deployed stack): drop a file, list, describe, redrive, replay."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from workflow.cli.common import (
    EndpointOpt,
    FileArg,
    JsonOpt,
    KeyOpt,
    StackOpt,
    TimeoutOpt,
    WaitOpt,
    api_error,
    err,
    fail,
    out,
    pairs,
    print_result,
    target_for,
    wait_and_report,
)
from workflow.config import PipelineConfig

if TYPE_CHECKING:
    from workflow.twin.remote import Target

CSV_SUFFIX = ".csv"  # the stack's EventBridge rule (and the twin's) match keys ending so, case-sensitive


def key_refusal(key: str, incoming_prefix: str) -> str | None:
    """Why the pipeline would never process an object under `key` (None when it would).

    Only Object Created events for keys under the incoming prefix ending in .csv start an execution, so
    anything else is refused before the upload instead of waiting for an execution that never comes.
    """
    if not key.startswith(incoming_prefix):
        return (
            f"the key {key!r} does not start with {incoming_prefix!r}: only keys under it start the pipeline"
        )
    if not key.endswith(CSV_SUFFIX):
        return f"the key {key!r} does not end with {CSV_SUFFIX!r}: only CSV files start the pipeline"
    return None


def refuse_unprocessed(path: Path, key: str | None, incoming_prefix: str) -> None:
    refusal = key_refusal(key or incoming_prefix + path.name, incoming_prefix)
    if refusal is not None:
        raise fail(f"refused: {refusal} (--key sets another key)")


def drop(
    path: FileArg,
    key: KeyOpt = None,
    wait: WaitOpt = False,
    stack: StackOpt = None,
    bucket: Annotated[str | None, typer.Option("--bucket", help="a real bucket (no --wait)")] = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 900.0,
) -> None:
    """Upload a CSV to the pipeline's bucket (the twin by default); --wait follows its execution."""
    if stack is None:  # refused before reaching anything; a stack's prefix is in its outputs
        refuse_unprocessed(path, key, PipelineConfig().incoming_prefix)
    target = target_for(stack, endpoint_url, bucket)
    refuse_unprocessed(path, key, target.incoming_prefix)
    started = time.monotonic()
    try:
        object_key, since = target.drop(path, key)
    except Exception as exc:
        raise fail(f"upload failed: {exc}") from exc
    if not wait:
        if as_json:
            print(json.dumps({"bucket": target.bucket, "key": object_key}))
        else:
            out.print(f"dropped s3://{target.bucket}/{object_key}")
        return
    try:
        arn = target.execution_for_key(object_key, since)
    except (TimeoutError, LookupError) as exc:
        raise fail(str(exc)) from exc
    if not as_json:
        err.print(f"execution {arn}")
    wait_and_report(target, arn, started, timeout, as_json)


# ListExecutions' statusFilter values (Step Functions API reference, ListExecutions).
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def executions(
    status: Annotated[
        str | None, typer.Option("--status", help="only this status: " + ", ".join(STATUSES))
    ] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="only files whose key contains this text (data_bad, .csv)")
    ] = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", help="at most this many executions, newest first")] = 50,
) -> None:
    """List the pipeline's executions, newest first: file, status, start, duration and row counts."""
    if status is not None and status.upper() not in STATUSES:
        raise fail(f"--status {status!r} is not a status: use one of {', '.join(STATUSES)}")
    if not 1 <= limit <= 1000:
        raise fail(f"--limit must be between 1 and 1000 (got {limit})")
    target = target_for(stack, endpoint_url)
    try:
        rows = list_rows(target, status.upper() if status else None, file, limit)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        print(json.dumps(rows, default=lambda value: value.isoformat()))
        return
    table = Table("name", "file", "status", "started", "duration", "written", "rejected", "failed")
    for row in rows:
        colour = {"SUCCEEDED": "green", "RUNNING": "blue"}.get(row["status"], "red")
        table.add_row(
            row["name"],
            row["file"] or "",
            f"[{colour}]{row['status']}[/]",
            row["started"].astimezone().strftime("%Y-%m-%d %H:%M:%S") if row["started"] else "",
            "" if row["duration_s"] is None else f"{row['duration_s']:.1f} s",
            *(
                "-" if row[k] is None else str(row[k])
                for k in ("rows_written", "rows_rejected", "rows_failed")
            ),
        )
    out.print(table)
    if not rows:
        err.print("no executions" + (" match" if status or file else " yet (drop a file: etl drop FILE)"))


def list_rows(target: Any, status: str | None, file: str | None, limit: int) -> list[dict[str, Any]]:
    """One flat row per execution (newest first) with the file key and the summary's row counts."""
    from workflow.twin import tracking

    sfn = target.client("stepfunctions")
    kwargs: dict[str, Any] = {"stateMachineArn": target.require_state_machine(), "maxResults": limit}
    if status:
        kwargs["statusFilter"] = status
    rows: list[dict[str, Any]] = []
    while len(rows) < limit:
        page = sfn.list_executions(**kwargs)
        with ThreadPoolExecutor(max_workers=8) as pool:  # one DescribeExecution per row: in parallel
            described_all = list(
                pool.map(
                    lambda item: sfn.describe_execution(executionArn=item["executionArn"]), page["executions"]
                )
            )
        for item, described in zip(page["executions"], described_all, strict=True):
            key = _file_key(described)
            if file and (key is None or file not in key):
                continue
            summary = tracking.file_summary(described) or {}
            start, stop = item.get("startDate"), item.get("stopDate")
            rows.append(
                {
                    "name": item["name"],
                    "file": key,
                    "status": item["status"],
                    "started": start,
                    "stopped": stop,
                    "duration_s": round((stop - start).total_seconds(), 3) if start and stop else None,
                    "rows_total": summary.get("rows_total"),
                    "rows_written": summary.get("rows_written"),
                    "rows_rejected": summary.get("rows_rejected"),
                    "rows_failed": summary.get("rows_failed"),
                    "redrive_count": item.get("redriveCount", 0),
                    "execution_arn": item["executionArn"],
                }
            )
            if len(rows) >= limit:
                break
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return rows


def _file_key(described: dict[str, Any]) -> str | None:
    """The S3 key of the upload that started the execution (its "Object Created" event input)."""
    try:
        return str(json.loads(described.get("input") or "{}")["detail"]["object"]["key"])
    except (ValueError, KeyError, TypeError):
        return None


def describe(
    execution: Annotated[str, typer.Argument(help="execution ARN or name")],
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one execution: its file, the counts, where it failed and why, and the next command."""
    from workflow.twin import tracking

    target = target_for(stack, endpoint_url)
    sfn = target.client("stepfunctions")
    try:
        described: dict[str, Any] = dict(sfn.describe_execution(executionArn=target.execution_arn(execution)))
    except Exception as exc:
        raise fail(api_error(exc, execution)) from exc
    described.pop("ResponseMetadata", None)
    start = described.get("startDate")
    stop = described.get("stopDate")
    duration = (stop - start).total_seconds() if start and stop else 0.0
    result = None
    if described["status"] != "RUNNING":
        result = tracking.run_result(described, duration, target.summarize_failure)
    if as_json:
        print(json.dumps({**described, "result": result}, default=str))
        return
    table = pairs()
    for field in (
        "name",
        "status",
        "startDate",
        "stopDate",
        "redriveCount",
        "redriveStatus",
        "error",
        "executionArn",
    ):
        if described.get(field) is not None:
            table.add_row(field, str(described[field]))
    out.print(table)
    if result is not None:
        print_result(result, False)


# What redrive and replay do to an execution: (the execution to follow, the JSON to print, the line to print).
Rerun = Callable[["Target", str], tuple[str, dict[str, str], str]]


def _redrive(target: Target, execution: str) -> tuple[str, dict[str, str], str]:
    arn = target.execution_arn(execution)
    response = target.client("stepfunctions").redrive_execution(executionArn=arn)
    return arn, {"executionArn": arn, "redriveDate": str(response.get("redriveDate"))}, f"redriven {arn}"


def _replay(target: Target, execution: str) -> tuple[str, dict[str, str], str]:
    arn = target.replay(execution)
    return arn, {"executionArn": arn}, f"started {arn}"


def _rerun_command(rerun: Rerun, doc: str) -> Callable[..., None]:
    """The `etl redrive` / `etl replay` command: one execution's rerun, then (`--wait`) its summary."""

    def command(
        execution: Annotated[str, typer.Argument(help="execution ARN or name")],
        wait: WaitOpt = False,
        stack: StackOpt = None,
        endpoint_url: EndpointOpt = None,
        as_json: JsonOpt = False,
        timeout: TimeoutOpt = 900.0,
    ) -> None:
        target = target_for(stack, endpoint_url)
        started = time.monotonic()
        try:
            arn, as_object, line = rerun(target, execution)
        except Exception as exc:
            raise fail(api_error(exc, execution)) from exc
        if not wait:
            print(json.dumps(as_object) if as_json else line)
            return
        wait_and_report(target, arn, started, timeout, as_json)

    command.__doc__ = doc
    return command


redrive = _rerun_command(
    _redrive, "Redrive a failed execution from where it failed (its unsuccessful Map items run again)."
)
replay = _rerun_command(_replay, "Start a new execution with the same input (the same file event).")
