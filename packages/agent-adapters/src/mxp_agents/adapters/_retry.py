"""`RetryPolicy`: exponential backoff with jitter that honours a provider's retry-after."""

from __future__ import annotations

import math
import random
from typing import Final

import msgspec

from mxp_agents.adapters._errors import InvalidModelValue, ModelError, RateLimitedError

__all__ = ["NO_RETRY", "RetryPolicy"]


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How a provider adapter retries a failed call (the SDK's own retries are switched off).

    Only errors whose ``retryable`` is true are retried (rate limits, server errors, timeouts,
    malformed output), at most ``max_attempts`` attempts in all. Attempt *n* waits
    ``initial_delay * multiplier ** (n - 1)``, capped at ``max_delay``, spread by ±``jitter``
    (a fraction); a `RateLimitedError` with ``retry_after`` waits at least that long. A
    retry-after longer than ``max_retry_after`` is not waited for: the error is raised at once.
    A stream is retried only before its first event.

    Example:
        >>> policy = RetryPolicy(max_attempts=5, initial_delay=0.2, jitter=0)
        >>> [policy.backoff(n) for n in (1, 2, 3)]
        [0.2, 0.4, 0.8]
    """

    max_attempts: int = 3
    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(f"expected int, got {self.max_attempts!r}", "$.max_attempts")
        if self.max_attempts < 1:
            raise InvalidModelValue(
                f"max_attempts must be >= 1 (1 means no retry), got {self.max_attempts}",
                "$.max_attempts",
            )
        for name in ("initial_delay", "max_delay", "multiplier", "max_retry_after"):
            value: object = getattr(self, name)
            if not _non_negative(value):
                raise InvalidModelValue(f"expected a number >= 0, got {value!r}", f"$.{name}")
        if not _non_negative(self.jitter) or self.jitter > 1:
            raise InvalidModelValue(
                f"jitter is a fraction between 0 and 1, got {self.jitter!r}", "$.jitter"
            )

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based), before jitter.

        Example:
            >>> RetryPolicy(initial_delay=1, max_delay=3).backoff(5)
            3.0
        """
        return float(min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1)))

    def delay(
        self, attempt: int, error: ModelError, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait before retrying after ``error`` on attempt ``attempt``, or None.

        None means do not retry: the error is not retryable, the attempts are used up, or the
        provider asks for a longer wait than ``max_retry_after``.

        Example:
            >>> from mxp_agents.adapters import TransientModelError
            >>> RetryPolicy(jitter=0).delay(1, TransientModelError("overloaded"))
            0.5
            >>> RetryPolicy(max_attempts=1).delay(1, TransientModelError("overloaded")) is None
            True
        """
        if not error.retryable or attempt >= self.max_attempts:
            return None
        wait = self.backoff(attempt)
        if self.jitter:
            wait *= 1 + (rng or _rng).uniform(-self.jitter, self.jitter)
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            wait = max(wait, error.retry_after)
        return max(0.0, wait)


def _non_negative(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


_rng: Final = random.Random()

NO_RETRY: Final = RetryPolicy(max_attempts=1)
"""A policy that never retries: the first error is raised.

Example:
    >>> NO_RETRY.max_attempts
    1
"""
