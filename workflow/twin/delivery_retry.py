"""How the twin retries delivering an EventBridge event to a Lambda target, as AWS does, in virtual time.

Two layers, both from AWS's documentation:
- EventBridge's retry policy (AWS, "Event retry policy and using dead-letter queues in Amazon EventBridge":
  by default EventBridge retries for 24 hours and up to 185 times, with exponential backoff and jitter) covers
  a target it could not reach at all: the Invoke call itself failed (throttled, service error).
- Lambda's asynchronous invocation (AWS, "How Lambda handles errors and retries with asynchronous
  invocation": on a function error Lambda retries twice, waiting about one minute, then two) covers a
  function that ran and failed.
AWS does not publish EventBridge's exact backoff schedule; the twin doubles a 1 s delay up to a 5 min cap,
with full jitter. Delays are virtual seconds: the twin sleeps them on the engine's clock (speed-scaled).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

LAMBDA_ASYNC_RETRY_DELAYS_S = (60.0, 120.0)


@dataclass(frozen=True)
class RetryPolicy:
    """EventBridge's target retry policy: attempts and event age, then the event is dropped."""

    max_attempts: int = 185
    max_age_s: float = 24 * 3600.0
    base_delay_s: float = 1.0
    max_delay_s: float = 300.0
    jitter: Callable[[], float] = random.random

    def delay_s(self, failures: int) -> float:
        """Virtual seconds to wait after the `failures`-th failed attempt (1-based): full jitter."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** (failures - 1)) * self.jitter())

    def gives_up(self, attempts: int, age_s: float) -> bool:
        return attempts >= self.max_attempts or age_s >= self.max_age_s
