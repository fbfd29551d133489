"""Runs on a twin that the console tests look at: a file through the console's upload, a failing batch
(the messages table deleted, so the writer gets ResourceNotFoundException), waits on Step Functions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from workflow.twin.twin import Twin

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def wait_until(check: Callable[[], Any], timeout_s: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"{what} not reached within {timeout_s} s")


def wait_done(twin: Twin, arn: str, timeout_s: float = 60.0) -> dict[str, Any]:
    sfn = twin.client("stepfunctions")

    def done() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=arn)
        return described if described["status"] in TERMINAL else None

    return dict(wait_until(done, timeout_s, f"end of {arn}"))


class MissingTable:
    """Deletes the messages table (the writer's BatchGetItem/BatchWriteItem then fail) and recreates it."""

    def __init__(self, twin: Twin) -> None:
        self.ddb = twin.client("dynamodb")
        self.name = twin.config.table_name
        self.schema = self.ddb.describe_table(TableName=self.name)["Table"]

    def __enter__(self) -> MissingTable:
        self.ddb.delete_table(TableName=self.name)
        return self

    def recreate(self) -> None:
        self.ddb.create_table(
            TableName=self.name,
            KeySchema=self.schema["KeySchema"],
            AttributeDefinitions=self.schema["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
        )

    def __exit__(self, *exc: object) -> None:
        names = self.ddb.list_tables()["TableNames"]
        if self.name not in names:
            self.recreate()
