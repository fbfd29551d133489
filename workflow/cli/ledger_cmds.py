"""Commands on the per-file ledger (docs/architecture.md, Ledger): `etl files`, `etl file KEY`, `etl rejects`.

The ledger says, per object version, what happened to every row of the file: written, duplicate, rejected,
conflict or failed, which executions processed it, why a run failed and what to do next. `etl file --verify`
checks those counts against what the messages table holds.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from workflow.cli.common import EndpointOpt, JsonOpt, StackOpt, err, fail, out, pairs, target_for
from workflow.twin.tracking import ROW_COUNTS

if TYPE_CHECKING:
    from workflow.twin.remote import Target

COUNTS = ROW_COUNTS
SHOWN = (*COUNTS, "rows_dead_lettered")  # rows whose message is in the DLQ: failed until redriven
PARTS = COUNTS[1:]


def _file_uri(target: Target, key: str) -> str:
    """s3://bucket/key from a key (or an s3:// URI, kept as it is)."""
    return key if key.startswith("s3://") else f"s3://{target.bucket}/{key}"


def _objects(target: Target, file: str | None = None) -> list[dict[str, Any]]:
    try:
        objects = target.ledger_objects(file)
    except Exception as exc:
        raise fail(f"cannot read the ledger: {type(exc).__name__}: {exc}") from exc
    if objects is None:
        raise fail(f"{target.description} has no ledger table; `etl executions` lists what ran")
    return objects


def balanced(obj: dict[str, Any]) -> bool:
    """The ledger's invariant: total = written + duplicate + rejected + conflict + failed."""
    if obj.get("rows_total") is None:
        return obj.get("status") == "RUNNING"
    return int(obj["rows_total"]) == sum(int(obj.get(name) or 0) for name in PARTS)


