"""Closing an abandoned stream of model events so that its provider call ends too."""

from __future__ import annotations

from typing import Final

import trio

__all__ = ["close_stream"]

CLOSE_TIMEOUT: Final = 2.0
"""Seconds a stream may take to close (shielded from the cancellation that abandoned it)."""


async def close_stream(stream: object, *, grace: float = CLOSE_TIMEOUT) -> None:
    """Close ``stream`` (an async generator or anything with ``aclose``), even while the
    surrounding task is being cancelled, within ``grace`` seconds; others are left alone.

    Example:
        >>> events = model.stream(request)
        >>> try:
        ...     first = await anext(events)
        ... finally:
        ...     await close_stream(events)  # the provider's HTTP stream is closed too
    """
    closer = getattr(stream, "aclose", None)
    if closer is None:
        return
    with trio.CancelScope(shield=True), trio.move_on_after(grace):
        await closer()
