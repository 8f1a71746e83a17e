"""Reading the wait a provider asks for from its ``retry-after-ms`` / ``retry-after`` headers."""

from __future__ import annotations

import email.utils
import math
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["retry_after_seconds"]


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait a response asks for: ``retry-after-ms`` (milliseconds), else ``retry-after``
    (seconds, or an HTTP date: the time left until it, 0 when past); None when neither is usable
    (absent, negative or unreadable). ``now`` (Unix time) is for tests.

    Example:
        >>> retry_after_seconds({"retry-after-ms": "1500", "retry-after": "2"})
        1.5
        >>> retry_after_seconds({"retry-after": "3"}), retry_after_seconds({"retry-after": "-1"})
        (3.0, None)
    """
    milliseconds = _number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000.0
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
