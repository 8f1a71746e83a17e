"""The endpoint's non-blocking UDP socket: creation, and sending with accounting.

Sending is a direct ``sendto`` on a non-blocking socket; only when the kernel buffer is full does
the async variant wait for writability through trio (the sync variant counts a send failure and
relies on retransmission).
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING, Final

import trio

from mxp._transport._errors import EndpointClosed

if TYPE_CHECKING:
    from mxp._transport._metrics import Counters
    from mxp._transport._types import Address

_TYPE_OFFSET: Final = 4  # the type byte of a frame header


def open_socket(family: int, address: Address, buffer_bytes: int) -> socket.socket:
    """A bound, non-blocking UDP socket; ``buffer_bytes`` is requested for both kernel buffers."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        if buffer_bytes:
            for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
                # If the kernel refuses the size, its default stays.
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, option, buffer_bytes)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


class DatagramIo:
    """Sends frames on the endpoint socket and counts frames and bytes out."""

    __slots__ = ("closed", "counters", "label", "sock")

    def __init__(self, sock: socket.socket, counters: Counters, label: str) -> None:
        self.sock = sock
        self.counters = counters
        self.label = label
        self.closed = False

    def send_now(self, frame: bytes, peer: Address) -> bool:
        """Send without waiting; False (and a counted failure) if the socket could not take it."""
        try:
            self.sock.sendto(frame, peer)
        except OSError:
            self.counters.send_failures += 1
            return False
        counters = self.counters
        counters.frames_out[frame[_TYPE_OFFSET]] += 1
        counters.bytes_out += len(frame)
        return True

    def try_send(self, frame: bytes, peer: Address) -> bool:
        """Send without waiting; False only if the kernel buffer is full (then await `send`).

        Raises:
            OSError: the kernel refused the datagram (e.g. unreachable, wrong family).
        """
        try:
            self.sock.sendto(frame, peer)
        except BlockingIOError:
            return False
        except OSError:
            self.counters.send_failures += 1
            raise
        counters = self.counters
        counters.frames_out[frame[_TYPE_OFFSET]] += 1
        counters.bytes_out += len(frame)
        return True

    async def send(self, frame: bytes, peer: Address) -> None:
        """Send, waiting (through trio) while the kernel send buffer is full.

        Raises:
            EndpointClosed: the endpoint was closed.
            OSError: the kernel refused the datagram for another reason (e.g. unreachable).
        """
        while True:
            if self.closed:
                raise EndpointClosed(
                    f"endpoint {self.label} is closed - send from inside its 'async with' block"
                )
            if self.try_send(frame, peer):
                return
            await trio.lowlevel.wait_writable(self.sock)
