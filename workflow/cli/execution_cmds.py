"""Commands on a running pipeline (twin or deployed stack): drop a file, list, describe, redrive, replay."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

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
    err,
    fail,
    out,
    pairs,
    print_result,
    target_for,
    wait_and_report,
)


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
    target = target_for(stack, endpoint_url, bucket)
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


def executions(
    status: Annotated[str | None, typer.Option("--status", help="RUNNING, SUCCEEDED, FAILED, ...")] = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """List the pipeline's executions, newest first."""
    target = target_for(stack, endpoint_url)
    kwargs: dict[str, Any] = {"stateMachineArn": target.require_state_machine(), "maxResults": limit}
    if status:
        kwargs["statusFilter"] = status.upper()
    try:
        items = target.client("stepfunctions").list_executions(**kwargs)["executions"]
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if as_json:
        print(json.dumps(items, default=str))
        return
    table = Table("name", "status", "started", "stopped", "redrives")
    for item in items:
        table.add_row(
            item["name"],
            item["status"],
            str(item.get("startDate", "")),
            str(item.get("stopDate") or ""),
            str(item.get("redriveCount", 0)),
        )
    out.print(table)


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
        described = sfn.describe_execution(executionArn=target.execution_arn(execution))
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
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


def redrive(
    execution: Annotated[str, typer.Argument(help="execution ARN or name")],
    wait: WaitOpt = False,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 900.0,
) -> None:
    """Redrive a failed execution from where it failed (its unsuccessful Map items run again)."""
    target = target_for(stack, endpoint_url)
    arn = target.execution_arn(execution)
    started = time.monotonic()
    try:
        response = target.client("stepfunctions").redrive_execution(executionArn=arn)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if not wait:
        print(
            json.dumps({"executionArn": arn, "redriveDate": str(response.get("redriveDate"))})
            if as_json
            else f"redriven {arn}"
        )
        return
    wait_and_report(target, arn, started, timeout, as_json)


def replay(
    execution: Annotated[str, typer.Argument(help="execution ARN or name")],
    wait: WaitOpt = False,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    timeout: TimeoutOpt = 900.0,
) -> None:
    """Start a new execution with the same input (the same file event)."""
    target = target_for(stack, endpoint_url)
    started = time.monotonic()
    try:
        arn = target.replay(execution)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if not wait:
        print(json.dumps({"executionArn": arn}) if as_json else f"started {arn}")
        return
    wait_and_report(target, arn, started, timeout, as_json)
