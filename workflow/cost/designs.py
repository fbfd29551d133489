"""The cost model applied to designs on paper: this one with other settings, and the alternatives.

Each design is priced per million rows from the same `Counts` -> `lines()` -> prices path as `etl cost`, with
the sizes and durations of `assumptions.py` in place of a recorded run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from workflow.config import PipelineConfig
from workflow.cost import definition_path
from workflow.cost.assumptions import DEFAULT, MILLION, Assumptions, modelled_ms
from workflow.cost.billing import lines
from workflow.cost.item_size import write_units
from workflow.cost.meter import SQS_CHUNK_BYTES, Counts, Line, MeterSettings

__all__ = ["MILLION", "Assumptions"]

# History events of one state visit by type (a Task: entered, scheduled, started, succeeded, exited; a
# Distributed Map: entered, started, MapRun started and succeeded, succeeded, exited); others entered and
# exited. Plus ExecutionStarted and ExecutionSucceeded.
EVENTS_PER_STATE = {"Task": 5, "Map": 6, "Parallel": 4}


@dataclass(frozen=True)
class ParentPath:
    """What the parent execution does for one file, read from the definition's first-upload path."""

    transitions: int
    events: int
    table_writes: int


def parent_path(definition: dict[str, object] | None = None) -> ParentPath:
    path = definition_path.first_run_path(definition or definition_path.load())
    events = 2 + sum(EVENTS_PER_STATE.get(str(state.get("Type")), 2) for _, state in path)
    writes = sum(definition_path.is_table_write(state) for _, state in path)
    return ParentPath(transitions=len(path), events=events, table_writes=writes)


@dataclass(frozen=True)
class BatchedDesign:
    """A Distributed Map over batches of rows: Transform, then SQS + writer (task token) or a direct write."""

    name: str
    rows_per_batch: int
    # Per child: states entered, history events, and how many times the rows / the items appear in them.
    # The defaults are the definition's child: Transform (entered, scheduled, started, succeeded, exited)
    # -> Enqueue (the same plus submitted), with ExecutionStarted and ExecutionSucceeded: 13 events; the
    # rows in the child's input, Transform's input and parameters; the items in Transform's result and
    # output, Enqueue's input and parameters (the message).
    states: int = 2
    events: int = 13
    input_copies: int = 3
    item_copies: int = 4
    extra_transitions_per_row: int = 0  # an inline Map iterating over the rows inside each child
    log_level: str = "ERROR"
    log_data: bool = True


def batched_counts(design: BatchedDesign, a: Assumptions = DEFAULT) -> Counts:
    """The counts a file of `a.rows` rows would have under this design."""
    rpb = design.rows_per_batch
    batches = math.ceil(a.rows / rpb)
    message = a.message_fixed_bytes + rpb * a.message_item_bytes
    chunks = math.ceil(message / SQS_CHUNK_BYTES) * batches
    level = design.log_level.upper()
    per_child = design.events * a.log_event_bytes if level == "ALL" else 0
    per_row = 0.0
    if level == "ALL" and design.log_data:
        per_row = a.log_escape * (
            design.input_copies * a.input_row_bytes + design.item_copies * a.message_item_bytes
        )
    ms = modelled_ms(batches, a.rows, a)
    parent = parent_path()
    return Counts(
        rows=a.rows,
        rows_written=a.rows,
        batches=batches,
        parent_transitions=parent.transitions,
        child_starts=batches,
        child_transitions=batches * design.states + a.rows * design.extra_transitions_per_row,
        transform_requests=batches,
        transform_ms=ms["transform"],
        summarize_requests=1,
        summarize_ms=ms["summarize"],
        writer_messages=batches,
        writer_wait_ms=ms["writer"],
        sqs_send_chunks=chunks,
        sqs_receive_chunks=chunks,
        message_bytes=batches * message,
        message_fixed_bytes=batches * a.message_fixed_bytes,
        items_enqueued=a.rows,
        item_write_units=a.rows * write_units(a.item_bytes),
        new_rows_written=a.rows * write_units(a.item_bytes),
        ledger_batch_units=batches,
        ledger_file_units=1,
        ledger_read_bytes=batches * 430,
        state_table_writes=parent.table_writes,
        reader_gets=1,
        result_puts=2,
        summarize_gets=2,
        summarize_lists=1,
        aws_events=1,
        parent_log_bytes=parent.events * a.log_event_bytes if level == "ALL" else 0,
        child_log_bytes=round(batches * per_child + a.rows * per_row),
        child_log_fixed_bytes=batches * per_child,
        batch_input_bytes=a.rows * a.input_row_bytes,
        executions=1 + batches,
    )


def batched_lines(
    design: BatchedDesign, a: Assumptions = DEFAULT, config: PipelineConfig | None = None
) -> list[Line]:
    config = config or PipelineConfig(max_items_per_batch=design.rows_per_batch)
    settings = MeterSettings(config=config, log_level=design.log_level, log_data=design.log_data)
    return lines(batched_counts(design, a), settings)


