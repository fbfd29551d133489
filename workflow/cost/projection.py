"""Scale the counts of one measured execution to a bigger file: `project(counts, rows)`.

A measured file is small; the cost of a big one is the same workload cut into full batches. Per-row, per-batch
and per-file quantities scale differently (see `project`). Separate from `meter.py` (which counts) so that
counting and scaling each read in one place.
"""

from __future__ import annotations

import math
from dataclasses import replace

from workflow.config import PipelineConfig
from workflow.cost.assumptions import modelled_ms
from workflow.cost.meter import SQS_CHUNK_BYTES, Counts, MeterSettings


def rows_per_batch(counts: Counts, config: PipelineConfig) -> int:
    """Rows in a full batch: MaxItemsPerBatch, unless MaxInputBytesPerBatch cuts it first."""
    if counts.rows <= 0 or counts.batch_input_bytes <= 0:
        return config.max_items_per_batch
    per_row = counts.batch_input_bytes / counts.rows
    return max(1, min(config.max_items_per_batch, int(config.max_input_bytes_per_batch // per_row)))


def project(counts: Counts, rows: int, settings: MeterSettings | None = None) -> Counts:
    """The same workload scaled to a file of `rows` rows in full batches.

    Per-row quantities (items, write units, Lambda time, payload bytes) scale with rows; per-batch ones
    (child starts and steps, requests, SQS messages, ledger records) with the number of full batches; per-file
    ones (the parent's steps and DynamoDB tasks, Summarize, the result files) stay. SQS chunks are recomputed
    for the bigger messages.
    """
    settings = settings or MeterSettings()
    if counts.rows <= 0 or counts.batches <= 0:
        raise ValueError("the execution ran no batch of rows: there is nothing to scale")
    per_batch = rows_per_batch(counts, settings.config)
    batches = math.ceil(rows / per_batch)
    k_row = rows / counts.rows
    k_batch = batches / counts.batches

    def by_row(value: int) -> int:
        return round(value * k_row)

    def by_batch(value: int) -> int:
        return round(value * k_batch)

    messages = by_batch(counts.writer_messages)
    chunks = 0
    if counts.writer_messages:
        fixed = counts.message_fixed_bytes / counts.writer_messages
        per_item = (counts.message_bytes - counts.message_fixed_bytes) / max(1, counts.items_enqueued)
        items_per_message = counts.items_enqueued * k_row / max(1, messages)
        chunks = max(1, math.ceil((fixed + per_item * items_per_message) / SQS_CHUNK_BYTES))
    data_log = counts.child_log_bytes - counts.child_log_fixed_bytes
    return replace(
        counts,
        rows=rows,
        rows_written=by_row(counts.rows_written),
        batches=batches,
        child_starts=by_batch(counts.child_starts),
        child_transitions=by_batch(counts.child_transitions),
        transform_requests=by_batch(counts.transform_requests),
        transform_ms=by_row(counts.transform_ms),
        writer_messages=messages,
        writer_wait_ms=by_row(counts.writer_wait_ms),
        sqs_send_chunks=chunks * messages,
        sqs_receive_chunks=chunks * messages,
        message_bytes=by_row(counts.message_bytes),
        message_fixed_bytes=by_batch(counts.message_fixed_bytes),
        items_enqueued=by_row(counts.items_enqueued),
        item_write_units=by_row(counts.item_write_units),
        new_rows_written=by_row(counts.new_rows_written),
        taken_keys=by_row(counts.taken_keys),
        child_table_writes=by_batch(counts.child_table_writes),
        child_table_reads=by_batch(counts.child_table_reads),
        ledger_batch_units=by_batch(counts.ledger_batch_units),
        ledger_read_bytes=by_batch(counts.ledger_read_bytes),
        child_log_bytes=by_batch(counts.child_log_fixed_bytes) + by_row(data_log),
        child_log_fixed_bytes=by_batch(counts.child_log_fixed_bytes),
        batch_input_bytes=by_row(counts.batch_input_bytes),
        executions=1 + batches,
    )


def with_modelled_durations(counts: Counts) -> Counts:
    """These counts with the Lambda times of `assumptions.py` (on the twin the recorded ones are moto's)."""
    ms = modelled_ms(counts.batches, counts.items_enqueued or counts.rows)
    return replace(
        counts,
        transform_ms=ms["transform"] if counts.transform_requests else 0,
        writer_wait_ms=ms["writer"] if counts.writer_messages else 0,
        summarize_ms=ms["summarize"] if counts.summarize_requests else 0,
    )
