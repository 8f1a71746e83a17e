"""The pool of agent tasks that receives datagrams and runs handlers, leader/follower style.

At most ``limit`` agents exist (``max_concurrent_handlers + 1``), grown on demand; none is spawned
per request. The agent holding the socket calls ``receive`` (one batch); if the batch queued
requests it hands the socket to another agent and runs those handlers itself, so a quick reply
leaves in the same scheduler pass as its request. If no agent can take over (all busy, pool at
its limit) it keeps receiving and leaves the queue to the agents finishing their handlers, so
receiving never stalls. Before each handler an agent makes sure another one is on its way if
work remains, so a handler that blocks never holds up the queue.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mxp._message import Message
    from mxp._transport._types import Address, Handler

Work = tuple["Message", "Address", "Handler"]
"""A queued request: the message, its sender and the handler to run."""


class AgentPool:
    """Agents sharing one socket: the holder receives, the others run handlers.

    Example:
        >>> pool = AgentPool(nursery, limit=257, queue_bound=1024, receive=batch, handle=run)
        >>> pool.start()  # the first agent takes the socket
        >>> pool.enqueue((message, peer, handler))  # from ``receive``
        True
    """

    def __init__(
        self,
        nursery: trio.Nursery,
        *,
        limit: int,
        queue_bound: int,
        receive: Callable[[], Awaitable[None]],
        handle: Callable[[Message, Address, Handler], Awaitable[None]],
    ) -> None:
        self._nursery = nursery
        self._limit = limit
        self._bound = queue_bound
        self._receive = receive
        self._handle = handle
        self.queue: deque[Work] = deque()
        self.peak = 0
        self._idle: list[trio.lowlevel.Task] = []
        self._agents = 0
        self._woken = 0
        self._vacant = True  # nobody holds the socket yet: the first agent takes it

    def start(self) -> None:
        """Start the first agent, which becomes the receiver."""
        self.wake()

    def enqueue(self, work: Work) -> bool:
        """Queue a request for the agents; False if the queue is full."""
        queue = self.queue
        if len(queue) >= self._bound:
            return False
        queue.append(work)
        if len(queue) > self.peak:
            self.peak = len(queue)
        return True

    def wake(self) -> bool:
        """Get one more agent running (an idle one, or a new one within the limit)."""
        if self._idle:
            self._woken += 1
            trio.lowlevel.reschedule(self._idle.pop())
            return True
        if self._agents < self._limit:
            self._agents += 1
            self._woken += 1
            self._nursery.start_soon(self._agent)
            return True
        return False

    async def _agent(self) -> None:
        """One agent: receive when the socket is free, else run queued handlers, else idle."""
        queue = self.queue
        idle = self._idle
        task = trio.lowlevel.current_task()

        def abort(_: trio.lowlevel.RaiseCancelT) -> trio.lowlevel.Abort:
            if task in idle:
                idle.remove(task)
            return trio.lowlevel.Abort.SUCCEEDED

        self._woken -= 1
        while True:
            if self._vacant:
                self._vacant = False
                while True:
                    await self._receive()
                    if queue:
                        self._vacant = True
                        if self.wake():
                            break  # the next agent to run takes the socket
                        self._vacant = False
            while queue:
                msg, addr, handler = queue.popleft()
                # Agents on their way, minus the one that will take the vacant socket.
                if queue and self._woken - self._vacant <= 0:
                    self.wake()
                await self._handle(msg, addr, handler)
            if self._vacant:
                continue  # the socket is free (its new holder has not run yet): take it
            idle.append(task)
            await trio.lowlevel.wait_task_rescheduled(abort)
            self._woken -= 1
