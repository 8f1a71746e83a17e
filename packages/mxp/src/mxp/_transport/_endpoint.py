"""`Endpoint`: an MXP node on one UDP socket - requests, replies, acks, streams and handlers.

Hot path: a pool of agent tasks (grown on demand, at most ``max_concurrent_handlers + 1``, no
task per request) shares the non-blocking socket leader/follower style. The agent holding the
socket drains it in batches (``recvfrom_into`` until it would block), decodes each datagram and
routes it synchronously: replies wake the waiting `request` directly, acks and stream frames
are applied, requests go to a bounded queue. If the batch queued requests, the agent hands the
socket to another agent and runs those handlers itself, so a quick reply is sent with a direct
``sendto`` in the same scheduler pass as its request. One timer task drives every
retransmission and deadline, so waiting for a reply needs no cancel scope per call. Acks of
in-order stream data are coalesced per batch.

This module assembles the endpoint (construction, lifetime, closing) from its parts: the shared
state (`_endpoint_core`), the request side (`_requests`), the receive path (`_receive`) and the
handler runner (`_handling`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

import trio

from mxp._transport._address import bind_address
from mxp._transport._agents import AgentPool
from mxp._transport._config import EndpointConfig
from mxp._transport._errors import EndpointClosed
from mxp._transport._handling import HandlerRunner
from mxp._transport._io import open_socket
from mxp._transport._receive import REQUEST_LIKE, Receiver
from mxp._transport._requests import RequestSide
from mxp._transport._stream_table import StreamTable
from mxp._transport._trace import new_message
from mxp._types import Flags

if TYPE_CHECKING:
    import socket
    from collections.abc import AsyncGenerator

    from mxp._message import Message
    from mxp._transport._metrics import MetricsSnapshot
    from mxp._transport._types import Address
    from mxp._types import MessageType

__all__ = ["REQUEST_LIKE", "Endpoint"]


class Endpoint(RequestSide, Receiver, HandlerRunner):
    """An MXP node on one UDP socket: send, request, stream and serve handlers.

    Create it with `Endpoint.bind`, which returns an async context manager; the receive task
    and the handlers run until the block exits. Handlers run concurrently (at most
    ``config.max_concurrent_handlers``), each request at most once per (peer, message_id).

    Example:
        >>> async def echo(request: Message, peer: Address) -> Message:
        ...     return request.reply(MessageType.RESPONSE, request.payload)
        >>> async with Endpoint.bind("127.0.0.1", 0) as server:
        ...     server.set_handler(MessageType.CALL, echo)
        ...     async with Endpoint.bind("127.0.0.1", 0) as client:
        ...         call = new_message(MessageType.CALL, b"hi")
        ...         reply = await client.request(call, server.local_address)
        >>> reply.payload
        b'hi'
    """

    def __init__(self, sock: socket.socket, config: EndpointConfig, nursery: trio.Nursery) -> None:
        """Internal: use `Endpoint.bind`."""
        super().__init__(sock, config, nursery)
        self._pool = AgentPool(
            nursery,
            limit=config.max_concurrent_handlers + 1,
            queue_bound=config.recv_queue_size,
            receive=self._receive_batch,
            handle=self._handle,
        )
        self._streams = StreamTable(
            self._io, config, nursery, self._label, self._pending.get, self._dispatch
        )

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def bind(
        cls, host: str, port: int, config: EndpointConfig | None = None
    ) -> AbstractAsyncContextManager[Endpoint]:
        """Bind a UDP socket on ``(host, port)`` (port 0 picks a free one) and run the endpoint.

        ``host`` is an IPv4 or IPv6 literal (``"127.0.0.1"``, ``"::1"``) or a name.

        Example:
            >>> async with Endpoint.bind("127.0.0.1", 0, config=EndpointConfig()) as ep:
            ...     ep.local_address
            ('127.0.0.1', 54321)
        """
        return cls._lifetime(host, port, config if config is not None else EndpointConfig())

    @property
    def local_address(self) -> Address:
        """The bound ``(host, port)``.

        Example:
            >>> ep.local_address
            ('127.0.0.1', 54321)
        """
        return self._local

    @property
    def config(self) -> EndpointConfig:
        """The endpoint's configuration.

        Example:
            >>> ep.config.request_timeout
            5.0
        """
        return self._config

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Endpoint {self._label} {state}>"

    # -- messages and metrics ----------------------------------------------------------------

    def new_message(
        self,
        type: MessageType,
        payload: bytes | bytearray | memoryview = b"",
        *,
        flags: Flags | int = Flags.NONE,
    ) -> Message:
        """A new message that continues the current handler's trace (see `new_message`).

        Example:
            >>> call = ep.new_message(MessageType.CALL, b"sub-task")
        """
        return new_message(type, payload, flags=flags)

    def metrics(self) -> MetricsSnapshot:
        """A frozen snapshot of the counters and the request latency histogram.

        Example:
            >>> m = ep.metrics()
            >>> m.frames_out["CALL"], m.latency.p50()
            (1000, 0.000126)
        """
        return self._counters.snapshot(
            handlers_running=self._running,
            queued=len(self._pool.queue),
            queue_peak=self._pool.peak,
            streams_active=len(self._streams),
            pending_requests=len(self._pending),
        )

    # -- lifetime ----------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def _lifetime(
        cls, host: str, port: int, config: EndpointConfig
    ) -> AsyncGenerator[Endpoint, None]:
        """Bind, run the receive task until the block exits, then close (see `bind`)."""
        family, address = await bind_address(host, port)
        sock = open_socket(family, address, config.socket_buffer_bytes)
        body_error: BaseException | None = None
        try:
            async with trio.open_nursery() as nursery:
                endpoint = cls(sock, config, nursery)
                endpoint._pool.start()  # the first agent becomes the receiver
                nursery.start_soon(endpoint._timer.run)
                try:
                    yield endpoint
                except BaseException as error:  # re-raised below, outside the nursery (no group)
                    body_error = error
                finally:
                    endpoint._close()
                    nursery.cancel_scope.cancel()
        finally:
            trio.lowlevel.notify_closing(sock)
            sock.close()
        if body_error is not None:
            raise body_error

    # -- closing -----------------------------------------------------------------------------

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._io.closed = True
        closed = EndpointClosed(
            f"endpoint {self._label} was closed while the call waited - keep calls inside "
            "the endpoint's 'async with' block"
        )
        for waiter in (*self._pending.values(), *self._ack_waiters.values()):
            if not waiter.settled:
                waiter.error = closed
                waiter.wake()
        self._streams.close()
