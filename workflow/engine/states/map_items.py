"""What both Map modes read from the state the same way: the items, each item's selection, MaxConcurrency."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workflow.engine import errors
from workflow.engine.asl import Map
from workflow.engine.errors import StatesError
from workflow.engine.json_format import compact_json
from workflow.engine.jsonata_eval import expression_body, is_jsonata_expression
from workflow.engine.paths import evaluate_path
from workflow.engine.states import data_flow
from workflow.engine.template import evaluate_template


def map_items(
    state: Map, raw_input: Any, effective: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any]
) -> list[Any]:
    """The array to iterate: ItemsPath (JSONPath, default `$`) or Items (JSONata, default the input)."""
    items_field = state.items if state.jsonata else None
    if items_field is not None:
        states = data_flow.states_var(raw_input, ctx)
        items = data_flow.jsonata(items_field.value, states, variables, "Items")
        if not isinstance(items, list):
            raise _items_type_error(items_field.value, items)
    elif state.jsonata:
        items = raw_input
    else:
        items = evaluate_path(_items_path(state), effective, context=ctx, variables=variables)
    if not isinstance(items, list):
        raise StatesError(
            errors.RUNTIME,
            f"Map state '{state.name}': the items to process must be a JSON "
            f"array, got {type(items).__name__}",
        )
    return items


def _items_path(state: Map) -> str:
    if state.items_path is None:  # validation rejects a null or non-string ItemsPath
        raise StatesError(errors.RUNTIME, f"Map state '{state.name}': ItemsPath must be a JSONPath")
    return state.items_path


def _items_type_error(expression: Any, items: Any) -> StatesError:
    """AWS's error for JSONata Items that are not an array: a States.QueryEvaluationError naming the field."""
    if isinstance(items, str):
        shown, kind = json.dumps(items), "string"
    elif isinstance(items, bool):
        shown, kind = json.dumps(items), "boolean"
    elif isinstance(items, int | float):
        shown, kind = json.dumps(items), "number"
    elif isinstance(items, dict):
        shown, kind = compact_json(items, ensure_ascii=True), "object"
    else:
        shown, kind = "null", "null"
    expr = expression_body(expression) if is_jsonata_expression(expression) else json.dumps(expression)
    return StatesError(
        errors.QUERY_EVALUATION_ERROR,
        f"The JSONata expression '{expr}' specified for the field 'Items' returned an unexpected result "
        f"type. Expected 'array', but was '{kind}' for value: {shown}",
        location="Items",
    )


def select_item(
    state: Map,
    raw_input: Any,
    effective: Any,
    ctx: Mapping[str, Any],
    variables: Mapping[str, Any],
    index: int,
    value: Any,
    key: str | None = None,
) -> Any:
    """ItemSelector (or the legacy Parameters) with `$$.Map.Item.Index/Value` (and Key for object items)."""
    selector = state.item_selector
    if selector is None:
        return value
    item: dict[str, Any] = {"Index": index, "Value": value}
    if key is not None:
        item["Key"] = key
    item_ctx = {**ctx, "Map": {"Item": item}}
    if state.jsonata:
        states = data_flow.states_var(raw_input, item_ctx)
        return data_flow.jsonata(selector.value, states, variables, state.item_selector_field)
    return evaluate_template(
        selector.value, effective, context=item_ctx, variables=variables, error=errors.RUNTIME
    )


def max_concurrency(
    state: Map, effective: Any, ctx: Mapping[str, Any], variables: Mapping[str, Any], raw_input: Any
) -> int:
    """MaxConcurrency(Path); a MaxConcurrencyPath value that is not a non-negative integer fails the state
    before any iteration runs (AWS's wording, as LocalStack reproduces it from its recordings)."""
    path = state.max_concurrency.path
    if path is not None and not state.jsonata:
        found = evaluate_path(path, effective, context=ctx, variables=variables)
        if isinstance(found, bool) or not isinstance(found, int):
            shown = found if isinstance(found, str) else compact_json(found, ensure_ascii=True)
            raise StatesError(
                errors.RUNTIME,
                f'The MaxConcurrencyPath field refers to value "{shown}" which is not a valid integer: '
                f"{path}",
            )
        if found < 0:
            raise StatesError(
                errors.RUNTIME, f"Expected non-negative integer for MaxConcurrency, got '{found}' instead."
            )
        return found
    value = data_flow.dynamic_number(
        state, state.max_concurrency, effective, ctx, variables, raw_input=raw_input, default=0
    )
    return int(value or 0)
