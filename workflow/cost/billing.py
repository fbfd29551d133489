"""Turn counts into billed units: `lines(counts)`, one `Line` per thing AWS meters, in the table's order.

Separate from `meter.py` (which counts what ran) because this is where each count meets AWS's billing rules
(request units, GB-seconds, 64 KB chunks, log bytes) and where estimates are labelled as such.
"""

from __future__ import annotations

import math

from workflow.cost.item_size import read_units
from workflow.cost.meter import LAMBDA_LOG_BYTES, Counts, Line, MeterSettings


def _gb_s(ms: int, memory_mb: int) -> float:
    return ms / 1000 * memory_mb / 1024


def lines(counts: Counts, settings: MeterSettings | None = None) -> list[Line]:
    """Billed units of these counts, one line per metered thing, in the order the table prints them."""
    settings = settings or MeterSettings()
    config = settings.config
    gb_s = f"lambda.gb_s.{settings.architecture}"
    memory = {spec.key: spec.memory_mb for spec in config.functions}
    writer_calls = math.ceil(counts.writer_messages / max(1, config.writer_batch_size))
    writer_gb_s = _gb_s(counts.writer_wait_ms, memory["writer"])
    level = settings.log_level.upper()
    data = "with" if settings.log_data else "without"
    out = [
        Line("state transitions: parent execution", "sfn.transition", counts.parent_transitions),
        Line("state transitions: Map child starts", "sfn.transition", counts.child_starts),
        Line("state transitions: steps in Map children", "sfn.transition", counts.child_transitions),
        Line("Lambda requests: transform", "lambda.request", counts.transform_requests),
        Line(
            f"Lambda GB-s: transform ({memory['transform']} MB, {settings.architecture})",
            gb_s,
            _gb_s(counts.transform_ms, memory["transform"]),
            note="task span in the history: an upper bound",
        ),
        Line("Lambda requests: summarize", "lambda.request", counts.summarize_requests),
        Line(
            f"Lambda GB-s: summarize ({memory['summarize']} MB, {settings.architecture})",
            gb_s,
            _gb_s(counts.summarize_ms, memory["summarize"]),
            note="task span in the history: an upper bound",
        ),
        Line(
            f"Lambda requests: writer (messages / batch size {config.writer_batch_size})",
            "lambda.request",
            writer_calls,
            estimate=True,
            note="the writer runs outside the state machine: full SQS batches assumed",
        ),
        Line(
            f"Lambda GB-s: writer ({memory['writer']} MB, {settings.architecture})",
            gb_s,
            writer_gb_s,
            estimate=True,
            note="send-to-report time of each message: an upper bound",
        ),
    ]
    if counts.other_lambda_requests:
        out.append(Line("Lambda requests: other functions", "lambda.request", counts.other_lambda_requests))
    out += [
        Line("SQS SendMessage (64 KB chunks)", "sqs.request", counts.sqs_send_chunks),
        Line("SQS ReceiveMessage (64 KB chunks)", "sqs.request", counts.sqs_receive_chunks),
        Line("SQS DeleteMessage", "sqs.request", counts.writer_messages),
    ]
    if settings.writer == "insert":
        out += [
            Line(
                "DynamoDB writes: PartiQL INSERT per item (BatchExecuteStatement, 25 a call)",
                "ddb.wru",
                counts.item_write_units,
                note="ceil(item size / 1 KB) each, as a PutItem; a refused INSERT (DuplicateItem) the same",
            ),
            Line(
                "DynamoDB reads: BatchGetItem of the keys an INSERT found taken",
                "ddb.rru",
                counts.taken_keys,
                note="strongly consistent, 1 unit per key; duplicates and conflicts only",
            ),
        ]
    elif settings.writer == "conditional-put":
        out.append(
            Line(
                "DynamoDB writes: conditional PutItem per item",
                "ddb.wru",
                counts.item_write_units,
                note="ceil(item size / 1 KB) each; a failed condition costs the same",
            )
        )
    else:
        out += [
            Line("DynamoDB writes: BatchWriteItem of new items", "ddb.wru", counts.new_rows_written),
            Line(
                "DynamoDB reads: BatchGetItem before writing",
                "ddb.rru",
                counts.items_enqueued,
                note="strongly consistent, 1 unit per key",
            ),
        ]
    table_writes = counts.state_table_writes + counts.child_table_writes
    table_reads = counts.state_table_reads + counts.child_table_reads
    if table_writes:
        out.append(
            Line(
                "DynamoDB writes: the state machine's own DynamoDB tasks (ledger registration)",
                "ddb.wru",
                table_writes,
                estimate=True,
                note="1 unit each: an object item under 1 KB assumed",
            )
        )
    if table_reads:
        out.append(
            Line(
                "DynamoDB reads: the state machine's own DynamoDB tasks",
                "ddb.rru",
                table_reads,
                estimate=True,
                note="1 unit each: an item under 4 KB assumed",
            )
        )
    if settings.ledger:
        out += [
            Line(
                "DynamoDB writes: ledger records (per batch + per file)",
                "ddb.wru",
                counts.ledger_batch_units + counts.ledger_file_units,
                estimate=True,
                note="modelled on the writer's ledger record",
            ),
            Line(
                "DynamoDB reads: Summarize reads the ledger",
                "ddb.rru",
                read_units(counts.ledger_read_bytes) + 1 if counts.ledger_read_bytes else 0,
                estimate=True,
            ),
        ]
    out += [
        Line("S3 GetObject: ItemReader reads the CSV", "s3.get", counts.reader_gets, note="at least one"),
        Line("S3 PutObject: ResultWriter (results + manifest)", "s3.put", counts.result_puts),
        Line("S3 GetObject: Summarize reads the results", "s3.get", counts.summarize_gets),
        Line("S3 ListObjectsV2: Summarize finds the manifests", "s3.put", counts.summarize_lists),
        Line("S3 PutObject: Summarize writes the rejects", "s3.put", counts.summarize_puts),
        Line("EventBridge: S3 Object Created (default bus)", "events.aws_service", counts.aws_events),
        Line(
            f"CloudWatch Logs GB: state machine ({level}, {data} execution data)",
            "logs.ingest_gb",
            (counts.parent_log_bytes + counts.child_log_bytes) / 1e9,
            estimate=True,
            note="sized from the history events",
        ),
        Line(
            "CloudWatch Logs GB: Lambda",
            "logs.ingest_gb",
            (counts.transform_requests + counts.summarize_requests + writer_calls) * LAMBDA_LOG_BYTES / 1e9,
            estimate=True,
            note=f"{LAMBDA_LOG_BYTES} bytes per invocation",
        ),
    ]
    if settings.tracing:
        out.append(Line("X-Ray traces: one per execution", "xray.trace", counts.executions, estimate=True))
    return out
