"""Distributed Map: read items (ItemReader), select and batch them, run each batch as a child execution.

As on AWS: ItemSelector is applied to every item (with `$$.Map.Item.Index/Value`) before ItemBatcher groups
them; each child execution has its own ARN and history and shows up in ListExecutions(mapRunArn); the Map Run
fails with States.ExceedToleratedFailureThreshold once failed items exceed ToleratedFailurePercentage/Count;
ResultWriter exports the children's results to S3. A redrive of the parent reruns only the children that did
not succeed, keeping their ARNs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workflow.engine import errors
from workflow.engine.asl import Dynamic, Map
from workflow.engine.asl.fields import NumberOrExpression
from workflow.engine.errors import StatesError
from workflow.engine.map_feed import SlotFeed
from workflow.engine.map_run import ChildSlot, MapRun
from workflow.engine.paths import apply_input_path
from workflow.engine.states import data_flow
from workflow.engine.states.map_items import map_items, max_concurrency, select_item
from workflow.engine.states.runtime import Aborted, CancelToken, Scope, run_concurrently
from workflow.engine.states.step import Outcome, StateRun, next_of
from workflow.engine.statuses import REDRIVABLE_MAP_RUN, UNSUCCESSFUL
from workflow.engine.template import evaluate_template

if TYPE_CHECKING:
    from workflow.engine.states.engine_view import EngineView

THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


@dataclass(frozen=True)
class MapInputs:
    """What the Map's fields are evaluated against: the state, its input as given (`raw`) and after
    InputPath (`effective`), the context object and the variables as they were when the state started."""

    state: Map
    raw: Any
    effective: Any
    ctx: Mapping[str, Any]
    variables: Mapping[str, Any]


def _evaluated_block(inputs: MapInputs, block: Mapping[str, Any]) -> dict[str, Any]:
    """ItemReader/ResultWriter with their Parameters (JSONPath) or Arguments (JSONata) evaluated."""
    state, effective, ctx, variables = inputs.state, inputs.effective, inputs.ctx, inputs.variables
    out = dict(block)
    if state.jsonata and "Arguments" in block:
        out["Arguments"] = data_flow.jsonata(
            block["Arguments"], data_flow.states_var(inputs.raw, ctx), variables, "Arguments"
        )
        out["Parameters"] = out["Arguments"]
    elif "Parameters" in block:
        out["Parameters"] = evaluate_template(
            block["Parameters"], effective, context=ctx, variables=variables, error=errors.RUNTIME
        )
    config = dict(out.get("ReaderConfig") or {})
    if "MaxItemsPath" in config:
        from workflow.engine.paths import evaluate_path

        config["MaxItems"] = evaluate_path(
            config.pop("MaxItemsPath"), effective, context=ctx, variables=variables
        )
    elif state.jsonata and isinstance(config.get("MaxItems"), str):
        config["MaxItems"] = data_flow.jsonata(
            config["MaxItems"], data_flow.states_var(inputs.raw, ctx), variables, "MaxItems"
        )
    if config:
        out["ReaderConfig"] = config
    return out


def _source_items(inputs: MapInputs, scope: Scope) -> Iterator[Any]:
    state = inputs.state
    if state.item_reader is None:
        yield from map_items(state, inputs.raw, inputs.effective, inputs.ctx, inputs.variables)
        return
    from workflow.engine.item_reader import read_items

    reader = _evaluated_block(inputs, state.item_reader.raw)
    try:
        yield from read_items(reader, scope.engine.backend)
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError(errors.ITEM_READER_FAILED, f"{type(exc).__name__}: {exc}") from exc


def _number(inputs: MapInputs, field: Dynamic[NumberOrExpression]) -> float | None:
    """A Map field that is a number, a `...Path` or a JSONata expression, evaluated."""
    return data_flow.dynamic_number(
        inputs.state, field, inputs.effective, inputs.ctx, inputs.variables, inputs.raw
    )


def _batcher_settings(inputs: MapInputs) -> tuple[int | None, int | None, Any]:
    state, ctx, variables = inputs.state, inputs.ctx, inputs.variables
    batcher = state.item_batcher
    assert batcher is not None
    max_items = _number(inputs, batcher.max_items_per_batch)
    max_bytes = _number(inputs, batcher.max_input_bytes_per_batch)
    batch_input: Any = None
    if batcher.batch_input is not None:
        if state.jsonata:
            batch_input = data_flow.jsonata(
                batcher.batch_input.value, data_flow.states_var(inputs.raw, ctx), variables, "BatchInput"
            )
        else:
            batch_input = evaluate_template(
                batcher.batch_input.value,
                inputs.effective,
                context=ctx,
                variables=variables,
                error=errors.RUNTIME,
            )
    return (int(max_items) if max_items else None, int(max_bytes) if max_bytes else None, batch_input)


def _slots(inputs: MapInputs, scope: Scope) -> SlotFeed:
    """The child inputs as JSON text, prefetched up to SPILL_BYTES; the rest streams (map_feed.py)."""
    state = inputs.state
    selected = (
        select_item(state, inputs.raw, inputs.effective, inputs.ctx, inputs.variables, i, item)
        for i, item in enumerate(_source_items(inputs, scope))
    )
    if state.item_batcher is None:
        from workflow.engine.history import payload

        return _keep(scope, ((payload(value), 1) for value in selected))
    from workflow.engine.batcher import batch_texts

    max_items, max_bytes, batch_input = _batcher_settings(inputs)
    return _keep(
        scope, batch_texts(selected, max_items=max_items, max_bytes=max_bytes, batch_input=batch_input)
    )


def _keep(scope: Scope, texts: Iterator[tuple[str, int]]) -> SlotFeed:
    """Slots for the child inputs: in memory up to SPILL_BYTES of JSON, past that all in the store."""
    from workflow.engine import map_run as map_run_module

    def put_many(rows: list[tuple[str, str]]) -> None:
        scope.engine.store.put_many(rows)  # the store is created only when a Map Run needs it

    return SlotFeed(texts, put_many, map_run_module.SPILL_BYTES).prefetch()


def tolerance(inputs: MapInputs) -> tuple[float, int, tuple[bool, bool]]:
    """ToleratedFailurePercentage and ToleratedFailureCount evaluated (0 when absent), and whether each was
    given (with neither, any failure fails the Map Run)."""
    pct = _number(inputs, inputs.state.tolerated_failure_percentage)
    count = _number(inputs, inputs.state.tolerated_failure_count)
    if pct is not None and not 0 <= pct <= 100:
        raise StatesError(errors.RUNTIME, "ToleratedFailurePercentage must be between 0 and 100")
    if count is not None and count < 0:
        raise StatesError(errors.RUNTIME, "ToleratedFailureCount must be a non-negative integer")
    return float(pct or 0), int(count or 0), (pct is not None, count is not None)


def run_distributed_map(state: Map, raw_input: Any, scope: Scope, run: StateRun) -> Outcome:
    engine, ex = scope.engine, scope.execution
    ctx, variables = run.context(scope), scope.variables.snapshot()
    effective = (
        raw_input
        if state.jsonata
        else apply_input_path(raw_input, state.jsonpath_io.input_path, context=ctx, variables=variables)
    )
    inputs = MapInputs(state, raw_input, effective, ctx, variables)
    key = f"{scope.path}/{state.name}"
    previous = engine.map_runs.get(ex.map_runs.get(key, ""))
    feed: SlotFeed | None = None  # the fresh run's inputs, still being read when the file is large
    if ex.redriving and previous is not None and previous.status in REDRIVABLE_MAP_RUN:
        map_run = previous
        engine.redrive_map_run(map_run)
        scope.event("MapStateStarted", {"length": len(map_run.slots)})
        scope.event("MapRunRedriven", {"mapRunArn": map_run.arn, "redriveCount": map_run.redrive_count})
    else:
        feed = _slots(inputs, scope)
        slots, spilled = feed.slots, feed.spilled
        pct, count, given = tolerance(inputs)
        concurrency = max_concurrency(state, effective, ctx, variables, raw_input)
        assert state.processor is not None
        map_run = engine.create_map_run(ex, state, slots, concurrency, pct, count, given, spilled)
        ex.map_runs[key] = map_run.arn
        scope.event("MapStateStarted", {"length": feed.length})
        scope.event("MapRunStarted", {"mapRunArn": map_run.arn})
    run.fanout_started = True  # run_state writes MapStateFailed after the last attempt
    _run_children(map_run, scope, feed)
    failed = map_run.threshold_exceeded()
    result: Any = None
    writer_error: StatesError | None = None
    if state.result_writer is not None:
        try:
            result = _write_results(inputs, map_run, scope)
        except StatesError as err:
            writer_error = err
    else:
        result = [_child_output(engine, map_run, index) for index in range(len(map_run.slots))]
    error = (errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, THRESHOLD_CAUSE) if failed else None
    if error is None and writer_error is not None:
        error = (writer_error.error, writer_error.cause)
    engine.finish_map_run(map_run, "FAILED" if error else "SUCCEEDED", *(error or (None, None)))
    if error is not None:
        scope.event("MapRunFailed", {"error": error[0], "cause": error[1]})
        raise StatesError(*error)
    scope.event("MapRunSucceeded")
    scope.event("MapStateSucceeded")
    output = data_flow.finish(state, scope, raw_input=raw_input, result=result, ctx=ctx, variables=variables)
    return Outcome(output, next_of(state))


def _child_output(engine: EngineView, map_run: MapRun, index: int) -> Any:
    record = engine.child_record(map_run, index)
    if record is None:
        return None
    if record.status == "SUCCEEDED":
        return engine.output_of(record)
    return {"Error": record.error, "Cause": record.cause}


def _run_children(map_run: MapRun, scope: Scope, feed: SlotFeed | None = None) -> None:
    """Start the children that have not succeeded, at most MaxConcurrency at a time; stop at the threshold.
    A streaming feed starts them while the rest of the input is read (map_feed.py)."""
    engine = scope.engine
    group = scope.cancel.child()
    todo = [slot for slot in map_run.slots if slot.status != "SUCCEEDED"]

    def one(slot: ChildSlot) -> None:
        if group.cancelled:
            return
        engine.run_map_child(map_run, slot, group)
        if slot.status in UNSUCCESSFUL and map_run.threshold_exceeded():
            group.cancel()  # the run fails: abort the running children, start no more

    if feed is not None and not feed.done:
        _run_fed(map_run, scope, feed, one, group)
    else:
        run_concurrently(one, todo, map_run.max_concurrency, "sfn-map-run")
    if feed is not None:
        map_run.read_seconds = feed.read_seconds
    if scope.cancel.cancelled:
        engine.finish_map_run(map_run, "ABORTED", None, None)
        raise Aborted()


def _run_fed(
    map_run: MapRun, scope: Scope, feed: SlotFeed, one: Callable[[ChildSlot], None], group: CancelToken
) -> None:
    """Run the children of a streaming feed; a reader failure fails the Map Run (MapRunFailed) and, like a
    stop during the read, leaves a partial run that a redrive does not reuse (it reads the file again)."""
    map_run.reading = True
    try:
        feed.run(one, map_run.max_concurrency, group, lambda: scope.cancel.cancelled, "sfn-map-run")
    except StatesError as err:
        scope.execution.map_runs.pop(f"{scope.path}/{map_run.state_name}", None)
        scope.engine.finish_map_run(map_run, "FAILED", err.error, err.cause)
        scope.event("MapRunFailed", {"error": err.error, "cause": err.cause})
        raise
    finally:
        map_run.reading = False
    if feed.partial:
        scope.execution.map_runs.pop(f"{scope.path}/{map_run.state_name}", None)


def _write_results(inputs: MapInputs, map_run: MapRun, scope: Scope) -> Any:
    """Export the children's results to S3; with only a WriterConfig (no Resource) the transformed results
    become the state's output instead (ResultWriter doc)."""
    from workflow.engine.result_writer import ChildResult, transform_output, write_results

    state = inputs.state
    assert state.result_writer is not None
    block = _evaluated_block(inputs, state.result_writer.raw)
    params = block.get("Parameters") or {}
    engine = scope.engine

    def children() -> Iterator[ChildResult]:
        """One child at a time (its input and output read back from the store for a large run)."""
        for index in range(len(map_run.slots)):
            record = engine.child_record(map_run, index)
            if record is None:
                continue
            input_text, output_text = engine.io_text(record)
            yield ChildResult(
                execution_arn=record.arn,
                name=record.name,
                state_machine_arn=record.state_machine_arn,
                status=record.status,
                input=input_text,
                output=output_text if record.status == "SUCCEEDED" and output_text != "null" else None,
                error=record.error,
                cause=record.cause,
                start_date=record.start_date,
                stop_date=record.stop_date,
                redrive_count=record.redrive_count,
                redrive_status="REDRIVABLE_BY_MAP_RUN" if record.status in UNSUCCESSFUL else "NOT_REDRIVABLE",
            )

    started = sum(1 for slot in map_run.slots if slot.started)
    config = block.get("WriterConfig") or {}
    if "Resource" not in block:
        transformation = str(config.get("Transformation", "NONE"))
        return [value for child in children() for value in transform_output(child, transformation)]
    bucket = params.get("Bucket")
    if not isinstance(bucket, str):  # the validator requires it; a path may still resolve to another type
        raise StatesError(errors.RESULT_WRITER_FAILED, f"ResultWriter's Bucket must be a string: {bucket!r}")
    try:
        details = write_results(
            scope.engine.backend,
            bucket=bucket,
            prefix=params.get("Prefix", ""),
            map_run_arn=map_run.arn,
            children=children(),
            writer_config=block.get("WriterConfig"),
        )
    except StatesError:
        raise
    except Exception as exc:
        raise StatesError(errors.RESULT_WRITER_FAILED, f"{type(exc).__name__}: {exc}") from exc
    map_run.results_written = started
    return {"MapRunArn": map_run.arn, "ResultWriterDetails": details}
