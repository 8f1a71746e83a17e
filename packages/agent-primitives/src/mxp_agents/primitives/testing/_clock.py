"""`ManualClock`: a `Clock` that moves only when a test says so."""

from __future__ import annotations

import datetime as dt
from typing import Final

from mxp_agents.primitives._errors import InvalidValue

__all__ = ["ManualClock"]

_DEFAULT_START: Final = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class ManualClock:
    """A `Clock` for tests: wall and monotonic time stand still until `advance` moves both.

    Starts at 2025-01-01T00:00:00Z and monotonic 0.0 unless told otherwise.

    Example:
        >>> clock = ManualClock()
        >>> clock.advance(1.5)
        >>> clock.monotonic(), clock.now().isoformat()
        (1.5, '2025-01-01T00:00:01.500000+00:00')
    """

    __slots__ = ("_monotonic", "_now")

    def __init__(self, start: dt.datetime = _DEFAULT_START, *, monotonic: float = 0.0) -> None:
        if start.tzinfo is None or start.utcoffset() is None:
            raise InvalidValue(
                f"ManualClock needs a timezone-aware start time, got naive {start.isoformat()}; "
                "pass e.g. datetime(2025, 1, 1, tzinfo=UTC)"
            )
        self._now = start.astimezone(dt.UTC)
        self._monotonic = float(monotonic)

    def now(self) -> dt.datetime:
        """The clock's current wall time (UTC).

        Example:
            >>> ManualClock().now().year
            2025
        """
        return self._now

    def monotonic(self) -> float:
        """The clock's current monotonic time in seconds.

        Example:
            >>> ManualClock(monotonic=10.0).monotonic()
            10.0
        """
        return self._monotonic

    def advance(self, seconds: float | dt.timedelta) -> None:
        """Move wall and monotonic time forward by ``seconds`` (a number or a timedelta).

        Raises:
            InvalidValue: ``seconds`` is negative (clocks do not go backwards).

        Example:
            >>> clock = ManualClock()
            >>> clock.advance(dt.timedelta(minutes=1))
            >>> clock.monotonic()
            60.0
        """
        amount = seconds.total_seconds() if isinstance(seconds, dt.timedelta) else float(seconds)
        if not amount >= 0:
            raise InvalidValue(
                f"cannot move a ManualClock backwards (advance by {amount} s); pass seconds >= 0"
            )
        self._now += dt.timedelta(seconds=amount)
        self._monotonic += amount

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now.isoformat()}, monotonic={self._monotonic})"
