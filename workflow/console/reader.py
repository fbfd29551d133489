"""Cached, bounded access to Step Functions: descriptions, whole histories, definitions.

A finished execution never changes (until a redrive, which changes its redriveCount and status), so its
description and history are cached in bounded LRUs; a running one is always read fresh. Histories are read
page by page and capped at MAX_EVENTS, so a pathological execution cannot exhaust memory.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workflow.console.cache import BoundedCache
from workflow.console.sources import Sources
from workflow.console.trace import TERMINAL, Trace, analyse

MAX_EVENTS = 20_000
PAGE = 1000
DESCRIBE_THREADS = 8  # a page of 50 children costs about 7 round trips, not 50 (AWS answers in ~50 ms)


def plain(response: Mapping[str, Any]) -> dict[str, Any]:
    """A boto3 response as the console's plain dict, without botocore's ResponseMetadata."""
    found = dict(response)
    found.pop("ResponseMetadata", None)
    return found


class Reader:
    """The Step Functions reads every page needs."""

    def __init__(self, sources: Sources) -> None:
        self.src = sources
        self.sfn = sources.sfn
        self._described: BoundedCache[str, dict[str, Any]] = BoundedCache(256)
        self._histories: BoundedCache[tuple[str, int], tuple[list[dict[str, Any]], bool]] = BoundedCache(24)
        self._definitions: BoundedCache[str, dict[str, Any]] = BoundedCache(32)
        self._files: BoundedCache[str, dict[str, Any]] = BoundedCache(20_000)
        self.pool = ThreadPoolExecutor(DESCRIBE_THREADS, thread_name_prefix="console-describe")

    def describe(
        self, arn: str, fresh: bool = False, listed: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """DescribeExecution, cached once finished. `listed` (its ListExecutions item) tells a cached copy
        that went stale: a redriven child changes status and redriveCount under the same ARN."""
        cached = None if fresh else self._described.get(arn)
        if cached is not None and listed is not None:
            same = (cached.get("status"), cached.get("redriveCount", 0)) == (
                listed.get("status"),
                listed.get("redriveCount", 0),
            )
            cached = cached if same else None
        if cached is not None:
            return cached
        described = plain(self.sfn.describe_execution(executionArn=arn))
        if described.get("status") in TERMINAL:
            self._described.put(arn, described)
        return described

    def describe_many(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Descriptions of ListExecutions items (a page of children), DESCRIBE_THREADS calls in flight, in
        order; running ones are read fresh, finished ones from the cache unless it is stale."""
        return list(
            self.pool.map(
                lambda item: self.describe(
                    item["executionArn"], fresh=item.get("status") == "RUNNING", listed=item
                ),
                items,
            )
        )

    def forget(self, arn: str) -> None:
        """After an action (redrive, stop) the execution changes: read it fresh next time."""
        self._described.discard(arn)

    def events(self, arn: str, described: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], bool]:
        """The whole history (oldest first, at most MAX_EVENTS) and whether it was cut."""
        described = described or self.describe(arn)
        key = (arn, int(described.get("redriveCount") or 0))
        if described.get("status") in TERMINAL:
            cached = self._histories.get(key)
            if cached is not None:
                return cached
        events: list[dict[str, Any]] = []
        token = None
        cut = False
        while True:
            kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": PAGE}
            if token:
                kwargs["nextToken"] = token
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(plain(event) for event in page.get("events", []))
            token = page.get("nextToken")
            if not token:
                break
            if len(events) >= MAX_EVENTS:
                cut = True
                break
        result = (events, cut)
        if described.get("status") in TERMINAL:
            self._histories.put(key, result)
        return result

    def trace(self, arn: str, described: dict[str, Any] | None = None) -> Trace:
        described = described or self.describe(arn)
        events, _ = self.events(arn, described)
        return analyse(events, described.get("status"))

    def definition(self, arn: str) -> dict[str, Any]:
        """The definition the execution ran (DescribeStateMachineForExecution; children get the Map's)."""
        cached = self._definitions.get(arn)
        if cached is not None:
            return cached
        response = self.sfn.describe_state_machine_for_execution(executionArn=arn)
        value = {"definition": json.loads(response["definition"]), "name": response.get("name")}
        if "mapRunArn" in response:
            value["mapRunArn"] = response["mapRunArn"]
        return self._definitions.put(arn, value)

    def file_of(self, arn: str) -> dict[str, Any]:
        """The file an execution works on (bucket, key) from its input; cached, inputs never change."""
        cached = self._files.get(arn)
        if cached is not None:
            return cached
        return self._files.put(arn, file_from_input(self.describe(arn).get("input")))


def file_from_input(text: Any) -> dict[str, Any]:
    """`{bucket, key}` from an EventBridge Object Created event or a Map child's BatchInput."""
    try:
        value = json.loads(text or "{}")
    except (json.JSONDecodeError, TypeError):
        return {}
    if not isinstance(value, dict):
        return {}
    detail = value.get("detail")
    if isinstance(detail, dict):
        bucket = (detail.get("bucket") or {}).get("name")
        key = (detail.get("object") or {}).get("key")
        return {"bucket": bucket, "key": key, "etag": (detail.get("object") or {}).get("etag")}
    batch = value.get("BatchInput")
    if isinstance(batch, dict):
        return {"bucket": batch.get("bucket"), "key": batch.get("key"), "parent": batch.get("execution")}
    return {}