def files(
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """List the files the pipeline has seen (the ledger), newest upload first, with their row counts."""
    target = target_for(stack, endpoint_url)
    objects = _objects(target)[:limit]
    if as_json:
        print(json.dumps(objects, default=str))
        return
    counts = ("total", "written", "dup", "rejected", "conflict", "failed", "dlq")
    table = Table("uploaded", "file", "status", *counts, "runs")
    for obj in objects:
        colour = (
            "green"
            if obj.get("status") == "SUCCEEDED"
            else "yellow"
            if obj.get("status") == "RUNNING"
            else "red"
        )
        table.add_row(
            str(obj.get("uploaded_at") or ""),
            str(obj.get("file")),
            f"[{colour}]{obj.get('status')}[/] {obj.get('outcome') or ''}",
            *(str(obj.get(name, "")) for name in SHOWN),
            str(len(obj.get("executions") or [])),
        )
    out.print(table)


def _verify(target: Target, file: str, batches: list[dict[str, Any]]) -> dict[str, Any]:
    """Scan the messages table for the file's items and compare, per execution, with the batch records."""
    from workflow.twin.tracking import _items

    dynamodb = target.client("dynamodb")
    held: dict[str, int] = {}
    kwargs: dict[str, Any] = {
        "TableName": target.table,
        "FilterExpression": "source_file = :f",
        "ExpressionAttributeValues": {":f": {"S": file}},
        "ProjectionExpression": "execution",
    }
    while True:
        page = dynamodb.scan(**kwargs)
        for item in _items(page.get("Items", [])):
            held[str(item.get("execution"))] = held.get(str(item.get("execution")), 0) + 1
        if not page.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    recorded: dict[str, int] = {}
    for batch in batches:
        name = str(batch.get("execution"))
        recorded[name] = recorded.get(name, 0) + int(batch.get("written") or 0)
    names = sorted(set(held) | {n for n, c in recorded.items() if c})
    rows = [{"execution": n, "held": held.get(n, 0), "written": recorded.get(n, 0)} for n in names]
    return {
        "ok": all(r["held"] == r["written"] for r in rows),
        "executions": rows,
        "held": sum(held.values()),
    }


def file(
    key: Annotated[str, typer.Argument(help="object key (incoming/x.csv) or s3://bucket/key")],
    verify: Annotated[bool, typer.Option("--verify", help="check the counts against the table")] = False,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One file: its versions, executions, counts, failed batches, rejects, warnings and the next step."""
    from workflow.twin import tracking

    target = target_for(stack, endpoint_url)
    uri = _file_uri(target, key)
    try:
        items = tracking.ledger_query(target.client("dynamodb"), target.ledger_table, uri)
    except Exception as exc:
        raise fail(f"cannot read the ledger: {type(exc).__name__}: {exc}") from exc
    if items is None:
        raise fail(f"{target.description} has no ledger table")
    objects = sorted(
        (i for i in items if str(i.get("sk", "")).startswith("OBJECT#")),
        key=lambda o: str(o.get("uploaded_at") or ""),
        reverse=True,
    )
    if not objects:
        raise fail(f"the ledger has no record of {uri}", code=1)
    batches = [i for i in items if str(i.get("sk", "")).startswith("BATCH#")]
    report: dict[str, Any] = {"file": uri, "versions": objects}
    problems = [f"{o['etag']}: counts do not add up" for o in objects if not balanced(o)]
    if verify:
        report["verify"] = check = _verify(target, uri, batches)
        if not check["ok"]:
            problems.append("the table does not hold what the batch records say was written")
        held = {row["execution"]: row["held"] for row in check["executions"]}
        latest = objects[0]
        runs = latest.get("executions") or []
        name = str(runs[-1].get("execution_arn", "")).rsplit(":", 1)[-1] if runs else ""
        if latest.get("status") != "RUNNING" and int(latest.get("rows_written") or 0) != held.get(name, 0):
            check["ok"] = False
            problems.append(
                f"the ledger says {latest.get('rows_written')} rows written by {name}, "
                f"the table holds {held.get(name, 0)}"
            )
    report["ok"] = not problems
    if as_json:
        print(json.dumps(report, default=str))
    else:
        for obj in objects:
            _print_object(obj)
        if verify:
            check = report["verify"]
            table = Table(
                "execution", "items held", "written (ledger)", title="verify: the table against the ledger"
            )
            for row in check["executions"]:
                same = row["held"] == row["written"]
                table.add_row(
                    row["execution"], str(row["held"]), f"[{'green' if same else 'red'}]{row['written']}[/]"
                )
            out.print(table)
        for problem in problems:
            err.print(f"[red]problem:[/] {problem}")
    if problems:
        raise typer.Exit(1)


def _print_object(obj: dict[str, Any]) -> None:
    table = pairs()
    for name in (
        "file",
        "etag",
        "version_id",
        "size",
        "uploaded_at",
        "updated_at",
        "status",
        "outcome",
        *SHOWN,
    ):
        if obj.get(name) is not None:
            table.add_row(name.replace("_", " "), str(obj[name]))
    if obj.get("error"):
        table.add_row("error", f"{obj['error'].get('Error')}: {str(obj['error'].get('Cause') or '')[:300]}")
    for origin, count in (obj.get("duplicates_of") or {}).items():
        table.add_row("already stored", f"{count} rows from {origin}")
    if obj.get("rejects_location"):
        table.add_row("rejects", str(obj["rejects_location"]))
    for warning in obj.get("warnings") or []:
        table.add_row("[yellow]warning[/]", str(warning))
    out.print(table)
    runs = Table("kind", "status", "started", "stopped", "execution", title="executions")
    for entry in obj.get("executions") or []:
        runs.add_row(
            str(entry.get("kind")),
            str(entry.get("status")),
            str(entry.get("started_at") or ""),
            str(entry.get("stopped_at") or ""),
            str(entry.get("execution_arn", "")).rsplit(":", 1)[-1],
        )
    out.print(runs)
    failed = obj.get("failed_batches") or []
    if failed:
        table = Table("rows", "error", "cause", title="failed batches")
        for batch in failed:
            table.add_row(
                f"{batch.get('first_row')}-{batch.get('last_row')}",
                str(batch.get("error")),
                str(batch.get("cause") or "")[:300],
            )
        out.print(table)
    if obj.get("next_step"):
        out.print(f"[bold]next:[/] {obj['next_step']}")


def _rejects_location(target: Target, what: str) -> str | None:
    """The rejects file of a key's latest version, or of an execution's file."""
    if "/" in what and not what.startswith("arn:"):
        uri = _file_uri(target, what)
    else:
        described = target.client("stepfunctions").describe_execution(executionArn=target.execution_arn(what))
        detail = json.loads(described.get("input") or "{}").get("detail", {})
        uri = f"s3://{detail['bucket']['name']}/{detail['object']['key']}"
    objects = target.ledger_objects(uri) or []
    for obj in objects:
        if obj.get("rejects_location"):
            return str(obj["rejects_location"])
    return None


def rejects(
    what: Annotated[
        str, typer.Argument(help="object key (incoming/x.csv), s3://bucket/key, or an execution")
    ],
    out_file: Annotated[Path | None, typer.Option("--out", help="save the CSV here")] = None,
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print or save a file's rejected rows: the original columns plus row, field and reason, ready to fix."""
    target = target_for(stack, endpoint_url)
    try:
        location = _rejects_location(target, what)
    except Exception as exc:
        raise fail(f"{type(exc).__name__}: {exc}") from exc
    if location is None:
        if as_json:
            print(json.dumps({"rejects_location": None, "rows": []}))
        else:
            out.print("no rejected rows")
        return
    bucket, _, key = location.removeprefix("s3://").partition("/")
    try:
        text = target.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    except Exception as exc:
        raise fail(f"cannot read {location}: {type(exc).__name__}: {exc}") from exc
    if out_file is not None:
        out_file.write_text(text, encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    if as_json:
        print(
            json.dumps(
                {"rejects_location": location, "rows": rows, "saved_to": str(out_file) if out_file else None}
            )
        )
        return
    if out_file is not None:
        out.print(f"{len(rows)} rejected rows saved to {out_file} (from {location})")
        return
    table = Table("row", "field", "reason", title=f"{len(rows)} rejected rows ({location})")
    for row in rows:
        table.add_row(row.get("row", ""), row.get("field", ""), row.get("reason", ""))
    out.print(table)
