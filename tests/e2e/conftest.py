"""Fixtures of the end-to-end tests: one in-process twin per module, its table emptied on request. Helpers
are in `tests/e2e/pipeline_runs.py`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workflow.twin.twin import Twin


@pytest.fixture(scope="module")
def twin() -> Iterator[Twin]:
    """One in-process twin on a free port for the module's tests (they query its table and executions)."""
    with Twin.ephemeral() as running:
        yield running


@pytest.fixture
def empty_table(twin: Twin) -> Twin:
    """The twin with its messages table emptied (recreated with the same schema), for exact row counts:
    generated files start at data.csv's first timestamp, so earlier runs' rows would be key conflicts."""
    ddb = twin.client("dynamodb")
    name = twin.config.table_name
    described = ddb.describe_table(TableName=name)["Table"]
    ddb.delete_table(TableName=name)
    ddb.create_table(
        TableName=name,
        KeySchema=described["KeySchema"],
        AttributeDefinitions=described["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
    )
    return twin
