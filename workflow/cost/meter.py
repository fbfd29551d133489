"""Count what one execution is billed for on AWS, from the Step Functions API alone.

`count(recorded)` turns the recorded execution (its history, its Map Runs and each child's history) into
`Counts`; `projection.project(counts, rows)` scales those counts to a file of `rows` rows cut into full
batches; `billing.lines()` turns counts into billed units, one `Line` per thing AWS meters. Nothing here calls
AWS (`collect.py` does).

Where the API cannot tell (the writer runs outside the state machine; the ledger's records; log sizes), the
line is an estimate or a model, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from workflow.config import PipelineConfig
from workflow.cost import history
from workflow.cost.item_size import item_size, stored_item, write_units

# The CDK app deploys every function on Arm (infra/settings.py DeploySettings.architecture = ARM_64).
LAMBDA_ARCHITECTURE = "arm64"
SQS_CHUNK_BYTES = 64 * 1024  # "each 64 KB chunk of a payload is billed as 1 request" (SQS pricing page)
LAMBDA_LOG_BYTES = 800  # START, END, REPORT lines plus one structured handler line per invocation
LEDGER_RECORD_BYTES = 400  # a per-batch ledger record without its rejects/conflicts details
STATE_FUNCTIONS = {"Transform": "transform", "Summarize": "summarize"}
WRITER_MODES = ("insert", "conditional-put", "read-then-write")  # insert: tasks/writer today
LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")


@dataclass(frozen=True)
class ChildRecord:
    """One child execution of a Distributed Map: its status, redrives and full history."""

    arn: str
    status: str
    events: Sequence[history.Event]
    redrive_count: int = 0


@dataclass(frozen=True)
class MapRunRecord:
    """A Map Run and the children read; `total_children` > len(children) when only a sample was read."""

    arn: str
    description: dict[str, Any]
    children: Sequence[ChildRecord]
    total_children: int | None = None


@dataclass(frozen=True)
class RecordedExecution:
    """Everything the meter reads: DescribeExecution, GetExecutionHistory, ListMapRuns + children."""

    arn: str
    description: dict[str, Any]
    events: Sequence[history.Event]
    map_runs: Sequence[MapRunRecord] = ()
    state_machine: dict[str, Any] | None = None  # DescribeStateMachineForExecution (logging, tracing)


@dataclass(frozen=True)
class MeterSettings:
    """How the deployment is set up; the defaults are the CDK app's defaults."""

    config: PipelineConfig = field(default_factory=PipelineConfig)
    architecture: str = LAMBDA_ARCHITECTURE
    writer: str = "insert"
    ledger: bool = True
    log_level: str = ""  # "": the config's state_machine_log_level (infra StateMachineLogLevel default)
    log_data: bool = True  # config state_machine_log_execution_data (infra StateMachineLogExecutionData)
    tracing: bool = True  # config state_machine_tracing (infra StateMachineTracing)

    def __post_init__(self) -> None:
        if not self.log_level:
            object.__setattr__(self, "log_level", self.config.state_machine_log_level)
        if self.writer not in WRITER_MODES:
            raise ValueError(f"writer must be one of {', '.join(WRITER_MODES)}, not {self.writer!r}")
        if self.log_level.upper() not in LOG_LEVELS:
            raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        if self.architecture not in ("arm64", "x86_64"):
            raise ValueError(f"architecture must be arm64 or x86_64, not {self.architecture!r}")


