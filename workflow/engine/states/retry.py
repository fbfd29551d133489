"""Retry and Catch: matching error names and computing backoff, as the States Language specifies."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from workflow.engine import errors

# "A retry or catch on States.ALL won't catch States.Runtime errors". States.DataLimitExceeded is caught by
# States.ALL on AWS (issue 11: recorded), though the docs call it terminal; TaskFailed does not match it.
NOT_MATCHED_BY_ALL = {errors.RUNTIME}
NOT_MATCHED_BY_TASK_FAILED = {errors.RUNTIME, errors.DATA_LIMIT_EXCEEDED, errors.TIMEOUT}


def matches(error_equals: Sequence[str], error: str) -> bool:
    """Whether an ErrorEquals list matches an error name, with the wildcard rules of States.ALL/TaskFailed."""
    for name in error_equals:
        if name == error:
            return True
        if name == errors.ALL and error not in NOT_MATCHED_BY_ALL:
            return True
        # "States.TaskFailed acts as a wildcard that matches any known error name except for States.Timeout".
        if name == errors.TASK_FAILED and error not in NOT_MATCHED_BY_TASK_FAILED:
            return True
    return False


def find(rules: Sequence[Mapping[str, Any]] | None, error: str) -> tuple[int, Mapping[str, Any]] | None:
    """The first rule (retrier or catcher) whose ErrorEquals matches."""
    for index, rule in enumerate(rules or []):
        if matches(rule.get("ErrorEquals") or [], error):
            return index, rule
    return None


def delay_seconds(retrier: Mapping[str, Any], attempt: int, rng: random.Random | None = None) -> float:
    """IntervalSeconds * BackoffRate^attempt, capped by MaxDelaySeconds; FULL jitter picks in [0, delay]."""
    interval = float(retrier.get("IntervalSeconds", 1))
    rate = float(retrier.get("BackoffRate", 2.0))
    delay = interval * (rate**attempt)
    if "MaxDelaySeconds" in retrier:
        delay = min(delay, float(retrier["MaxDelaySeconds"]))
    if retrier.get("JitterStrategy", "NONE") == "FULL":
        delay = (rng or random).uniform(0, delay)
    return delay


def max_attempts(retrier: Mapping[str, Any]) -> int:
    return int(retrier.get("MaxAttempts", 3))
