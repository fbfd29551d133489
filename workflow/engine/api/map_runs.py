"""Map Run actions: DescribeMapRun, ListMapRuns, UpdateMapRun (a Distributed Map's child executions)."""

from __future__ import annotations

from typing import Any

from workflow.engine.api.common import ServiceState, page


class MapRunActions(ServiceState):
    def describe_map_run(self, mapRunArn: str) -> dict[str, Any]:
        return self._map_run(mapRunArn).describe()

    def list_map_runs(
        self, executionArn: str, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        self._execution(executionArn)
        runs = [m.list_item() for m in list(self.engine.map_runs.values()) if m.execution_arn == executionArn]
        runs.reverse()
        items_page, token = page(runs, maxResults, nextToken)
        return {"mapRuns": items_page, **({"nextToken": token} if token else {})}

    def update_map_run(
        self,
        mapRunArn: str,
        maxConcurrency: int | None = None,
        toleratedFailurePercentage: float | None = None,
        toleratedFailureCount: int | None = None,
    ) -> dict[str, Any]:
        map_run = self._map_run(mapRunArn)
        with map_run.lock:
            if maxConcurrency is not None:
                map_run.max_concurrency = int(maxConcurrency)
            pct_given, count_given = map_run.tolerance_given
            if toleratedFailurePercentage is not None:
                map_run.tolerated_failure_percentage = float(toleratedFailurePercentage)
                pct_given = True
            if toleratedFailureCount is not None:
                map_run.tolerated_failure_count = int(toleratedFailureCount)
                count_given = True
            map_run.tolerance_given = (pct_given, count_given)
        return {}
