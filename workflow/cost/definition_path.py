"""The states a first upload passes through at the top level of the definition, for the designs on paper.

Follows `StartAt`, then each state's `Next`, a Choice's `Default` (the path no rule picks: a first upload,
not a replay) and stops at an End, Succeed or Fail state. Catches are not taken: they are the exceptions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflow.config import DEFINITION_PATH


def first_run_path(definition: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, state) of each top-level state on the default path, in order; a loop is cut at its repeat."""
    states: dict[str, Any] = definition.get("States") or {}
    path: list[tuple[str, dict[str, Any]]] = []
    name = definition.get("StartAt")
    while name and name in states and all(seen != name for seen, _ in path):
        state = states[name]
        path.append((name, state))
        if state.get("End") or state.get("Type") in ("Succeed", "Fail"):
            break
        name = state.get("Default") if state.get("Type") == "Choice" else state.get("Next")
    return path


def is_table_write(state: dict[str, Any]) -> bool:
    """A Task whose resource is a DynamoDB write (the optimized integration or the AWS SDK one)."""
    resource = str(state.get("Resource", "")) if state.get("Type") == "Task" else ""
    action = resource.rsplit(":", 1)[-1].split(".", 1)[0]
    return ":dynamodb:" in resource and action in ("putItem", "updateItem", "deleteItem")


def load(path: Path = DEFINITION_PATH) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))
