"""`Clock`: where components read the time, so tests can control it."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """A source of wall-clock time (for records) and monotonic time (for timeouts and rates).

    Components take a ``Clock`` argument defaulting to `SystemClock`; tests pass
    ``mxp_agents.primitives.testing.ManualClock``.

    Example:
        >>> def age(clock: Clock, started: float) -> float:
        ...     return clock.monotonic() - started
    """

    def now(self) -> dt.datetime:
        """The current wall-clock time, timezone-aware in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (only differences are meaningful)."""
        ...


class SystemClock:
    """The real clock: `datetime.now(UTC) <datetime.datetime.now>` and `time.monotonic`.

    Example:
        >>> SystemClock().now().tzinfo
        datetime.timezone.utc
    """

    __slots__ = ()

    def now(self) -> dt.datetime:
        """The current UTC time.

        Example:
            >>> SystemClock().now() <= dt.datetime.now(dt.UTC)
            True
        """
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """`time.monotonic`.

        Example:
            >>> clock = SystemClock()
            >>> clock.monotonic() <= clock.monotonic()
            True
        """
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"
