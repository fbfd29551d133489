"""ItemBatcher, as "ItemBatcher (Map)" in the AWS Step Functions developer guide describes it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.engine.batcher import batch_items
from workflow.engine.errors import StatesError
from workflow.engine.quotas import PAYLOAD_BYTES


def size(batch: dict[str, Any]) -> int:
    return len(json.dumps(batch, separators=(",", ":"), ensure_ascii=False).encode())


def test_items_are_wrapped_in_an_items_array() -> None:
    """ "If you use batching, Step Functions adds the items to an Items array"."""
    assert list(batch_items([1, 2, 3], max_items=2, max_bytes=None)) == [{"Items": [1, 2]}, {"Items": [3]}]


def test_batch_input_is_added_to_every_batch() -> None:
    """BatchInput: fixed JSON input included in each batch passed to each child workflow execution."""
    batches = list(batch_items(["a", "b", "c"], max_items=2, max_bytes=None, batch_input={"k": 1}))
    assert batches == [
        {"Items": ["a", "b"], "BatchInput": {"k": 1}},
        {"Items": ["c"], "BatchInput": {"k": 1}},
    ]


def test_no_items_no_batches() -> None:
    assert list(batch_items([], max_items=5, max_bytes=None)) == []


def test_order_is_kept_and_nothing_is_lost() -> None:
    items = [{"i": i, "pad": "x" * (i % 37)} for i in range(1000)]
    batches = list(batch_items(items, max_items=7, max_bytes=600))
    assert [item for b in batches for item in b["Items"]] == items
    assert all(len(b["Items"]) <= 7 and size(b) <= 600 for b in batches)


def test_byte_limit_reduces_the_item_count() -> None:
    """With both limits "Step Functions reduces the number of items in a batch" to stay under the bytes."""
    items = ["x" * 98] * 10  # 100 bytes each as JSON
    batches = list(batch_items(items, max_items=10, max_bytes=350))
    assert [len(b["Items"]) for b in batches] == [3, 3, 3, 1]
    assert all(size(b) <= 350 for b in batches)


def test_batches_are_filled_up_to_the_exact_byte_limit() -> None:
    items = ["x" * 98] * 4  # {"Items":[...]} = 12 + 4*100 + 3 commas = 415 bytes
    assert [len(b["Items"]) for b in batch_items(items, max_items=None, max_bytes=415)] == [4]
    assert [len(b["Items"]) for b in batch_items(items, max_items=None, max_bytes=414)] == [3, 1]


def test_bytes_count_utf8_not_characters() -> None:
    items = ["é" * 10] * 4  # 20 bytes of UTF-8 + 2 quotes each
    batches = list(batch_items(items, max_items=None, max_bytes=12 + 22 * 2 + 1))
    assert [len(b["Items"]) for b in batches] == [2, 2]


def test_batch_input_counts_towards_the_byte_limit() -> None:
    bi = {"bucket": "b" * 50}
    for b in batch_items(["x" * 40] * 20, max_items=None, max_bytes=300, batch_input=bi):
        assert size(b) <= 300


def test_default_byte_limit_is_the_256_kib_payload_quota() -> None:
    """Without MaxInputBytesPerBatch, batches still stay under the 256 KiB limit."""
    items = ["y" * 1000] * 600
    batches = list(batch_items(items, max_items=None, max_bytes=None))
    assert len(batches) == 3
    assert all(size(b) <= PAYLOAD_BYTES for b in batches)


def test_item_larger_than_the_limit_fails_with_its_position() -> None:
    with pytest.raises(StatesError) as err:
        list(batch_items(["ok", "z" * 500, "ok"], max_items=None, max_bytes=200))
    assert err.value.error == "States.DataLimitExceeded"
    assert "Item 1" in err.value.cause


@pytest.mark.parametrize(
    ("max_items", "max_bytes"),
    [(0, None), (-1, None), (None, 0), (True, None), (None, PAYLOAD_BYTES + 1), (1.5, None)],
)
def test_invalid_limits_fail(max_items: Any, max_bytes: Any) -> None:
    """MaxItemsPerBatch must be a positive integer; MaxInputBytesPerBatch a positive integer up to 256 KiB."""
    with pytest.raises(StatesError) as err:
        list(batch_items([1], max_items=max_items, max_bytes=max_bytes))
    assert err.value.error == "States.Runtime"


def test_batches_are_produced_lazily() -> None:
    """Items are consumed as batches are taken, so a streamed file is never held whole."""
    consumed: list[int] = []

    def items() -> Any:
        for i in range(100):
            consumed.append(i)
            yield i

    first = next(batch_items(items(), max_items=10, max_bytes=None))
    assert first["Items"] == list(range(10))
    assert len(consumed) == 11  # the 11th item showed the first batch was full


def test_batch_texts_are_the_compact_json_of_the_batches() -> None:
    """The texts a Map Run keeps (out of memory) decode to exactly the batches batch_items yields."""
    from workflow.engine.batcher import batch_texts

    items = [{"index": i, "row": {"a": "é" * (i % 3), "n": i / 3}} for i in range(40)]
    for batch_input in (None, {"bucket": "b", "key": "k"}):
        expected = list(batch_items(items, max_items=7, max_bytes=600, batch_input=batch_input))
        texts = list(batch_texts(items, max_items=7, max_bytes=600, batch_input=batch_input))
        assert [json.loads(text) for text, _ in texts] == expected
        assert [count for _, count in texts] == [len(b["Items"]) for b in expected]
        assert [text for text, _ in texts] == [
            json.dumps(b, separators=(",", ":"), ensure_ascii=False) for b in expected
        ]
