"""The Map run page: DescribeMapRun's item and execution counts, and its child executions, paged.

Each page of children is one ListExecutions(mapRunArn, statusFilter) call plus a DescribeExecution per
child shown (cached once finished) for its row range, so a 2,000-batch run costs the same as a small one.
"""

from __future__ import annotations

from typing import Any

from workflow.console.executions import child_batch, duration_s
from workflow.console.reader import Reader, plain

CHILD_PAGE = 50


class MapRuns:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def describe(self, arn: str) -> dict[str, Any]:
        described = plain(self.reader.sfn.describe_map_run(mapRunArn=arn))
        parent = self.reader.describe(described["executionArn"])
        described["execution_name"] = parent["name"]
        described["file"] = self.reader.file_of(described["executionArn"])
        return described

    def children(self, arn: str, status: str | None = None, token: str | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"mapRunArn": arn, "maxResults": CHILD_PAGE}
        if status:
            kwargs["statusFilter"] = status.upper()
        if token:
            kwargs["nextToken"] = token
        response = self.reader.sfn.list_executions(**kwargs)
        items = response.get("executions", [])
        described = self.reader.describe_many(items)
        rows = []
        for item, child in zip(items, described, strict=True):
            rows.append(
                {
                    "executionArn": item["executionArn"],
                    **child_batch(item, child),
                    "startDate": item.get("startDate"),
                    "stopDate": item.get("stopDate"),
                    "duration_s": duration_s(child),
                    "redriveCount": item.get("redriveCount", 0),
                    "cause": (child.get("cause") or "")[:500] or None,
                }
            )
        return {"children": rows, "next": response.get("nextToken")}
