"""The interpreter's settings while a twin runs: fewer collections and fewer thread switches.

Everything a twin does runs under one GIL: the engine's Map children, the Lambdas' invocations and their
write threads, the event source mapping's pollers, the endpoint's server threads (docs/twin.md).
- The collector: a twin holds moto's tables (each stored item a dict of DynamoType objects) and allocates
  short-lived containers by the million (JSON payloads, botocore requests). With CPython's default
  young-generation threshold (700) the collector ran about 13% of a run's CPU (`py-spy record --gil
  --native` on bench/throughput.py-sized runs: `gc_collect_main` with no Python frame above it); at
  10,000, 30,000 rows went from 1,634 to 1,879 rows/s on this 2-core machine. Nothing relies on prompt
  collection of cycles.
- The switch interval: with CPython's default (5 ms) a thread running Python code is asked to give up the
  GIL every 5 ms for one of the twenty-odd others waiting, and each hand-over costs cache and scheduling
  work. At 50 ms the same 20,000-row file ran 4% faster with less CPU on this 2-core machine (1,976 ->
  2,061 rows/s, mean of five interleaved runs each). A thread waiting for I/O still gets the GIL as soon as
  the holder blocks, which twin threads do often (a queue poll, a task token, a socket): a boto3 call to
  the endpoint during a 30,000-row run took 29 ms median, 107 ms p90 (32 and 75 ms at 5 ms).
`ETL_TWIN_TUNING=0` leaves the interpreter's settings alone (to compare). The previous settings come back
when the twin stops, so a process that embeds a twin (the tests) gets its own back.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable

YOUNG_THRESHOLD = 10_000  # allocations minus deallocations between young-generation collections
SWITCH_INTERVAL_S = 0.05  # how long a thread may hold the GIL while others wait for it
ENABLED = os.environ.get("ETL_TWIN_TUNING", "1") != "0"


def relax() -> Callable[[], None]:
    """Raise the young-generation threshold (older generations keep their ratios) and the switch interval;
    returns the undo."""
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    if not ENABLED:
        return lambda: None
    gc.set_threshold(max(YOUNG_THRESHOLD, threshold[0]), *threshold[1:])
    sys.setswitchinterval(max(SWITCH_INTERVAL_S, interval))

    def restore() -> None:
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)

    return restore
