"""A full default batch of the sample's largest row fits Step Functions' 256 KiB payload at every step.

"When sending or receiving data between services, the maximum input or result for a task is 256 KiB of data
as a UTF-8 encoded string" (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html, quota for
input or result data; the same 256 KiB holds for every state's input and output, service-quotas.html). SQS
itself takes 1 MiB. Sizes are compact JSON, as the engine's ItemBatcher and Step Functions count them; row
numbers of a million-row file (7 digits) and a task token of the API's maximum length (2,048) make them
upper bounds. README "Tuning" quotes the margins these tests measure.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from workflow.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD_LIMIT = 256 * 1024
LAMBDA_ENVELOPE = 2_048  # lambda:invoke's result wraps the Payload: StatusCode, ExecutedVersion, Sdk*Metadata
TOKEN = "t" * 2_048
SOURCE = {"bucket": "csv-etl-data", "key": "incoming/data.csv", "execution": "0" * 36}
BATCH_INPUT = {**SOURCE, "etag": "0" * 32}
FIRST_INDEX = 998_000  # rows of a million-row file


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def transform_batch(child_input: dict[str, Any]) -> dict[str, Any]:
    folder = str(ROOT / "tasks" / "transform")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import transform_handler

    return transform_handler.transform_batch(child_input)


def sample_rows() -> list[dict[str, str]]:
    """Every data row of sample_data/*.csv as the CSV ItemReader gives it (strings; a missing field empty)."""
    rows = []
    for path in sorted((ROOT / "sample_data").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            names = list(reader.fieldnames or [])
            rows += [{name: row.get(name) or "" for name in names} for row in reader]
    return rows


def child_sizes(row: dict[str, str], count: int) -> dict[str, int]:
    """Bytes of each payload of one child whose batch is `count` copies of `row`."""
    items = [{"index": FIRST_INDEX + i, "row": row} for i in range(count)]
    child_input = {"BatchInput": BATCH_INPUT, "Items": items}
    result = transform_batch(child_input)
    message = {"taskToken": TOKEN, "etag": BATCH_INPUT["etag"], **result}
    message.pop("valid")
    return {
        "child input (ItemBatcher)": compact(child_input),
        "Transform result (lambda:invoke)": compact(result) + LAMBDA_ENVELOPE,
        "Enqueue parameters (the SQS message)": compact({"QueueUrl": "q" * 100, "MessageBody": message}),
    }


def largest_sample_row() -> dict[str, str]:
    return max(sample_rows(), key=lambda row: compact({"index": FIRST_INDEX, "row": row}))


def test_800_copies_of_any_sample_row_fit_every_payload_with_a_fifth_to_spare() -> None:
    """The largest: data_bad_msg.csv's row, 192 bytes as an item: 800 copies are 151 KiB of input and a
    182 KiB Transform result, 28% under the limit (README, Tuning)."""
    config = PipelineConfig()
    assert config.max_items_per_batch == 800
    rows = sample_rows()
    widest = max(rows, key=lambda row: compact({"index": FIRST_INDEX, "row": row}))
    growing = max(rows, key=lambda row: child_sizes(row, 1)["Transform result (lambda:invoke)"])
    largest: dict[str, int] = {}
    for row in (widest, growing):
        sizes = child_sizes(row, config.max_items_per_batch)
        assert sizes["child input (ItemBatcher)"] <= config.max_input_bytes_per_batch, "the cap lets 800 by"
        largest = {name: max(size, largest.get(name, 0)) for name, size in sizes.items()}
    for name, size in largest.items():
        assert size <= 0.8 * PAYLOAD_LIMIT, f"{name}: {size} bytes"


def test_a_batch_cut_by_the_byte_cap_fits_even_for_rows_that_grow_most() -> None:
    """MaxInputBytesPerBatch (160 KiB) bounds the batch's input; the transform's output per row is at most
    about 1.25 times its input for valid rows (the sample's narrowest rows grow most), so 160 KiB of input
    stays under 256 KiB however wide the rows."""
    config = PipelineConfig()
    narrow = largest_sample_row()
    wide = {**narrow, "location": "x" * 900}
    for row in (narrow, wide):
        per_row = compact({"index": FIRST_INDEX, "row": row}) + 1
        rows = min(config.max_items_per_batch, (config.max_input_bytes_per_batch - 200) // per_row)
        sizes = child_sizes(row, rows)
        assert sizes["child input (ItemBatcher)"] <= config.max_input_bytes_per_batch
        for name, size in sizes.items():
            assert size < PAYLOAD_LIMIT, f"{rows} rows: {name}: {size} bytes"


@pytest.mark.parametrize("rows", [500, 800])
def test_a_batch_of_blank_rows_fits_the_payload_with_room_to_spare(rows: int) -> None:
    """README, Tuning: a row whose seven fields are all empty (a spreadsheet's trailing `,,,,,,` lines) is one
    reject with one reason, so a whole batch of them stays far below Step Functions' 256 KiB payload limit
    (with seven reasons each, 800 of them made a 364 KB Transform result: States.DataLimitExceeded)."""
    blank = dict.fromkeys(largest_sample_row(), "")
    result_size = child_sizes(blank, rows)["Transform result (lambda:invoke)"]
    assert result_size < PAYLOAD_LIMIT // 2, result_size