@dataclass
class Counts:
    """Billed quantities of one file, before pricing. Totals, not averages."""

    rows: int = 0
    rows_written: int = 0
    batches: int = 0
    parent_transitions: int = 0
    child_starts: int = 0
    child_transitions: int = 0
    transform_requests: int = 0
    transform_ms: int = 0
    summarize_requests: int = 0
    summarize_ms: int = 0
    other_lambda_requests: int = 0
    other_lambda_ms: int = 0
    writer_messages: int = 0
    writer_wait_ms: int = 0
    sqs_send_chunks: int = 0
    sqs_receive_chunks: int = 0
    message_bytes: int = 0
    message_fixed_bytes: int = 0
    items_enqueued: int = 0
    item_write_units: int = 0
    new_rows_written: int = 0
    taken_keys: int = 0  # items an INSERT found already stored (duplicates, conflicts): read back once
    ledger_batch_units: int = 0
    ledger_file_units: int = 0
    ledger_read_bytes: int = 0
    # DynamoDB requests made by Task states themselves: the parent's (the ledger's registration), per file,
    # and the children's, per batch
    state_table_writes: int = 0
    state_table_reads: int = 0
    child_table_writes: int = 0
    child_table_reads: int = 0
    reader_gets: int = 0
    result_puts: int = 0
    summarize_gets: int = 0
    summarize_lists: int = 0
    summarize_puts: int = 0
    aws_events: int = 0
    parent_log_bytes: int = 0
    child_log_bytes: int = 0
    child_log_fixed_bytes: int = 0
    batch_input_bytes: int = 0
    executions: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Line:
    """One billed quantity: what it is, its unit's price key, how many; estimates are labelled."""

    label: str
    price_key: str
    quantity: float
    estimate: bool = False
    note: str = ""


def function_key(call: history.LambdaCall, config: PipelineConfig) -> str:
    """Which configured function a call went to: by name (twin), by state, or by key in a generated name."""
    for spec in config.functions:
        if call.function == spec.name:
            return spec.key
    if call.state in STATE_FUNCTIONS:
        return STATE_FUNCTIONS[call.state]
    compact = call.function.lower().replace("-", "").replace("_", "")
    for spec in config.functions:
        if spec.key.replace("_", "") in compact:
            return spec.key
    return "other"


def _add_calls(counts: Counts, events: Sequence[history.Event], config: PipelineConfig) -> None:
    for call in history.lambda_calls(events):
        key = function_key(call, config)
        if key in ("transform", "summarize"):
            setattr(counts, f"{key}_requests", getattr(counts, f"{key}_requests") + 1)
            setattr(counts, f"{key}_ms", getattr(counts, f"{key}_ms") + call.duration_ms)
        else:
            counts.other_lambda_requests += 1
            counts.other_lambda_ms += call.duration_ms


def _add_table_calls(counts: Counts, events: Sequence[history.Event], child: bool = False) -> None:
    scope = "child" if child else "state"
    for call in history.table_calls(events):
        name = f"{scope}_table_{'writes' if call.writes else 'reads'}"
        setattr(counts, name, getattr(counts, name) + 1)


def _add_sends(counts: Counts, child: ChildRecord, output: Any) -> None:
    """SQS sizes and the DynamoDB items of the batch's messages (the writer writes each item once)."""
    for send in history.queue_sends(child.events):
        counts.writer_messages += 1
        counts.writer_wait_ms += send.wait_ms or 0
        chunks = max(1, math.ceil(send.body_bytes / SQS_CHUNK_BYTES))
        counts.sqs_send_chunks += chunks
        counts.sqs_receive_chunks += chunks
        counts.message_bytes += send.body_bytes
        body = send.body if isinstance(send.body, dict) else history._json(send.body)
        if not isinstance(body, dict):
            continue
        items = [item for item in body.get("items") or [] if isinstance(item, dict)]
        counts.message_fixed_bytes += len(history.compact({**body, "items": []}).encode())
        given = body.get("source")
        source: dict[str, Any] = given if isinstance(given, dict) else {}
        units = [write_units(item_size(stored_item(item, source))) for item in items]
        counts.items_enqueued += len(items)
        counts.item_write_units += sum(units)
        if isinstance(output, dict) and items:
            new = max(0, int(output.get("written", 0)) - int(output.get("already_written", 0)))
            counts.new_rows_written += round(sum(units) * min(new, len(items)) / len(items))
            conflicts = output.get("conflicts")
            counts.taken_keys += int(output.get("duplicate", 0)) + (
                len(conflicts) if isinstance(conflicts, list) else 0
            )


