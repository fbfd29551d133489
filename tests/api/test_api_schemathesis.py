"""Schemathesis against the served local gateway: generated requests, valid and invalid, for every operation
of workflow/definition/openapi.json. All of schemathesis' checks run: no 5xx, every status documented,
every response body, content type and header matching the document, invalid input rejected, valid input
accepted, requests without the key refused.

(schemathesis' pytest plugin loader `from_fixture` breaks on pytest 9, so each operation's Hypothesis
strategy is driven directly; examples are bounded so the whole file runs in well under a minute.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from tests.api.api_helpers import API_KEY, Served, pipeline_item
from workflow.twin.gateway import OPENAPI_PATH

# The key through schemathesis' OpenAPI-aware auth, so it also sends requests without it (expecting 403).
CONFIG = SchemathesisConfig.from_dict({"auth": {"openapi": {"api_key": {"api_key": API_KEY}}}})
SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_PATH), config=CONFIG)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
# API_FUZZ_SCALE=10 runs ten times the examples (a longer hunt, outside the default suite's time budget).
SCALE = int(os.environ.get("API_FUZZ_SCALE", "1"))
EXAMPLES = {GenerationMode.POSITIVE: 25 * SCALE, GenerationMode.NEGATIVE: 15 * SCALE}


def test_every_operation_is_exercised() -> None:
    assert sorted(OPERATIONS) == [
        "DELETE /message/{date}",
        "GET /message",
        "GET /message/{date}",
        "POST /message",
        "PUT /message/{date}",
    ]


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=str)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_conforms_to_the_openapi_document(
    api: Served, table: Any, label: str, mode: GenerationMode
) -> None:
    operation = OPERATIONS[label]
    # Messages as the pipeline writes them, at keys the generators like to draw (their minimal date and
    # time), so reads, updates, deletes and conflicts are hit and not only 404s.
    for date in ("2000-01-01", "2019-05-28"):
        for time in ("00:00:00", "00:00:01", "10:55:09.3853335"):
            table.put_item(Item=pipeline_item(date=date, time=time))

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def check(case: Any) -> None:
        if mode is GenerationMode.POSITIVE and case.query:
            # `next` is opaque: only tokens the API handed out are valid, and those cannot be generated
            # (random ones are rightly 400; see the handler tests for pagination).
            case.query.pop("next", None)
        if mode is GenerationMode.NEGATIVE and case.query:
            # requests drops query values that are None or empty lists, which can turn a generated invalid
            # query back into a valid one; send such values as empty strings so the request stays invalid.
            case.query = {k: ("" if v in (None, [], {}) else v) for k, v in case.query.items()}
        case.call_and_validate(base_url=api.url)

    check()
