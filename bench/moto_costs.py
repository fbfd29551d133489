"""What one DynamoDB write costs in moto, per item, by call and by transport.

    .venv/bin/python bench/moto_costs.py --items 2000

Issue 10's writer stored each row with a conditional PutItem (attribute_not_exists: nothing overwritten);
today's sends PartiQL INSERTs, 25 a call; boto3's batch_writer, the floor bench/throughput.py compares
with, sends BatchWriteItem calls of 25 items.
This measures, for the same items (the messages table's shape), ms per item of:

- `put_item_conditional`: one PutItem with ConditionExpression per item (issue 10's writer);
- `batch_write_item`: BatchWriteItem, 25 items a call (the floor: no condition possible);
- `insert_batch_execute_statement`: PartiQL INSERTs, 25 a BatchExecuteStatement (today's writer);

through four transports: `mock_aws` (moto's in-process stubber), `handoff` (the twin's endpoint app in
process: workflow/twin/handoff.py), `handoff_direct` (the same, plus the direct answer of a batch of INSERTs
at botocore's before-call, as the twin's Lambdas call it) and `http` (the twin's endpoint over a socket, as
users call it). Wall time and the process's CPU time per item (the CPU figure is the one to trust on a
loaded machine; for `http` it includes the server threads). For the hand-off `inside_app_ms` is the wall
time inside the endpoint app (moto's request parsing, its backend, its response); the rest is botocore on
the client side.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
from boto3.dynamodb.types import TypeSerializer  # noqa: E402
from throughput import message_item  # noqa: E402  (bench/throughput.py)

from workflow.twin import handoff  # noqa: E402
from workflow.twin.backend import endpoint_client  # noqa: E402
from workflow.twin.moto_seams import answer_partiql_inserts, batch_inserts_answer  # noqa: E402
from workflow.twin.provision import create_keyed_table  # noqa: E402
from workflow.twin.twin import Twin  # noqa: E402

_SERIALIZER = TypeSerializer()


def _items(n: int, offset: int) -> Iterator[dict[str, Any]]:
    for i in range(offset, offset + n):
        yield {k: _SERIALIZER.serialize(v) for k, v in message_item(i).items()}


def _table(client: Any) -> str:
    name = f"cost-{time.monotonic_ns()}"
    create_keyed_table(client, name, "date", "time")  # shaped like the messages table
    return name


def put_conditional(client: Any, n: int) -> tuple[float, float]:
    table = _table(client)
    started, cpu = time.perf_counter(), time.process_time()
    for item in _items(n, 0):
        client.put_item(
            TableName=table,
            Item=item,
            ConditionExpression="attribute_not_exists(#d)",
            ExpressionAttributeNames={"#d": "date"},
        )
    return (time.perf_counter() - started) * 1000 / n, (time.process_time() - cpu) * 1000 / n


def batch_write(client: Any, n: int) -> tuple[float, float]:
    table = _table(client)
    items = list(_items(n, 0))
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        while requests:
            answer = client.batch_write_item(RequestItems={table: requests})
            requests = answer.get("UnprocessedItems", {}).get(table, [])
    return (time.perf_counter() - started) * 1000 / n, (time.process_time() - cpu) * 1000 / n


def insert_batch(client: Any, n: int) -> tuple[float, float]:
    """The writer's pattern (tasks/writer/batch_store.py): PartiQL INSERTs, 25 per BatchExecuteStatement."""
    table = _table(client)
    items = list(_items(n, 0))
    names = list(items[0])
    text = f'INSERT INTO "{table}" VALUE {{' + ", ".join(f"'{name}': ?" for name in names) + "}"
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, 25):
        statements = [
            {"Statement": text, "Parameters": [i[k] for k in names]} for i in items[start : start + 25]
        ]
        answers = client.batch_execute_statement(Statements=statements)["Responses"]
        assert not any("Error" in answer for answer in answers), answers[:1]
    return (time.perf_counter() - started) * 1000 / n, (time.process_time() - cpu) * 1000 / n


CALLS: dict[str, Callable[[Any, int], tuple[float, float]]] = {
    "put_item_conditional": put_conditional,
    "batch_write_item": batch_write,
    "insert_batch_execute_statement": insert_batch,
}


class _Timed:
    """Wraps a WSGI app and sums the time spent inside it."""

    def __init__(self, app: Any) -> None:
        self.app, self.seconds = app, 0.0

    def __call__(self, environ: Any, start_response: Any) -> Any:
        started = time.perf_counter()
        try:
            return list(self.app(environ, start_response))
        finally:
            self.seconds += time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    out: dict[str, Any] = {"items": args.items}
    with Twin.ephemeral() as twin:
        timed = _Timed(twin._dispatch)
        alias = handoff.serve(twin.url, timed)
        direct = {"DynamoDB_20120810.BatchExecuteStatement": batch_inserts_answer(twin.account, twin.region)}
        lambdas_alias = handoff.serve("http://127.0.0.1:59999", timed, direct)
        clients = {
            "handoff": endpoint_client("dynamodb", alias, twin.region),
            "handoff_direct": endpoint_client("dynamodb", lambdas_alias, twin.region),
            "http": endpoint_client("dynamodb", twin.url, twin.region),
        }
        for call, measure in CALLS.items():
            for transport, client in clients.items():
                timed.seconds = 0.0
                ms, cpu = measure(client, args.items)
                entry = {"ms_per_item": round(ms, 3), "cpu_ms_per_item": round(cpu, 3)}
                if transport == "handoff":
                    entry["inside_app_ms"] = round(timed.seconds * 1000 / args.items, 3)
                out.setdefault(call, {})[transport] = entry
        handoff.serve(twin.url, twin._dispatch)
    from moto import mock_aws

    answer_partiql_inserts()  # moto's own INSERT overwrites and rejects `?` (moto_seams.py)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for call, measure in CALLS.items():
            ms, cpu = measure(client, args.items)
            out[call]["mock_aws"] = {"ms_per_item": round(ms, 3), "cpu_ms_per_item": round(cpu, 3)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
