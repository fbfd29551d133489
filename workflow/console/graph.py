"""A state machine definition as graph elements (cytoscape.js's format), drawn as the AWS console draws it.

Each state is a node; a Map is a compound node holding its item processor's states, a Parallel a compound node
holding one compound node per branch (side by side); edges are `Next`, each Choice rule (labelled with its
condition), `Default` and each `Catch` (dashed). The layout itself is the browser's (dagre), not ours.
"""

from __future__ import annotations

from typing import Any

START, END = "__start__", "__end__"
_OPERATORS = (
    "StringEquals",
    "NumericEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "BooleanEquals",
    "StringMatches",
    "IsPresent",
    "IsNull",
)


def condition_label(rule: dict[str, Any]) -> str:
    """A short text for a Choice rule: `$.valid > 0`, a JSONata condition, or And/Or/Not."""
    if "Condition" in rule:
        return str(rule["Condition"])[:40]
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f"{combinator}({len(rule[combinator])})"
    if "Not" in rule:
        return "Not(" + condition_label(rule["Not"]) + ")"
    variable = str(rule.get("Variable", ""))
    symbols = {
        "Equals": "==",
        "GreaterThan": ">",
        "GreaterThanEquals": ">=",
        "LessThan": "<",
        "LessThanEquals": "<=",
    }
    for key, value in rule.items():
        if key in ("Variable", "Next", "Assign", "Comment"):
            continue
        name = key[:-4] if key.endswith("Path") else key
        for suffix, symbol in symbols.items():
            if name.endswith(suffix) and not name.startswith("Is"):
                return f"{variable} {symbol} {value}"[:40]
        return f"{variable} {key} {value}"[:40]
    return variable[:40]


def elements(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Nodes and edges of a whole definition, with Start and End as AWS shows them."""
    out: list[dict[str, Any]] = [
        {"data": {"id": START, "label": "Start", "type": "Start"}, "classes": "terminal"},
        {"data": {"id": END, "label": "End", "type": "End"}, "classes": "terminal"},
    ]
    _scope(definition, None, "", out, END)
    start = definition.get("StartAt")
    if start:
        out.append(_edge(START, start, "", "next"))
    out.extend(_layout_edges(out))
    return out


def _layout_edges(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Invisible edges that make the layout rank a compound state's contents between its neighbours.

    dagre ranks nodes by edges between leaves; an edge to or from a compound node (a Map, a Parallel) does
    not order its contents, so the state after a Map would be drawn beside it. For each edge into a compound
    we add one to each of its start states, and for each edge out of it one from each of its end states.
    """
    nodes = {e["data"]["id"]: e for e in found if "source" not in e["data"]}
    edges = [e for e in found if "source" in e["data"]]
    children: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        parent = node["data"].get("parent")
        if parent:
            children.setdefault(parent, []).append(node_id)

    def leaves(compound: str, entry: bool) -> list[str]:
        """Start states (entry) or end states of a compound, descending into nested compounds."""
        inside = set(children.get(compound, []))
        linked = {
            e["data"]["target"] if entry else e["data"]["source"]
            for e in edges
            if e["data"]["source"] in inside and e["data"]["target"] in inside
        }
        out: list[str] = []
        for node in children.get(compound, []):
            if node not in linked:
                out.extend(leaves(node, entry) if node in children else [node])
        return out

    extra = []
    for edge in edges:
        source, target = edge["data"]["source"], edge["data"]["target"]
        if source in children or target in children:
            for s in leaves(source, False) if source in children else [source]:
                for t in leaves(target, True) if target in children else [target]:
                    extra.append(_edge(s, t, "", "layout"))
    return extra


def _edge(source: str, target: str, label: str, kind: str) -> dict[str, Any]:
    return {
        "data": {
            "id": f"{source}->{target}:{kind}:{label}",
            "source": source,
            "target": target,
            "label": label,
        },
        "classes": kind,
    }


def _scope(
    block: dict[str, Any],
    parent: str | None,
    prefix: str,
    out: list[dict[str, Any]],
    end: str,
    child_of: str | None = None,
) -> None:
    """One States block (top level, a Map's processor or a Parallel branch); `end` receives End states.
    `child_of` names the Distributed Map whose child executions run these states (not this history)."""
    states: dict[str, Any] = block.get("States") or {}
    for name, state in states.items():
        node_id = prefix + name
        kind = state.get("Type", "?")
        data: dict[str, Any] = {"id": node_id, "label": name, "type": kind, "name": name}
        if parent:
            data["parent"] = parent
        if child_of:
            data["child_of"] = child_of
        classes = ["state", kind.lower()]
        if kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
            data["label"] = f"{name}\n{'Distributed ' if mode == 'DISTRIBUTED' else ''}Map"
            classes.append("compound")
        if kind == "Parallel":
            classes.append("compound")
        out.append({"data": data, "classes": " ".join(classes)})
        if kind == "Map":
            inner = state.get("ItemProcessor") or state.get("Iterator") or {}
            distributed = (inner.get("ProcessorConfig") or {}).get("Mode") == "DISTRIBUTED"
            _scope(inner, node_id, prefix + name + "/", out, "", node_id if distributed else child_of)
        if kind == "Parallel":
            for index, branch in enumerate(state.get("Branches") or []):
                branch_id = f"{node_id}/branch{index}"
                out.append(
                    {
                        "data": {"id": branch_id, "label": f"Branch {index + 1}", "parent": node_id},
                        "classes": "branch",
                    }
                )
                _scope(branch, branch_id, branch_id + "/", out, "", child_of)
        for target, label, edge_kind in _transitions(state):
            out.append(_edge(node_id, prefix + target, label, edge_kind))
        if (state.get("End") or kind in ("Succeed", "Fail")) and end:
            out.append(_edge(node_id, end, "", "next"))


def _transitions(state: dict[str, Any]) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    if state.get("Next"):
        found.append((state["Next"], "", "next"))
    for rule in state.get("Choices") or []:
        if rule.get("Next"):
            found.append((rule["Next"], condition_label(rule), "choice"))
    if state.get("Default"):
        found.append((state["Default"], "Default", "choice"))
    for catcher in state.get("Catch") or []:
        if catcher.get("Next"):
            found.append((catcher["Next"], "Catch " + ", ".join(catcher.get("ErrorEquals", [])), "catch"))
    return found


def state_paths(definition: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every state of a definition by node id (nested ones included), for its I/O fields."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in (definition.get("States") or {}).items():
        found[prefix + name] = state
        if state.get("Type") == "Map":
            inner = state.get("ItemProcessor") or state.get("Iterator") or {}
            found.update(state_paths(inner, prefix + name + "/"))
        for index, branch in enumerate(state.get("Branches") or []):
            found.update(state_paths(branch, f"{prefix}{name}/branch{index}/"))
    return found


IO_FIELDS = (
    "InputPath",
    "Parameters",
    "Arguments",
    "ItemSelector",
    "ResultSelector",
    "ResultPath",
    "OutputPath",
    "Output",
    "Assign",
    "Resource",
    "Retry",
    "Catch",
)


def io_fields(state: dict[str, Any]) -> dict[str, Any]:
    """The data-flow fields of one state as written in the definition."""
    return {key: state[key] for key in IO_FIELDS if key in state}
