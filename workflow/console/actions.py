"""Redrive, Replay and Stop, offered only where AWS allows them (see executions.actions_for)."""

from __future__ import annotations

import uuid
from typing import Any

from workflow.console.executions import actions_for
from workflow.console.reader import Reader
from workflow.twin.tracking import replay_input


class ActionRefused(Exception):
    """The action is not allowed for this execution now (the API answers 409 with the reason)."""


class Actions:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def run(self, arn: str, action: str) -> dict[str, Any]:
        described = self.reader.describe(arn, fresh=True)
        allowed = actions_for(described)
        if action not in ("redrive", "replay", "stop"):
            raise ActionRefused(f"unknown action {action!r}")
        if not allowed[action]:
            reason = allowed.get("redrive_reason") if action == "redrive" else None
            raise ActionRefused(
                f"{action} is not allowed for a {described['status']} execution"
                + (f": {reason}" if reason else "")
            )
        sfn = self.reader.sfn
        self.reader.forget(arn)
        if action == "redrive":
            redriven = sfn.redrive_execution(executionArn=arn)
            return {"action": action, "executionArn": arn, "redriveDate": redriven.get("redriveDate")}
        if action == "stop":
            stopped = sfn.stop_execution(
                executionArn=arn, error="Console.Stopped", cause="stopped from the console"
            )
            return {"action": action, "executionArn": arn, "stopDate": stopped.get("stopDate")}
        started = sfn.start_execution(
            stateMachineArn=described["stateMachineArn"],
            name=str(uuid.uuid4()),
            input=replay_input(described.get("input")),
        )
        return {"action": action, "executionArn": started["executionArn"], "replayOf": arn}