def _ledger(counts: Counts, output: Any) -> None:
    """The ledger's per-batch record, modelled on the writer's: fixed fields plus rejects and conflicts."""
    detail: dict[str, Any] = {}
    if isinstance(output, dict):
        detail = {"rejects": output.get("rejects") or [], "conflicts": output.get("conflicts") or []}
    size = LEDGER_RECORD_BYTES + len(history.compact(detail).encode())
    counts.ledger_batch_units += write_units(size)
    counts.ledger_read_bytes += size


def _result_files(map_run: MapRunRecord) -> int:
    """ResultWriter's files: one per non-empty status (SUCCEEDED, FAILED, PENDING), plus manifest.json."""
    execution_counts = map_run.description.get("executionCounts") or {}
    if execution_counts:
        failed = sum(int(execution_counts.get(k, 0)) for k in ("failed", "timedOut", "aborted"))
        groups = [int(execution_counts.get("succeeded", 0)), failed, int(execution_counts.get("pending", 0))]
    else:
        statuses = [child.status for child in map_run.children]
        groups = [
            statuses.count("SUCCEEDED"),
            sum(s in ("FAILED", "TIMED_OUT", "ABORTED") for s in statuses),
            sum(s in ("PENDING", "RUNNING") for s in statuses),
        ]
    return 1 + sum(1 for n in groups if n)


def _count_child(counts: Counts, child: ChildRecord, settings: MeterSettings) -> int:
    """Adds one child execution's quantities; returns its rows (from its output, the batch's ledger line)."""
    steps = history.steps(child.events)
    # "you'll be charged one state transition for each child workflow execution that the Distributed
    # Map state starts" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html)
    counts.child_starts += 1 + child.redrive_count
    counts.child_transitions += steps.transitions
    counts.batches += 1
    counts.executions += 1
    counts.batch_input_bytes += len(history.execution_input(child.events).encode())
    _add_calls(counts, child.events, settings.config)
    _add_table_calls(counts, child.events, child=True)
    output = history.execution_output(child.events)
    _add_sends(counts, child, output)
    if settings.ledger and history.queue_sends(child.events):
        _ledger(counts, output)
    counts.child_log_bytes += history.log_bytes(
        child.events, settings.log_level, settings.log_data, child.arn
    )
    counts.child_log_fixed_bytes += history.log_bytes(child.events, settings.log_level, False, child.arn)
    return int(output.get("rows", 0)) if isinstance(output, dict) else 0


def count(recorded: RecordedExecution, settings: MeterSettings | None = None) -> Counts:
    """The billed quantities of one recorded execution (children scaled up when only a sample was read)."""
    settings = settings or MeterSettings()
    config = settings.config
    counts = Counts(aws_events=1, executions=1)
    parent = history.steps(recorded.events)
    counts.parent_transitions = parent.transitions
    _add_calls(counts, recorded.events, config)
    _add_table_calls(counts, recorded.events)
    counts.parent_log_bytes = history.log_bytes(
        recorded.events, settings.log_level, settings.log_data, recorded.arn
    )
    batch_rows = 0
    for map_run in recorded.map_runs:
        counts.reader_gets += 1 + int(map_run.description.get("redriveCount", 0))
        files = _result_files(map_run)
        counts.result_puts += files
        counts.summarize_gets += files
        run = Counts()
        run_rows = sum(_count_child(run, child, settings) for child in map_run.children)
        factor = 1.0
        if map_run.total_children and map_run.children:
            factor = map_run.total_children / len(map_run.children)
        for name, value in run.as_dict().items():
            setattr(counts, name, getattr(counts, name) + round(value * factor))
        batch_rows += round(run_rows * factor)
    summary = history._json(recorded.description.get("output")) or history.execution_output(recorded.events)
    summary = summary if isinstance(summary, dict) else {}
    counts.rows = int(summary.get("rows_total", batch_rows))
    counts.rows_written = int(summary.get("rows_written", 0))
    if counts.summarize_requests:
        counts.summarize_lists = 1  # it lists every manifest under results/<execution>/
        counts.summarize_puts = 1 if summary.get("rejects_location") else 0
    if settings.ledger and counts.batches:
        counts.ledger_file_units = 1
    return counts
