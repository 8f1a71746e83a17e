"""Stopping a foreground server cleanly on Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import os
import signal
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from contextlib import AbstractContextManager

__all__ = ["stop_signals", "wait_for_stop"]


def stop_signals() -> AbstractContextManager[AsyncIterator[int]]:
    """A trio signal receiver for SIGINT and (except on Windows) SIGTERM.

    Open it before announcing the server, so a signal sent right after is not lost.

    Example:
        >>> with stop_signals() as signals:
        ...     name = await wait_for_stop(signals)
    """
    wanted = [signal.SIGINT] if os.name == "nt" else [signal.SIGINT, signal.SIGTERM]
    return trio.open_signal_receiver(*wanted)


async def wait_for_stop(signals: AsyncIterator[int]) -> str:
    """Wait for the first signal of ``signals``; its name (``"SIGTERM"``).

    Example:
        >>> await wait_for_stop(signals)
        'SIGINT'
    """
    async for received in signals:
        return signal.Signals(received).name
    return "end of signals"
