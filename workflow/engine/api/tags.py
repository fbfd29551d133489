"""Tag actions: TagResource, UntagResource, ListTagsForResource (state machines and activities)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow.engine.api.common import ServiceState


class TagActions(ServiceState):
    def _tagged(self, arn: str) -> dict[str, str]:
        match = self._parse_arn(arn, ("stateMachine", "activity"))
        if match["kind"] == "stateMachine":
            self._machine(arn)
        with self._lock:
            return self._tags.setdefault(arn, {})

    def tag_resource(self, resourceArn: str, tags: list[Mapping[str, str]]) -> dict[str, Any]:
        current = self._tagged(resourceArn)
        with self._lock:
            for tag in tags:
                current[tag["key"]] = tag.get("value", "")
        return {}

    def untag_resource(self, resourceArn: str, tagKeys: list[str]) -> dict[str, Any]:
        current = self._tagged(resourceArn)
        with self._lock:
            for key in tagKeys:
                current.pop(key, None)
        return {}

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, Any]:
        current = self._tagged(resourceArn)
        return {"tags": [{"key": k, "value": v} for k, v in current.items()]}
