"""`etl cost EXECUTION`: what one execution costs on AWS, and what a million-row file would cost."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from workflow.cli.common import EndpointOpt, JsonOpt, StackOpt, api_error, fail, out, target_for
from workflow.cost import billing, collect, deployment, meter, projection, report
from workflow.cost.prices import CHECKED, REGION


def _usd(value: float) -> str:
    """Dollars readable at any size: small amounts in scientific notation, others to 4 decimals."""
    if value == 0:
        return "$0"
    return f"${value:.2e}" if abs(value) < 0.001 else f"${value:,.4f}"


def _units(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}"


def cost(
    execution: Annotated[str, typer.Argument(help="execution ARN or name")],
    stack: StackOpt = None,
    endpoint_url: EndpointOpt = None,
    as_json: JsonOpt = False,
    rows: Annotated[
        int, typer.Option("--rows", help="project to a file of this many rows", min=1)
    ] = 1_000_000,
    writer: Annotated[
        str,
        typer.Option(
            "--writer",
            help="the writer's DynamoDB pattern: insert (PartiQL INSERTs, today's), conditional-put or"
            " read-then-write",
        ),
    ] = "insert",
    ledger: Annotated[
        bool, typer.Option("--ledger/--no-ledger", help="count the ledger table's records")
    ] = True,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="the state machine's log level (default: as it ran)")
    ] = None,
    log_data: Annotated[
        bool | None, typer.Option("--log-data/--no-log-data", help="logs include execution data (as it ran)")
    ] = None,
    tracing: Annotated[
        bool | None, typer.Option("--tracing/--no-tracing", help="X-Ray tracing (default: as it ran)")
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="exit 1 when the projection misses a target")
    ] = False,
    durations: Annotated[
        str,
        typer.Option(
            "--durations",
            help="Lambda times: measured (from the history) or modelled (workflow/cost/assumptions.py)",
        ),
    ] = "measured",
    sample: Annotated[
        int | None,
        typer.Option(
            "--sample", min=1, help="read at most N children's histories per Map Run and scale them"
        ),
    ] = None,
) -> None:
    """Count an execution's billed units (Step Functions API only), price them, scale to a million rows."""
    chosen: dict[str, Any] = {
        "writer": writer,
        "ledger": ledger,
        "log_level": log_level,
        "log_data": log_data,
        "tracing": tracing,
    }
    try:
        settings = deployment.settings_for(None, **chosen)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if durations not in ("measured", "modelled"):
        raise fail(f"--durations must be measured or modelled, not {durations!r}")
    target = target_for(stack, endpoint_url)
    try:
        recorded = collect.record(target.client("stepfunctions"), target.execution_arn(execution), sample)
    except Exception as exc:
        raise fail(api_error(exc, execution)) from exc
    settings = deployment.settings_for(recorded, **chosen)  # logging and tracing as the execution ran
    counts = meter.count(recorded, settings)
    if durations == "modelled":
        counts = projection.with_modelled_durations(counts)
    measured = report.price_lines(billing.lines(counts, settings), counts.rows)
    projected = None
    if counts.rows and counts.batches:
        scaled = projection.project(counts, rows, settings)
        if durations == "modelled":
            scaled = projection.with_modelled_durations(scaled)
        projected = report.price_lines(billing.lines(scaled, settings), scaled.rows)
    if as_json:
        doc: dict[str, Any] = {
            "execution_arn": recorded.arn,
            "status": recorded.description.get("status"),
            "settings": {
                "writer": writer,
                "ledger": ledger,
                "log_level": settings.log_level.upper(),
                "log_data": settings.log_data,
                "tracing": settings.tracing,
                "architecture": settings.architecture,
                "durations": durations,
            },
            "counts": counts.as_dict(),
            "measured": measured.as_dict(),
            "projected": projected.as_dict() if projected else None,
            "rows_per_batch": projection.rows_per_batch(counts, settings.config),
            "sampled_children": sum(len(run.children) for run in recorded.map_runs),
        }
        print(json.dumps(doc, default=str))
    else:
        _print(recorded, measured, projected, rows)
        if target.endpoint_url and durations == "measured":
            out.print(
                "Lambda durations come from the twin's history (moto, a shared CPU): they are the twin's, not"
                " AWS's; --durations modelled uses the AWS durations of workflow/cost/assumptions.py."
            )
    if check and (projected is None or not (projected.meets_all_in and projected.meets_not_writes)):
        raise typer.Exit(1)


def _print(
    recorded: meter.RecordedExecution,
    measured: report.CostReport,
    projected: report.CostReport | None,
    rows: int,
) -> None:
    title = f"{recorded.arn} ({recorded.description.get('status')}, {measured.rows:,} rows)"
    table = Table(title=f"AWS cost of {title}; prices {REGION}, checked {CHECKED}")
    table.add_column("billed line")
    table.add_column("units", justify="right")
    table.add_column("unit price", justify="right")
    table.add_column("cost", justify="right")
    table.add_column("per M rows", justify="right")
    table.add_column(f"units, {rows:,}-row file", justify="right")
    table.add_column(f"per M rows, {rows:,}-row file", justify="right")
    scaled = list(projected.lines) if projected else [None] * len(measured.lines)
    for line, big in zip(measured.lines, scaled, strict=True):
        label = line.line.label + (" (estimate)" if line.line.estimate else "")
        table.add_row(
            label,
            _units(line.line.quantity),
            f"${line.unit_usd:.6g}",
            _usd(line.usd),
            _usd(line.usd_per_million_rows),
            _units(big.line.quantity) if big else "-",
            _usd(big.usd_per_million_rows) if big else "-",
        )
    table.add_section()
    for name, attr in (("DynamoDB writes", "writes"), ("everything else", "not_writes"), ("total", "total")):
        mine = getattr(measured, attr)
        theirs = getattr(projected, attr) if projected else None
        table.add_row(
            f"[bold]{name}[/]",
            "",
            "",
            _usd(mine),
            _usd(measured.per_million(mine)),
            "",
            _usd(projected.per_million(theirs)) if projected and theirs is not None else "-",
        )
    out.print(table)
    for run in recorded.map_runs:
        if run.total_children:
            out.print(
                f"read {len(run.children):,} of {run.total_children:,} children's histories; counts scaled"
            )
    if projected is None:
        out.print("no batch of rows ran: nothing to project to a million rows")
        return
    for verdict in projected.verdicts():
        colour = "green" if verdict.startswith("meets") else "red"
        out.print(f"[{colour}]{rows:,}-row file: {verdict}[/]")
    out.print(
        "Per M rows of this run is its own cost scaled linearly (a small file pays its fixed costs);"
        " the targets are checked on the projected file."
        " (estimate) lines are modelled, not read from the API."
    )
