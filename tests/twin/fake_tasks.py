"""Handlers used to test the Lambda runtime, written into a temporary tasks folder by the fixtures."""

from __future__ import annotations

from pathlib import Path

from workflow.config import FunctionSpec, PipelineConfig

HANDLERS = '''
import json
import logging
import os
import threading
import time

IMPORTED_ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")
_calls = []


def echo(event, context):
    return {
        "event": event,
        "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "TABLE_NAME", "AWS_ENDPOINT_URL",
                                              "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
                                              "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "HOME_ONLY_ON_HOST")},
        "imported_endpoint": IMPORTED_ENDPOINT,
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }


def who(event, context):
    time.sleep(event.get("sleep", 0))
    return os.environ["AWS_LAMBDA_FUNCTION_NAME"]


def fail(event, context):
    raise ValueError("row 3: timestamp is not a number")


def sleepy(event, context):
    while True:
        time.sleep(0.02)


def noisy(event, context):
    print("printed", event["n"])
    logging.getLogger("noisy").warning("warned %s", event["n"])
    time.sleep(0.05)
    return event["n"]


def unserializable(event, context):
    return {1, 2}


def partial(event, context):
    """Fails the messages whose body says fail; the rest succeed."""
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "fail"]
    _calls.append([r["body"] for r in event["Records"]])
    return {"batchItemFailures": failures}


def crash(event, context):
    raise RuntimeError("writer down")
'''

MODULE = "twin_fake_handlers"


def write_tasks(root: Path) -> Path:
    folder = root / "fake"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{MODULE}.py").write_text(HANDLERS, encoding="utf-8")
    return root


def spec(key: str, timeout_s: int = 5, env: dict[str, str] | None = None) -> FunctionSpec:
    return FunctionSpec(
        key=key,
        name=f"t-{key}",
        folder="fake",
        handler=f"{MODULE}.{key}",
        timeout_s=timeout_s,
        memory_mb=256,
        env=env or {},
    )


def fake_config(**overrides: object) -> PipelineConfig:
    functions = [
        spec("echo", env={"TABLE_NAME": "table_name"}),
        spec("who"),
        spec("fail"),
        spec("sleepy", timeout_s=1),
        spec("noisy"),
        spec("unserializable"),
        spec("partial"),
        spec("crash"),
    ]
    return PipelineConfig(functions=functions, **overrides)  # type: ignore[arg-type]
