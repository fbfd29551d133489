"""Server-sent events: tell an open page within a second that what it shows has changed.

Each stream polls what its page shows (the executions list, one execution, one Map run) every `poll_s`
through the same boto3 clients and sends `change` with the topic when a fingerprint moves; the page then
re-reads that part of the API. A stream ends after MAX_STREAM_S (the browser's EventSource reconnects).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from workflow.console.sources import Sources

MAX_STREAM_S = 300.0
PING_S = 10.0


def fingerprints(
    src: Sources, execution: str | None, map_run: str | None, lists: bool = True
) -> dict[str, Any]:
    """Small values that change whenever the page would show something new (only what the page shows:
    each poll is API calls, rate-limited on AWS)."""
    found: dict[str, Any] = {}
    if lists and src.state_machine_arn:
        items = src.sfn.list_executions(stateMachineArn=src.state_machine_arn, maxResults=25)["executions"]
        found["executions"] = [(i["executionArn"], i["status"], i.get("redriveCount", 0)) for i in items]
    if execution:
        described = src.sfn.describe_execution(executionArn=execution)
        last = src.sfn.get_execution_history(executionArn=execution, maxResults=1, reverseOrder=True)
        runs = src.sfn.list_map_runs(executionArn=execution).get("mapRuns", []) if not map_run else []
        counts = [src.sfn.describe_map_run(mapRunArn=r["mapRunArn"]).get("itemCounts") for r in runs[-1:]]
        found["execution"] = (
            described["status"],
            described.get("redriveCount", 0),
            [e["id"] for e in last.get("events", [])],
            json.dumps(counts, sort_keys=True),
        )
    if map_run:
        map_run_described = src.sfn.describe_map_run(mapRunArn=map_run)
        found["maprun"] = (
            map_run_described["status"],
            json.dumps(map_run_described.get("itemCounts"), sort_keys=True),
        )
    return found


def stream(
    src: Sources,
    execution: str | None,
    map_run: str | None,
    closing: threading.Event,
    sleep: Callable[[float], bool] | None = None,
    lists: bool = True,
) -> Iterator[bytes]:
    """The SSE body: `retry`, then a `change` event per moved fingerprint, pings in between."""
    wait = sleep or closing.wait
    yield b"retry: 500\n\n"
    previous: dict[str, Any] | None = None
    started = last_sent = time.monotonic()
    while not closing.is_set() and time.monotonic() - started < MAX_STREAM_S:
        try:
            current = fingerprints(src, execution, map_run, lists)
        except Exception as exc:  # the service blinked: say so, keep the stream
            yield f"event: problem\ndata: {json.dumps(str(exc))}\n\n".encode()
            current = previous or {}
        if previous is not None:
            for topic, value in current.items():
                if previous.get(topic) != value:
                    yield f"event: change\ndata: {json.dumps({'topic': topic})}\n\n".encode()
                    last_sent = time.monotonic()
        previous = current
        if time.monotonic() - last_sent > PING_S:
            yield b": ping\n\n"
            last_sent = time.monotonic()
        if wait(src.poll_s):
            break
