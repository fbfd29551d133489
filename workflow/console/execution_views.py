"""One execution's graph (definition + each state's status), table rows, state details and event pages.

A Distributed Map's item processor runs in child executions, not in this history: its states are coloured
from one child (the `child` asked for, else the first failed one, else the newest), which the page names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflow.console import dataflow, graph
from workflow.console.logs import function_name
from workflow.console.reader import Reader
from workflow.console.trace import STATUSES, Trace, details_of, parse_json, steps, visit_detail

HISTORY_PAGE = 100
MAX_FILTER_SCAN = 5_000


def representative_child(reader: Reader, map_run_arn: str) -> dict[str, Any] | None:
    """The child shown inside the Map: the first failed, else the first running, else the newest."""
    for status in ("FAILED", "TIMED_OUT", "RUNNING", None):
        kwargs: dict[str, Any] = {"mapRunArn": map_run_arn, "maxResults": 1}
        if status:
            kwargs["statusFilter"] = status
        found = reader.sfn.list_executions(**kwargs).get("executions", [])
        if found:
            return dict(found[0])
    return None


class ExecutionViews:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def _child_for(self, node: str, trace: Trace, child: str | None) -> str | None:
        """The child execution ARN whose history holds the Map `node`'s inner states (described fresh
        enough: its ListExecutions item refreshes a stale cached copy)."""
        if child:
            return child
        name = node.split("/")[0]
        # a redriven Map is entered again without a new MapRunStarted: its run is the earlier visit's
        runs = [v.map_run_arn for v in trace.visits if v.name == name and v.map_run_arn]
        if not runs:
            return None
        found = representative_child(self.reader, runs[-1])
        if not found:
            return None
        self.reader.describe(found["executionArn"], fresh=found["status"] == "RUNNING", listed=found)
        return str(found["executionArn"])

    def graph(self, arn: str, child: str | None = None) -> dict[str, Any]:
        described = self.reader.describe(arn, fresh=True)
        trace = self.reader.trace(arn, described)
        definition = self.reader.definition(arn)["definition"]
        elements = graph.elements(definition)
        ids_by_name = {e["data"]["name"]: e["data"]["id"] for e in elements if "name" in e["data"]}
        status: dict[str, str] = {}
        retries: dict[str, int] = {}
        for visit in trace.visits:
            node = ids_by_name.get(visit.name, visit.name)
            status[node] = visit.status(trace.status)
            retries[node] = retries.get(node, 0) + visit.retries
        shown_child = None
        maps = {e["data"]["child_of"] for e in elements if e["data"].get("child_of")}
        for map_node in sorted(maps):
            child_arn = self._child_for(map_node, trace, child)
            if not child_arn:
                continue
            child_described = self.reader.describe(child_arn)
            child_trace = self.reader.trace(child_arn, child_described)
            for visit in child_trace.visits:
                node = f"{map_node}/{visit.name}"
                status[node] = visit.status(child_trace.status)
                retries[node] = retries.get(node, 0) + visit.retries
            shown_child = {
                "map": map_node,
                "executionArn": child_arn,
                "name": child_described["name"],
                "status": child_described["status"],
            }
        for element in elements:
            data = element["data"]
            if "source" in data:
                continue
            if data["id"] == graph.START:
                data["status"] = "succeeded"
            elif data["id"] == graph.END:
                data["status"] = "succeeded" if trace.status == "SUCCEEDED" else "not_run"
            elif "name" in data:
                data["status"] = status.get(data["id"], "not_run")
                data["retries"] = retries.get(data["id"], 0)
        return {
            "executionArn": arn,
            "status": trace.status,
            "elements": elements,
            "child": shown_child,
            "steps": steps(trace, now=datetime.now(UTC)),
            "legend": list(STATUSES),
        }

    def state(self, arn: str, node: str, child: str | None = None, visit_index: int = -1) -> dict[str, Any]:
        """Details of one state (node id as in the graph, or a plain state name)."""
        definition = self.reader.definition(arn)["definition"]
        paths = graph.state_paths(definition)
        if node not in paths:  # a plain name: find its node id
            matches = [p for p in paths if p.split("/")[-1] == node]
            if not matches:
                raise LookupError(f"no state {node!r} in this state machine")
            node = matches[0]
        elements = {
            e["data"]["id"]: e["data"] for e in graph.elements(definition) if "source" not in e["data"]
        }
        run_arn = arn
        parent_trace = self.reader.trace(arn)
        map_node = elements.get(node, {}).get("child_of")
        if map_node:
            found = self._child_for(map_node, parent_trace, child)
            if not found:
                return {"name": node.split("/")[-1], "node": node, "status": "not_run", "visits": 0}
            run_arn = found
        described = self.reader.describe(run_arn)
        trace = parent_trace if run_arn == arn else self.reader.trace(run_arn, described)
        name = node.split("/")[-1]
        visits = [v for v in trace.visits if v.name == name]
        state_def = paths[node]
        base = {
            "node": node,
            "execution_arn": run_arn,
            "definition": graph.io_fields(state_def),
            "query_language": state_def.get("QueryLanguage") or definition.get("QueryLanguage", "JSONPath"),
            "visits": len(visits),
        }
        if not visits:
            return {"name": name, "type": state_def.get("Type"), "status": "not_run", **base}
        visit = visits[visit_index] if -len(visits) <= visit_index < len(visits) else visits[-1]
        detail = visit_detail(visit, trace.status)
        detail.update(base)
        detail["logs"] = self._logs(visit, detail)
        detail["dataflow"] = dataflow.steps(state_def, detail)
        return detail

    def _logs(self, visit: Any, detail: dict[str, Any]) -> list[dict[str, Any]]:
        """Per attempt of a lambda:invoke task: the function's log lines for that invocation."""
        if not (visit.resource or "").startswith("lambda:"):
            return []
        params = parse_json(visit.parameters)
        function = function_name(params.get("FunctionName") if isinstance(params, dict) else None)
        if not function:
            return []
        out = []
        for attempt in visit.attempts:
            lines = self.reader.src.logs.lines(function, attempt.request_id, attempt.start, attempt.end)
            out.append(
                {
                    "attempt": attempt.number,
                    "function": function,
                    "request_id": attempt.request_id,
                    "matched_by": "request id" if attempt.request_id else "time window",
                    "lines": lines,
                }
            )
        return out

    def history(
        self, arn: str, token: str | None = None, type_filter: str | None = None, state: str | None = None
    ) -> dict[str, Any]:
        """A page of events (GetExecutionHistory's paging); filters scan forward up to MAX_FILTER_SCAN."""
        out: list[dict[str, Any]] = []
        scanned = 0
        names: dict[int, str] = {}
        while True:
            kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": HISTORY_PAGE}
            if token:
                kwargs["nextToken"] = token
            page = self.reader.sfn.get_execution_history(**kwargs)
            for event in page.get("events", []):
                scanned += 1
                details = details_of(event)
                name = details.get("name") or names.get(int(event.get("previousEventId") or 0), "")
                names[int(event["id"])] = name
                if type_filter and type_filter.lower() not in event["type"].lower():
                    continue
                if state and state != name:
                    continue
                out.append({**event, "state": name})
            token = page.get("nextToken")
            if not token or len(out) >= HISTORY_PAGE or scanned >= MAX_FILTER_SCAN:
                break
            if not (type_filter or state):
                break
        return {"events": out, "next": token}