def tuned_lines(config: PipelineConfig, log_level: str = "ALL", a: Assumptions = DEFAULT) -> list[Line]:
    """This design under the config's tuning: MaxItemsPerBatch rows, unless the bytes limit cuts first."""
    rows = max(1, min(config.max_items_per_batch, config.max_input_bytes_per_batch // a.input_row_bytes))
    return batched_lines(replace(THIS, rows_per_batch=rows, log_level=log_level), a, config)


def seed_lines(a: Assumptions = DEFAULT) -> list[Line]:
    """The seed: one Lambda reads the file and sends one SQS message per row; the writer runs once per row.

    128 MB x86 functions (the seed's template), a SendMessage of 5 ms and a PutItem of 5 ms per row.
    """
    reader_s = a.rows * 5 / 1000
    writer_s = a.rows * (a.put_item_ms + 5) / 1000
    return [
        Line("SQS SendMessage, one per row", "sqs.request", a.rows),
        Line("SQS ReceiveMessage + DeleteMessage, per row", "sqs.request", 2 * a.rows),
        Line("Lambda requests: writer, one per row", "lambda.request", a.rows),
        Line("Lambda GB-s: reader + writer (128 MB, x86)", "lambda.gb_s.x86_64", (reader_s + writer_s) / 8),
        Line("DynamoDB writes: PutItem per row", "ddb.wru", a.rows * write_units(a.item_bytes)),
        Line(
            "CloudWatch Logs GB: Lambda, per invocation", "logs.ingest_gb", a.rows * 800 / 1e9, estimate=True
        ),
        Line("S3 GetObject + EventBridge", "s3.get", 1),
    ]


def express_per_row_lines(a: Assumptions = DEFAULT, child_ms: float = 150.0) -> list[Line]:
    """One EXPRESS child per row: Transform (Lambda) then dynamodb:putItem; no task token (EXPRESS has none).

    Step Functions still bills one state transition in the parent per child started; an EXPRESS child is one
    request plus its duration in 64 MB chunks, rounded up to 100 ms. Logs off.
    """
    billed_s = math.ceil(child_ms / 100) * 0.1
    return [
        Line("state transitions: Map child starts, one per row", "sfn.transition", a.rows),
        Line("EXPRESS requests, one per row", "sfn.express.request", a.rows),
        Line("EXPRESS GB-s (64 MB, 100 ms rounding)", "sfn.express.gb_s", a.rows * billed_s * 64 / 1024),
        Line("Lambda requests: transform, one per row", "lambda.request", a.rows),
        Line(
            "Lambda GB-s: transform (512 MB, arm64)",
            "lambda.gb_s.arm64",
            a.rows * (a.transform_ms_per_call + a.transform_ms_per_row) / 1000 / 2,
        ),
        Line("DynamoDB writes: PutItem per row", "ddb.wru", a.rows * write_units(a.item_bytes)),
    ]


def express_batched_lines(
    a: Assumptions = DEFAULT, rows_per_batch: int = 500, child_ms: float = 600.0
) -> list[Line]:
    """EXPRESS children over batches: one Lambda transforms and writes (no SQS, no task token).

    The parent pays a transition per child started; each child is one EXPRESS request plus its duration
    (64 MB, 100 ms rounding); the Lambda does the transform and the conditional PutItems. Logs at ERROR.
    """
    batches = math.ceil(a.rows / rows_per_batch)
    billed_s = math.ceil(child_ms / 100) * 0.1
    parent = parent_path()
    lambda_ms = batches * a.transform_ms_per_call + a.rows * (
        a.transform_ms_per_row + a.put_item_ms / a.put_workers
    )
    return [
        Line(
            f"state transitions: parent ({parent.transitions}) + Map child starts",
            "sfn.transition",
            parent.transitions + batches,
        ),
        Line("EXPRESS requests, one per batch", "sfn.express.request", batches),
        Line("EXPRESS GB-s (64 MB, 100 ms rounding)", "sfn.express.gb_s", batches * billed_s * 64 / 1024),
        Line("Lambda requests: transform + write, summarize", "lambda.request", batches + 1),
        Line("Lambda GB-s: transform + write (512 MB, arm64)", "lambda.gb_s.arm64", lambda_ms / 1000 / 2),
        Line("DynamoDB writes: conditional PutItem per item", "ddb.wru", a.rows * write_units(a.item_bytes)),
        Line("DynamoDB writes: ledger records", "ddb.wru", batches + 1 + parent.table_writes, estimate=True),
        Line("S3 requests: reader, results, summary", "s3.put", 4),
        Line("X-Ray traces: one per execution", "xray.trace", 1 + batches, estimate=True),
    ]


def import_lines(a: Assumptions = DEFAULT) -> list[Line]:
    """DynamoDB import from S3: priced on the uncompressed source size; it only creates a new table."""
    return [
        Line("DynamoDB import from S3 (GB of CSV)", "ddb.import_gb", a.rows * a.csv_row_bytes / 1e9),
        Line("S3 GetObject", "s3.get", 1),
    ]


THIS = BatchedDesign("this design (defaults): 800-row batches, 2 states a child, logs at ERROR", 800)
# The defaults before issue 14's tuning: Transform -> AnyValidRows (Choice) -> Enqueue | NothingToWrite (Pass)
# -> BatchDone (Pass), 17 events, the items in 8 of them; logs at ALL with execution data.
PREVIOUS = BatchedDesign(
    "previous defaults: 500-row batches, 4 states a child, logs at ALL",
    500,
    states=4,
    events=17,
    item_copies=8,
    log_level="ALL",
)
ALTERNATIVES = (
    THIS,
    replace(THIS, name="  ... logs at ALL with execution data (for debugging)", log_level="ALL"),
    replace(THIS, name="  ... logs at ALL without execution data", log_level="ALL", log_data=False),
    replace(THIS, name="  ... 500-row batches", rows_per_batch=500),
    replace(
        THIS,
        name="  ... 4 states a child (a Choice and a Pass, as before)",
        states=4,
        events=17,
        item_copies=8,
    ),
    PREVIOUS,
    replace(PREVIOUS, name="  ... previous defaults with logs at ERROR", log_level="ERROR"),
)
PER_ROW_STANDARD = BatchedDesign("Distributed Map: a STANDARD child per row", 1)
INLINE_PER_ROW = replace(
    THIS, name="800-row children with an inline Map step per row", extra_transitions_per_row=1
)
