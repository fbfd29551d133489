"""The twin's garbage-collector setting while it runs: young collections every 10,000 allocations, not 700.

A twin holds moto's tables (each stored item a dict of DynamoType objects) and the engine's running state,
and a pipeline run allocates short-lived containers by the million (JSON payloads, botocore requests). With
CPython's default threshold (700) the collector ran about 13% of a run's CPU (`py-spy record --gil
--native` on bench/throughput.py-sized runs: `gc_collect_main` with no Python frame above it); at 10,000,
30,000 rows went from 1,634 to 1,879 rows/s on this 2-core machine. Nothing relies on prompt collection of
cycles. `ETL_TWIN_GC=0` leaves the interpreter's setting alone (to compare). The previous setting comes back
when the twin stops, so a process that embeds a twin (the tests) gets its own setting back.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

YOUNG_THRESHOLD = 10_000  # allocations minus deallocations between young-generation collections
ENABLED = os.environ.get("ETL_TWIN_GC", "1") != "0"


def relax() -> Callable[[], None]:
    """Raise the young-generation threshold (older generations keep their ratios); returns the undo."""
    previous = gc.get_threshold()
    if not ENABLED:
        return lambda: None
    gc.set_threshold(max(YOUNG_THRESHOLD, previous[0]), *previous[1:])

    def restore() -> None:
        gc.set_threshold(*previous)

    return restore
