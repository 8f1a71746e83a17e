"""The wait loop both polling approval stores run: re-read the approval until it is decided,
or record it `EXPIRED` once its deadline passed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import trio

from mxp_agents.policy._approval_api import ApprovalRecord, ApprovalStatus

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["wait_until_decided"]


async def wait_until_decided(
    read: Callable[[], Awaitable[ApprovalRecord]],
    expire: Callable[[], Awaitable[ApprovalRecord]],
    *,
    now: Callable[[], float],
    poll: float,
) -> ApprovalRecord:
    """``read()`` every ``poll`` seconds (less when the deadline is nearer) until the record
    is not pending; at its deadline, ``expire()`` records and returns it `EXPIRED`. Cancel
    to stop waiting earlier.

    Example:
        >>> await wait_until_decided(read, expire, now=now, poll=0.05)  # doctest: +SKIP
    """
    while True:
        record = await read()
        if record.status is not ApprovalStatus.PENDING:
            return record
        left = record.request.deadline - now()
        if left <= 0:
            return await expire()
        await trio.sleep(min(poll, left))
