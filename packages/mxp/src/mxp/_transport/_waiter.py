"""Calls waiting for a reply or an Ack, and the one timer task that retransmits for all of them.

A `Waiter` is woken directly by the receiving agent when its reply arrives. The `RetransmitTimer`
keeps the waiting calls ordered by their next deadline (a FIFO for the common "now + initial
RTO" case, a heap for the rest), resends their frame with exponential backoff and wakes them at
their deadline. Entries of calls that already finished are dropped without waking up, so a busy
endpoint wakes the timer about once per retransmission timeout, not once per call.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from mxp._errors import MxpError
    from mxp._message import Message
    from mxp._transport._config import EndpointConfig
    from mxp._transport._inbound import InboundStream
    from mxp._transport._io import DatagramIo
    from mxp._transport._outbound import OutboundStream
    from mxp._transport._types import Address
    from mxp._types import MessageType


class Waiter:
    """A call waiting for its reply (or Ack).

    The receive task wakes it directly; the endpoint's timer task retransmits its frame with
    backoff and wakes it at its deadline, so waiting needs no cancel scope of its own.
    """

    __slots__ = (
        "active",
        "attempts",
        "deadline",
        "error",
        "frame",
        "peer",
        "reply",
        "request_type",
        "rto",
        "stream",
        "streaming",
        "task",
        "timed_out",
        "upload",
    )

    def __init__(self, peer: Address, request_type: MessageType, streaming: bool) -> None:
        self.peer = peer
        self.request_type = request_type
        self.streaming = streaming
        self.task: trio.lowlevel.Task | None = None
        self.reply: Message | None = None
        self.error: MxpError | None = None
        self.stream: InboundStream | None = None
        self.upload: OutboundStream | None = None
        self.frame = b""
        self.deadline = math.inf
        self.rto = 0.0
        self.attempts = 1
        self.active = True
        self.timed_out = False

    def wake(self) -> None:
        task = self.task
        if task is not None:
            self.task = None
            trio.lowlevel.reschedule(task)

    def abort(self, _: trio.lowlevel.RaiseCancelT) -> trio.lowlevel.Abort:
        """Cancellation of a `wait`: forget the parked task."""
        self.task = None
        return trio.lowlevel.Abort.SUCCEEDED

    async def wait(self) -> None:
        """Sleep until `wake` (a reply, an error, a stream event, the timer)."""
        self.task = trio.lowlevel.current_task()
        await trio.lowlevel.wait_task_rescheduled(self.abort)

    async def park(self, deadline: float) -> None:
        """Sleep until `wake` or ``deadline``."""
        with trio.CancelScope(deadline=deadline):
            await self.wait()

    @property
    def settled(self) -> bool:
        return self.reply is not None or self.error is not None

    @property
    def done_waiting(self) -> bool:
        """Settled, timed out, or (for a streaming call) its reply stream has begun."""
        return (
            self.reply is not None
            or self.error is not None
            or self.timed_out
            or (self.streaming and self.stream is not None)
        )


class RetransmitTimer:
    """Retransmits the frames of waiting calls with backoff and wakes them at their deadline.

    Example:
        >>> timer = RetransmitTimer(io, config)
        >>> nursery.start_soon(timer.run)
        >>> timer.arm(waiter, trio.current_time() + config.initial_rto)
    """

    def __init__(self, io: DatagramIo, config: EndpointConfig) -> None:
        self._io = io
        self._config = config
        self._first: deque[tuple[float, Waiter]] = deque()
        self._later: list[tuple[float, int, Waiter]] = []
        self._seq = itertools.count()
        self._at = math.inf
        self._scope: trio.CancelScope | None = None

    def arm(self, waiter: Waiter, at: float) -> None:
        """Have the timer look at ``waiter`` at time ``at``."""
        first = self._first
        if not first or at >= first[-1][0]:
            first.append((at, waiter))
        else:
            heapq.heappush(self._later, (at, next(self._seq), waiter))
        if at < self._at:
            self._at = at
            scope = self._scope
            if scope is not None:
                scope.deadline = at

    async def run(self) -> None:
        """Retransmit waiting calls with backoff and wake them at their deadline.

        Entries of calls that already finished are dropped without waking up, so a busy
        endpoint wakes this task about once per retransmission timeout, not once per call.
        """
        first = self._first
        later = self._later
        inf = math.inf
        slack = self._config.initial_rto / 8
        while True:
            while first and not _live(first[0][1]):
                first.popleft()
            while later and not _live(later[0][2]):
                heapq.heappop(later)
            at = first[0][0] if first else inf
            if later and later[0][0] < at:
                at = later[0][0]
            self._at = at
            with trio.CancelScope(deadline=at) as scope:
                self._scope = scope
                await trio.sleep_forever()
            self._scope = None
            self._at = -inf  # no deadline updates while we work through the due entries
            now = trio.current_time()
            due = now + slack  # entries this close are handled now, in one pass
            expiring: list[Waiter] = []
            while first and first[0][0] <= due:
                expiring.append(first.popleft()[1])
            while later and later[0][0] <= due:
                expiring.append(heapq.heappop(later)[2])
            for waiter in expiring:
                self._expire(waiter, now)

    def _expire(self, waiter: Waiter, now: float) -> None:
        if not waiter.active or waiter.done_waiting:
            return
        if now >= waiter.deadline:
            waiter.timed_out = True
            waiter.wake()
            return
        if now + self._config.initial_rto / 8 >= waiter.deadline:
            self.arm(waiter, waiter.deadline)  # too close to the deadline to resend
            return
        if waiter.stream is not None:  # a reply stream is on its way and wakes us at its end
            self.arm(waiter, waiter.deadline)
            return
        upload = waiter.upload
        if upload is not None:
            if upload.error is not None:
                waiter.error = upload.error
                waiter.wake()
                return
            if not upload.done:  # the upload retransmits its own frames
                self.arm(waiter, min(now + waiter.rto, waiter.deadline))
                return
        self._io.counters.retransmits += 1
        waiter.attempts += 1
        self._io.send_now(waiter.frame, waiter.peer)
        config = self._config
        waiter.rto = min(waiter.rto * config.backoff, config.max_rto)
        self.arm(waiter, min(now + waiter.rto, waiter.deadline))


def _live(waiter: Waiter) -> bool:
    return waiter.active and not waiter.done_waiting
