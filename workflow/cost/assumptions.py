"""What a row and a call cost on AWS when no recorded run says: sizes measured, durations assumed.

Sizes come from `etl cost --json` on sample_data/data.csv through the twin. Durations are assumptions for AWS:
the twin's own durations measure moto and a shared CPU, not AWS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MILLION = 1_000_000


@dataclass(frozen=True)
class Assumptions:
    """What a row and a call cost; sizes measured with `etl cost --json` on sample_data/data.csv."""

    rows: int = MILLION
    item_bytes: int = 211  # stored item (names + values), 1 write unit
    csv_row_bytes: int = 71  # sample_data/data.csv: 1,425 bytes for 20 rows
    input_row_bytes: int = 193  # one row in a child's input ({"index", "row"} JSON)
    message_item_bytes: int = 247  # one converted item in the SQS body
    message_fixed_bytes: int = 366  # task token, source, first_row
    # Lambda on AWS (assumed): the transform ran 500 rows in 16-27 ms on one local core; a 512 MB function
    # gets about a third of a vCPU, so 0.2 ms a row plus 10 ms a call.
    transform_ms_per_row: float = 0.2
    transform_ms_per_call: float = 10.0
    put_item_ms: float = 5.0  # one PutItem round trip in the region
    put_workers: int = 8  # concurrent PutItems per batch (the direct-write design of designs.py)
    insert_call_ms: float = 15.0  # one BatchExecuteStatement of 25 INSERTs in the Region
    statements_per_call: int = 25  # BatchExecuteStatement's limit
    write_workers: int = 4  # the writer's concurrent calls per message (tasks/writer PUT_WORKERS)
    writer_ms_per_message: float = 30.0  # ledger record + SendTaskSuccess
    summarize_ms: float = 2_000.0
    # State machine logs, calibrated on the twin's 1M-row projection: 355 bytes per event without data;
    # payloads logged as JSON inside JSON are 1.18x their size (escaped quotes).
    log_event_bytes: int = 355
    log_escape: float = 1.18


DEFAULT = Assumptions()


def modelled_ms(batches: int, rows: int, a: Assumptions = DEFAULT) -> dict[str, int]:
    """Lambda milliseconds for `batches` batches holding `rows` rows, by function, from the assumptions."""
    return {
        "transform": round(batches * a.transform_ms_per_call + rows * a.transform_ms_per_row),
        "writer": round(
            batches * a.writer_ms_per_message
            + math.ceil(rows / a.statements_per_call) * a.insert_call_ms / a.write_workers
        ),
        "summarize": round(a.summarize_ms),
    }
