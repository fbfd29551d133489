"""The console's execution view as a rich tree, for `etl trace` (the same API data the browser shows)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from rich.tree import Tree

STYLES = {
    "succeeded": "green",
    "SUCCEEDED": "bold green",
    "retried": "yellow",
    "caught": "dark_orange",
    "failed": "red",
    "FAILED": "bold red",
    "TIMED_OUT": "bold red",
    "ABORTED": "bold red",
    "running": "blue",
    "RUNNING": "bold blue",
    "not_run": "dim",
    "stopped": "magenta",
}


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def _status(text: str) -> Text:
    return Text(text.replace("_", " "), style=STYLES.get(text, ""))


def trace_tree(header: dict[str, Any], graph: dict[str, Any]) -> Group:
    """Execution line, then one branch per state visit; a Map shows its counts, failed batches and the
    states of the child shown inside it; then the cause and the next step."""
    title = Text.assemble(
        ("execution ", "bold"),
        (header["name"], "bold"),
        "  ",
        _status(header["status"]),
        f"  {header.get('duration_s') or 0:.2f} s",
        f"  {header['file'].get('key') or ''}",
        f"  redrives {header.get('redriveCount', 0)}" if header.get("redriveCount") else "",
    )
    tree = Tree(title)
    counts = header.get("counts") or {}
    if counts:
        tree.add(Text("rows: " + ", ".join(f"{k.removeprefix('rows_')} {v}" for k, v in counts.items())))
    inner = [e["data"] for e in graph["elements"] if e["data"].get("child_of")]
    for step in graph["steps"]:
        label = Text.assemble(
            (step["name"], "bold"),
            f" ({step['type']})  ",
            _status(step["status"]),
            f"  {_ms(step['duration_ms'])}",
            (f"  retries {step['retries']}", "yellow") if step["retries"] else "",
        )
        branch = tree.add(label)
        if step["type"] != "Map":
            continue
        for run in header.get("map_runs") or []:
            items, batches = run.get("itemCounts") or {}, run.get("executionCounts") or {}
            branch.add(
                Text(
                    f"map run {run.get('status')}: rows {_counts(items)}; batches {_counts(batches)}",
                    style="cyan",
                )
            )
        for batch in header.get("failed_batches") or []:
            rows = (
                f"rows {batch.get('first_row')}-{batch.get('last_row')}"
                if batch.get("first_row")
                else "rows ?"
            )
            branch.add(
                Text.assemble(
                    ("failed batch ", "red"),
                    f"{rows} ({batch.get('rows')}): ",
                    (str(batch.get("error") or ""), "bold red"),
                    f": {str(batch.get('cause') or '')[:300]}",
                )
            )
        child = graph.get("child")
        if child and inner:
            shown = branch.add(Text(f"states of child {child['name']} ({child['status']})", style="dim"))
            for data in inner:
                shown.add(Text.assemble(data["name"], "  ", _status(data.get("status", "not_run"))))
    parts: list[Any] = [tree]
    if header.get("error"):
        where = f" at {header['failing_state']}" if header.get("failing_state") else ""
        parts.append(Text.assemble(("error", "bold red"), f"{where}: {header['error']}"))
        if header.get("cause"):
            parts.append(Text(f"cause: {str(header['cause'])[:500]}"))
    if header.get("next_step"):
        parts.append(Text.assemble(("next: ", "bold"), header["next_step"]))
    return Group(*parts)


def _counts(counts: dict[str, Any]) -> str:
    keys = ("succeeded", "failed", "running", "pending", "aborted", "timedOut", "pendingRedrive", "total")
    return ", ".join(f"{k} {counts[k]}" for k in keys if counts.get(k))
