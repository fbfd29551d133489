"""Retry and Catch: matching error names and computing backoff, as the States Language specifies."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

from workflow.engine import errors
from workflow.engine.asl import Retrier
from workflow.engine.asl.vocabulary import JitterStrategy

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


class _Rule(Protocol):
    @property
    def error_equals(self) -> tuple[str, ...]: ...


_R = TypeVar("_R", bound=_Rule)


def find(rules: Sequence[_R], error: str) -> tuple[int, _R] | None:
    """The first rule (retrier or catcher) whose ErrorEquals matches, with its index."""
    for index, rule in enumerate(rules):
        if matches(rule.error_equals, error):
            return index, rule
    return None


def delay_seconds(
    retrier: Retrier, attempt: int, rng: random.Random | None = None, *, jitter: bool = True
) -> float:
    """IntervalSeconds * BackoffRate^attempt, capped by MaxDelaySeconds; FULL jitter picks in [0, delay]
    (`jitter=False`: the delay before jitter, as TestState reports it)."""
    delay = float(retrier.interval_seconds) * (float(retrier.backoff_rate) ** attempt)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, float(retrier.max_delay_seconds))
    if jitter and retrier.jitter_strategy == JitterStrategy.FULL:
        delay = (rng or random).uniform(0, delay)
    return delay


def max_attempts(retrier: Retrier) -> int:
    return int(retrier.max_attempts)
