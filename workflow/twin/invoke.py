"""`etl invoke FUNCTION --event FILE`: run one handler on one event file, as `sam local invoke` does.

The handler runs in the twin's in-process Lambda runtime (its environment, context, error shape and logs).
Where its AWS calls go:
- `endpoint` (the default when AWS_ENDPOINT_URL is set, e.g. by `etl up`): that running twin, so the event
  acts on the twin's table, bucket and queues;
- `ephemeral` (the default otherwise): a throwaway in-process moto with the config's resources created
  empty, so the seed's sample events work with nothing running (and nothing persists between runs);
- `current`: whatever the calling process has set up already (tests use it inside their own moto).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from workflow.config import LOCAL_REGION, FunctionSpec, PipelineConfig
from workflow.twin.lambdas import InvocationRecord, LambdaRuntime
from workflow.twin.provision import create_messages_table

Target = Literal["auto", "endpoint", "ephemeral", "current"]
_COMMAND_TARGETS: dict[str, Target] = {"auto": "auto", "endpoint": "endpoint", "ephemeral": "ephemeral"}
_FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class _Runtime(LambdaRuntime):
    """The Lambda runtime with `--env` overrides applied last, as `sam local invoke --env-vars` does."""

    def __init__(
        self, config: PipelineConfig, base_env: dict[str, str], overrides: Mapping[str, str]
    ) -> None:
        super().__init__(config, base_env)
        self.overrides_env = dict(overrides)

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        return {**super().environment(spec), **self.overrides_env}


def parse_env(pairs: list[str]) -> dict[str, str]:
    """`NAME=value` strings as a dict."""
    env: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"--env takes NAME=value, not {pair!r}")
        env[name] = value
    return env


def resolve_target(target: Target, env: Mapping[str, str]) -> Target:
    if target != "auto":
        return target
    return "endpoint" if env.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL") else "ephemeral"


def base_environment(target: Target, env: Mapping[str, str]) -> dict[str, str]:
    """Credentials, region and (for `endpoint`) the endpoint the function's boto3 clients use."""
    base = {"AWS_REGION": LOCAL_REGION, "AWS_DEFAULT_REGION": LOCAL_REGION}
    if target == "ephemeral":
        return {**base, **_FAKE_CREDENTIALS}
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    ):
        if os.environ.get(name):
            base[name] = os.environ[name]
    if target == "endpoint":
        base.setdefault("AWS_ACCESS_KEY_ID", "testing")
        base.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        if env.get("AWS_ENDPOINT_URL"):
            base["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL"]
        if not base.get("AWS_ENDPOINT_URL"):
            raise ValueError("target 'endpoint' needs AWS_ENDPOINT_URL (e.g. the URL `etl up` prints)")
    return base


@contextmanager
def ephemeral_aws(config: PipelineConfig) -> Iterator[None]:
    """An in-process moto holding the config's table and bucket, empty, gone on exit."""
    import boto3
    from moto import mock_aws

    saved = {name: os.environ.get(name) for name in (*_FAKE_CREDENTIALS, "AWS_ENDPOINT_URL")}
    os.environ.update(_FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws():
            session = boto3.session.Session(region_name=LOCAL_REGION)
            session.client("s3").create_bucket(Bucket=config.data_bucket)
            create_messages_table(session.client("dynamodb"), config)
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def function_key(config: PipelineConfig, name: str) -> str:
    """The config key for a key, a function name or a handler module name (`post_message`)."""
    for spec in config.functions:
        if name in (spec.key, spec.name, spec.handler.rpartition(".")[0]):
            return spec.key
    known = ", ".join(spec.key for spec in config.functions)
    raise ValueError(f"no function {name!r}; known: {known}")


def load_event(event_path: Path) -> Any:
    text = Path(event_path).read_text(encoding="utf-8")
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{event_path}: not JSON ({exc})") from exc


def run_file(
    function: str,
    event_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    target: Target = "auto",
    config: PipelineConfig | None = None,
) -> tuple[Any, InvocationRecord]:
    """Invoke `function` (config key like `api_post`, or function name) on the event in `event_path`;
    returns the function's result (Lambda's error payload if it failed) and the invocation record."""
    config = config or PipelineConfig()
    overrides = dict(env or {})
    event = load_event(event_path)
    chosen = resolve_target(target, overrides)
    runtime = _Runtime(config, base_environment(chosen, overrides), overrides)
    function = function_key(config, function)  # unknown names fail before any setup
    if chosen == "ephemeral":
        with ephemeral_aws(config):
            return runtime.invoke_event(function, event)
    return runtime.invoke_event(function, event)


def invoke_file(
    function: str,
    event_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    target: Target = "auto",
    config: PipelineConfig | None = None,
) -> object:
    """The function's result for one event file (see `run_file`): any JSON value the handler returned."""
    result, _record = run_file(function, event_path, env=env, target=target, config=config)
    return result


def invoke_command(
    function: Annotated[
        str,
        typer.Argument(
            help="function key (api_post), name (csv-etl-api-post-message) or handler module (post_message)"
        ),
    ],
    event: Annotated[
        Path,
        typer.Option("--event", "-e", exists=True, dir_okay=False, readable=True, help="JSON event file"),
    ],
    env: Annotated[
        list[str] | None, typer.Option("--env", help="NAME=value for the function's environment; repeatable")
    ] = None,
    target: Annotated[
        str,
        typer.Option(
            help="auto: the running twin if AWS_ENDPOINT_URL is set, else a throwaway in-process moto; "
            "or endpoint / ephemeral"
        ),
    ] = "auto",
) -> None:
    """Run one Lambda handler on an event file, like `sam local invoke`: logs to stderr, result to stdout."""
    chosen = _COMMAND_TARGETS.get(target)
    if chosen is None:
        raise typer.BadParameter("target must be auto, endpoint or ephemeral", param_hint="--target")
    try:
        overrides = parse_env(env or [])
        result, record = run_file(function, event, env=overrides, target=chosen)
    except Exception as exc:  # a bad name, file or setting: one line, no trace
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for line in record.logs:
        typer.echo(line, err=True)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    if record.error is not None:
        raise typer.Exit(1)
