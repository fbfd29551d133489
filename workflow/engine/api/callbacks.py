"""Task token actions: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat (`.waitForTaskToken` tasks)."""

from __future__ import annotations

import json
from typing import Any

from workflow.engine.api.common import ServiceState
from workflow.engine.errors import ServiceError


class CallbackActions(ServiceState):
    def send_task_success(self, taskToken: str, output: str) -> dict[str, Any]:
        try:
            value = json.loads(output)
        except (TypeError, ValueError) as exc:
            raise ServiceError("InvalidOutput", f"Invalid Output: '{exc}'") from exc
        self.engine.tokens.succeed(taskToken, value)
        return {}

    def send_task_failure(
        self, taskToken: str, error: str | None = None, cause: str | None = None
    ) -> dict[str, Any]:
        self.engine.tokens.fail(taskToken, error or "", cause or "")
        return {}

    def send_task_heartbeat(self, taskToken: str) -> dict[str, Any]:
        self.engine.tokens.heartbeat(taskToken)
        return {}
