"""The service integration patterns, in one place: Request Response, Run a Job (`.sync`, `.sync:2`) and
Wait for Callback (`.waitForTaskToken`), plus the TimeoutSeconds bound every pattern runs under.

A service module only makes the call ("Discover service integration patterns"): Request Response returns
its answer; Wait for Callback returns it too (the TaskSubmitted event records it) and the executor then waits
for SendTaskSuccess/Failure; Run a Job starts the job and `wait_for_job` here polls it until it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workflow.engine.backend import Backend
from workflow.engine.errors import TIMEOUT, StatesError

REQUEST_RESPONSE = "REQUEST_RESPONSE"
RUN_JOB = "RUN_JOB"  # .sync
RUN_JOB_2 = "RUN_JOB_2"  # .sync:2
WAIT_FOR_TASK_TOKEN = "WAIT_FOR_TASK_TOKEN"

# Resource suffix -> pattern, longest first (".sync:2" before ".sync").
SUFFIX_PATTERNS = {".sync:2": RUN_JOB_2, ".sync": RUN_JOB, ".waitForTaskToken": WAIT_FOR_TASK_TOKEN}
PATTERN_SUFFIX = {v: k for k, v in SUFFIX_PATTERNS.items()}
RUN_JOB_PATTERNS = frozenset({RUN_JOB, RUN_JOB_2})

Waiter = Callable[[threading.Event, "float | None"], bool]


def split_pattern(resource: str) -> tuple[str, str]:
    """(`resource` without its pattern suffix, the pattern)."""
    for suffix, pattern in SUFFIX_PATTERNS.items():
        if resource.endswith(suffix):
            return resource[: -len(suffix)], pattern
    return resource, REQUEST_RESPONSE


@dataclass
class ResourceRef:
    """A parsed Task `Resource`, with the names AWS shows in taskScheduledEventDetails."""

    service: str  # "lambda", "sqs", ..., or "aws-sdk:<service>"
    action: str  # API action as written in the ARN (camelCase), e.g. "sendMessage"
    pattern: str  # REQUEST_RESPONSE | RUN_JOB | RUN_JOB_2 | WAIT_FOR_TASK_TOKEN
    resource_type: str  # e.g. "lambda", "sqs", "aws-sdk:s3"
    resource: str  # e.g. "invoke", "sendMessage.waitForTaskToken", or the function ARN
    is_lambda_arn: bool = False  # plain function ARN: history uses LambdaFunction* events


@dataclass
class TaskRequest:
    """One attempt of a Task state: the resource and its already-evaluated Parameters/Arguments."""

    resource: str
    parameters: Any
    execution_arn: str
    state_name: str
    task_token: str | None = None
    timeout_s: float | None = None


class TaskCancelled(Exception):
    """Raised by `run_task` when `cancelled()` turned true while waiting for a .sync job."""


def _never() -> bool:
    return False


@dataclass
class TaskCall:
    """What a service module gets for one call: the resource, its parameters and the outside world."""

    ref: ResourceRef
    params: Any
    backend: Backend
    sleep: Callable[[float], None]
    cancelled: Callable[[], bool]
    gave_up: Callable[[], bool] = field(default=_never)  # the task timed out: stop waiting


Handler = Callable[[TaskCall], Any]


@dataclass(frozen=True)
class SyncJob:
    """How a Run a Job (`.sync`) integration's job is started, watched and stopped."""

    start: Callable[[TaskCall], str]  # starts the job, returns its id (an execution ARN, ...)
    describe: Callable[[TaskCall, str], tuple[bool, Any]]  # (still running, its description)
    stop: Callable[[TaskCall, str], None]  # the task was cancelled: stop the job too
    finish: Callable[[TaskCall, Any], Any]  # the ended job's description -> task output (or raise)


def wait_for_job(call: TaskCall, job: SyncJob) -> Any:
    """Start the job and poll it with backoff (50 ms doubling to 1 s) until it ends.

    A task that times out leaves the job running, as AWS does; a cancelled one stops it.
    """
    job_id = job.start(call)
    interval = 0.05
    while True:
        running, described = job.describe(call, job_id)
        if not running:
            break
        if call.gave_up():
            return None
        if call.cancelled():
            try:
                job.stop(call, job_id)
            finally:
                raise TaskCancelled(job_id)
        call.sleep(interval)
        interval = min(interval * 2, 1.0)
    return job.finish(call, described)


def within_timeout(
    run: Callable[[Callable[[], bool]], Any],
    timeout: float,
    wait: Waiter,
    cancelled: Callable[[], bool],
    execution_arn: str,
) -> Any:
    """Run `run(gave_up)` in a worker thread; give up after `timeout` seconds of the engine's (virtual) time.

    As on AWS, a task that runs past TimeoutSeconds fails with States.Timeout; the call itself (a Lambda
    function, say) is not interrupted, its late result is dropped.
    """
    done = threading.Event()
    abandoned = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = run(abandoned.is_set)
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="sfn-task-call", daemon=True).start()
    remaining = float(timeout)
    while not done.is_set():
        if remaining <= 0:
            abandoned.set()
            raise StatesError(TIMEOUT, "")
        step = min(remaining, 1.0)  # re-check cancellation at least every virtual second
        if wait(done, step):
            break
        remaining -= step
        if cancelled():
            abandoned.set()
            raise TaskCancelled(execution_arn)
    if "error" in box:
        raise box["error"]
    return box.get("result")
