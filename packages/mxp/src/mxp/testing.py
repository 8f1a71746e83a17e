"""Helpers for testing code that speaks MXP, shipped with the package (like `trio.testing`).

- `RawPeer`: a bare UDP socket that sends hand-made frames and reads what comes back, to probe an
  endpoint the way a foreign (or hostile) peer would.
- `wait_until`: wait for a condition driven by network events, with a bound.

Example:
    >>> async def probe(endpoint_address):
    ...     peer = await RawPeer.bind()
    ...     try:
    ...         await peer.send(Message.new(MessageType.CALL, b"hi"), endpoint_address)
    ...         return (await peer.receive()).type
    ...     finally:
    ...         peer.close()
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import trio
import trio.testing

from mxp._codec import decode, encode

if TYPE_CHECKING:
    from collections.abc import Callable

    from mxp._message import Message
    from mxp._transport._types import Address

__all__ = ["RawPeer", "wait_until"]


class RawPeer:
    """A bare UDP socket on a loopback address that sends and receives single frames.

    Example:
        >>> peer = await RawPeer.bind()  # doctest: +SKIP
        >>> call = Message.new(MessageType.CALL, b"hi")  # doctest: +SKIP
        >>> await peer.send(call, server.local_address)  # doctest: +SKIP
        >>> (await peer.receive()).type  # doctest: +SKIP
        <MessageType.RESPONSE: 17>
    """

    def __init__(self, sock: trio.socket.SocketType) -> None:
        self.sock = sock

    @classmethod
    async def bind(cls, host: str = "127.0.0.1") -> RawPeer:
        """A peer bound to ``host`` on a free port."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = trio.socket.socket(family, socket.SOCK_DGRAM)
        await sock.bind((host, 0))
        return cls(sock)

    @property
    def address(self) -> Address:
        """The peer's own ``(host, port)``."""
        name = self.sock.getsockname()
        return (str(name[0]), int(name[1]))

    async def send(self, message: Message, to: Address) -> None:
        """Encode ``message`` and send it as one datagram."""
        await self.sock.sendto(encode(message), to)

    async def send_raw(self, data: bytes, to: Address) -> None:
        """Send arbitrary bytes as one datagram (malformed frames, garbage)."""
        await self.sock.sendto(data, to)

    async def receive(self, limit: float = 30.0) -> Message:
        """The next datagram, decoded; `trio.TooSlowError` after ``limit`` seconds."""
        with trio.fail_after(limit):
            data, _ = await self.sock.recvfrom(65536)
        return decode(data)

    async def receive_where(
        self, accept: Callable[[Message], bool], limit: float = 30.0
    ) -> Message:
        """The next decoded datagram that ``accept`` takes; the others are skipped."""
        with trio.fail_after(limit):
            while True:
                message = await self.receive(limit)
                if accept(message):
                    return message

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


async def wait_until(predicate: Callable[[], bool], limit: float = 10.0) -> None:
    """Wait until ``predicate()`` holds; `trio.TooSlowError` after ``limit`` seconds.

    Re-checks whenever every task is blocked (loopback datagrams are readable at once, so this
    follows events, not the clock); under a `trio.testing.MockClock` it steps virtual time
    instead, which costs nothing.

    Example:
        >>> await wait_until(lambda: server.metrics().requests >= 1)  # doctest: +SKIP
    """
    virtual = isinstance(trio.lowlevel.current_clock(), trio.testing.MockClock)
    with trio.fail_after(limit):
        while not predicate():
            if virtual:
                await trio.sleep(0.001)
            else:
                await trio.testing.wait_all_tasks_blocked()
