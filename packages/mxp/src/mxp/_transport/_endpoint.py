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
"""

from __future__ import annotations

import ipaddress
import math
import socket
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from time import perf_counter
from types import CoroutineType
from typing import TYPE_CHECKING, Final, NoReturn, cast

import trio

from mxp._codec import decode, encode
from mxp._errors import MxpError
from mxp._message import Message
from mxp._transport import _wire as wire
from mxp._transport._agents import AgentPool
from mxp._transport._config import EndpointConfig
from mxp._transport._dedup import RUNNING, DedupKey, DedupWindow
from mxp._transport._errors import (
    EndpointClosed,
    RemoteError,
    RequestTimeout,
    UsageError,
)
from mxp._transport._io import DatagramIo, open_socket
from mxp._transport._metrics import Counters, MetricsSnapshot
from mxp._transport._stream_table import StreamTable, describe, stream_message
from mxp._transport._streams import (
    COMPLETE,
    FAILED,
    RECEIVING,
)
from mxp._transport._trace import CURRENT_TRACE, new_message
from mxp._transport._waiter import RetransmitTimer, Waiter
from mxp._types import FLAGS_TABLE, Flags, MessageType
from mxp.bodies import ErrorResponse, decode_body, encode_body

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Mapping

    from mxp._transport._types import Address, Handler, HandlerResult

_RECV_SIZE: Final = 65_536
_BATCH: Final = 64
_ACK: Final = MessageType.ACK
_RESPONSE: Final = MessageType.RESPONSE
_ERROR: Final = MessageType.ERROR
_STREAM_TYPES: Final = frozenset(
    (MessageType.STREAM_OPEN, MessageType.STREAM_CHUNK, MessageType.STREAM_CLOSE)
)
_TRANSPORT_TYPES: Final = _STREAM_TYPES | {MessageType.ACK}
REQUEST_LIKE: Final = frozenset(
    (
        MessageType.CALL,
        MessageType.AGENT_REGISTER,
        MessageType.AGENT_DISCOVER,
        MessageType.AGENT_HEARTBEAT,
    )
)
"""Types answered with an ``unsupported`` Error when no handler is installed."""
_WANTS_ACK: Final = frozenset(f for f in FLAGS_TABLE if f & Flags.REQUIRES_ACK)
_MAX_PEER_CACHE: Final = 1024


class Endpoint:
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
        self._sock = sock
        self._config = config
        self._nursery = nursery
        self._v6 = sock.family == socket.AF_INET6
        host, port = cast("tuple[str, int]", sock.getsockname()[:2])
        self._local: Address = (host, port)
        self._counters = Counters()
        label = f"[{host}]:{port}" if self._v6 else f"{host}:{port}"
        self._label = label
        self._io = DatagramIo(sock, self._counters, label)
        self._handlers: dict[MessageType, Handler] = {}
        self._pending: dict[int, Waiter] = {}
        self._ack_waiters: dict[int, Waiter] = {}
        self._dedup = DedupWindow(
            size=config.dedup_window, ttl=config.dedup_ttl, max_bytes=config.dedup_max_bytes
        )
        self._pool = AgentPool(
            nursery,
            limit=config.max_concurrent_handlers + 1,
            queue_bound=config.recv_queue_size,
            receive=self._receive_batch,
            handle=self._handle,
        )
        self._buffer = bytearray(_RECV_SIZE)
        self._view = memoryview(self._buffer)
        self._running = 0
        self._timer = RetransmitTimer(self._io, config)
        self._streams = StreamTable(
            self._io, config, nursery, label, self._pending.get, self._dispatch
        )
        self._peers: dict[tuple[str, int], Address] = {}
        self._max_payload = config.max_datagram_payload
        self._now = trio.current_time()
        self._closed = False

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

    # -- handlers ----------------------------------------------------------------------------

    def set_handler(self, message_type: MessageType, handler: Handler) -> None:
        """Install (or replace) the handler of ``message_type``; takes effect at once.

        A handler returns the reply (``request.reply(MessageType.RESPONSE, ...)``), None, or an
        async iterator of bytes (incremental results, streamed to the caller). If it raises,
        the caller gets an Error frame with code ``internal``.

        Example:
            >>> async def echo(request, peer):
            ...     return request.reply(MessageType.RESPONSE, request.payload)
            >>> ep.set_handler(MessageType.CALL, echo)
        """
        if not isinstance(message_type, MessageType):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise UsageError(f"set_handler: expected an mxp.MessageType, got {message_type!r}")
        if message_type in _TRANSPORT_TYPES:
            raise UsageError(
                f"set_handler: {message_type.name} frames are handled by the transport itself; "
                "install handlers for CALL, EVENT, RESPONSE, AGENT_* or ERROR"
            )
        if not callable(handler):
            raise UsageError(f"set_handler: handler for {message_type.name} is not callable")
        self._handlers[message_type] = handler

    async def serve(self, handlers: Mapping[MessageType, Handler]) -> None:
        """Install ``handlers`` then block until cancelled (the endpoint keeps serving).

        Example:
            >>> async with trio.open_nursery() as nursery:
            ...     nursery.start_soon(ep.serve, {MessageType.CALL: echo})
        """
        for message_type, handler in handlers.items():
            self.set_handler(message_type, handler)
        await trio.sleep_forever()

    # -- sending -----------------------------------------------------------------------------

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

    async def send(
        self,
        message: Message,
        addr: Address,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the API; bounds the Ack wait
    ) -> None:
        """Send ``message`` once; with REQUIRES_ACK, retransmit until the peer's Ack arrives.

        Bodies larger than one datagram are streamed (reliably) before returning.

        Raises:
            RequestTimeout: REQUIRES_ACK was set and no Ack arrived within ``timeout``
                (default ``config.request_timeout``).
            StreamError: a streamed body was refused or failed.

        Example:
            >>> await ep.send(new_message(MessageType.EVENT, b"{}"), peer)
            >>> await ep.send(new_message(MessageType.EVENT, b"{}", flags=Flags.REQUIRES_ACK), peer)
        """
        peer = self._peers.get(addr) or await self._resolve(addr)
        wait_s = self._timeout(timeout)
        start = trio.current_time()
        wants_ack = message.flags in _WANTS_ACK
        if not wants_ack:
            if len(message.payload) <= self._max_payload:
                frame = encode(message)
                if not self._io.try_send(frame, peer):
                    await self._io.send(frame, peer)
                return
            stream = await self._streams.upload(message, peer, start + wait_s, wait_s, None)
            with trio.move_on_at(start + wait_s):
                await stream.wait_complete()
                return
            stream.abort("timed out")
            self._counters.request_timeouts += 1
            raise RequestTimeout("streamed message", message.message_id, peer, wait_s, 1)
        mid = message.message_id
        if mid in self._ack_waiters:
            raise UsageError(f"send: message_id {mid:#018x} is already waiting for an Ack")
        waiter = self._ack_waiters[mid] = Waiter(peer, message.type, False)
        try:
            await self._exchange(message, waiter, start, wait_s, "Ack for message")
        finally:
            waiter.active = False
            del self._ack_waiters[mid]

    async def request(
        self,
        message: Message,
        addr: Address,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the API; bounds retransmission
    ) -> Message:
        """Send ``message`` and return the peer's reply (any frame with the same message_id).

        The request is retransmitted with exponential backoff until the reply arrives; the
        peer executes it at most once. Bodies larger than one datagram travel as streams in
        both directions, transparently.

        Raises:
            RequestTimeout: no reply within ``timeout`` (default ``config.request_timeout``).
            StreamError: a streamed request or reply was refused or failed.

        Example:
            >>> reply = await ep.request(ep.new_message(MessageType.CALL, b"ping"), peer, timeout=2)
            >>> reply.type
            <MessageType.RESPONSE: 17>
        """
        peer = self._peers.get(addr) or await self._resolve(addr)
        wait_s = self._timeout(timeout)
        began = perf_counter()
        waiter = self._register(message, peer, streaming=False)
        try:
            if len(message.payload) <= self._max_payload:
                # Fast path of _exchange: one datagram, the timer does the retransmissions.
                start = trio.current_time()
                deadline = waiter.deadline = start + wait_s
                rto = waiter.rto = self._config.initial_rto
                frame = waiter.frame = encode(message)
                try:
                    self._sock.sendto(frame, peer)
                except BlockingIOError:
                    await self._io.send(frame, peer)
                else:
                    counters = self._counters
                    counters.frames_out[frame[4]] += 1
                    counters.bytes_out += len(frame)
                self._timer.arm(waiter, start + rto if rto < wait_s else deadline)
                while waiter.reply is None and not waiter.timed_out and waiter.error is None:
                    waiter.task = trio.lowlevel.current_task()
                    await trio.lowlevel.wait_task_rescheduled(waiter.abort)
                reply = waiter.reply
                if reply is None:
                    if waiter.error is not None:
                        raise waiter.error
                    self._timed_out(waiter, message, wait_s, "request")
            else:
                await self._exchange(message, waiter, trio.current_time(), wait_s, "request")
            reply = waiter.reply
            assert reply is not None
            self._counters.observe_latency(perf_counter() - began)
            return reply
        finally:
            waiter.active = False
            del self._pending[message.message_id]

    async def request_stream(
        self,
        message: Message,
        addr: Address,
        timeout: float | None = None,  # noqa: ASYNC109 - part of the API; bounds each wait
    ) -> AsyncIterator[bytes]:
        """Send ``message`` and yield the reply's incremental result chunks, in order.

        A handler that returns an async iterator streams each chunk as it is produced; a plain
        reply yields its payload as one chunk. ``timeout`` bounds the wait for the first
        reply and for each following chunk.

        Raises:
            RequestTimeout: nothing arrived within ``timeout``.
            RemoteError: the peer answered with an Error (or the handler failed mid-stream).
            StreamError: the stream failed.

        Example:
            >>> async for chunk in ep.request_stream(ep.new_message(MessageType.CALL, b"go"), peer):
            ...     print(chunk)
        """
        peer = self._peers.get(addr) or await self._resolve(addr)
        wait_s = self._timeout(timeout)
        waiter = self._register(message, peer, streaming=True)
        try:
            await self._exchange(message, waiter, trio.current_time(), wait_s, "request")
            reply = waiter.reply
            if reply is not None:
                _raise_if_error(reply)
                yield reply.payload
                return
            stream = waiter.stream
            assert stream is not None
            while True:
                chunk = stream.take(trio.current_time())
                if chunk is not None:
                    yield chunk
                    continue
                if stream.state == COMPLETE:
                    if stream.close_status == wire.CLOSE_ERROR or stream.msg_type is _ERROR:
                        _raise_if_error(stream_message(stream, stream.close_error))
                    return
                if stream.state == FAILED:
                    assert stream.error is not None
                    raise stream.error
                wait_until = trio.current_time() + wait_s
                while stream.state == RECEIVING and not stream.chunks:
                    if trio.current_time() >= wait_until:
                        stream.cancel("the consumer timed out waiting for the next chunk")
                        self._counters.request_timeouts += 1
                        raise RequestTimeout(
                            "next stream chunk of", message.message_id, peer, wait_s, 1
                        )
                    await waiter.park(wait_until)
        finally:
            stream = waiter.stream
            if stream is not None and stream.state == RECEIVING:
                stream.cancel("the consumer stopped reading")
            self._unregister(message.message_id, waiter)

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

    # -- request machinery -------------------------------------------------------------------

    def _timeout(self, timeout: float | None) -> float:
        if self._closed:
            raise EndpointClosed(
                f"endpoint {self._label} is closed - use it inside its 'async with' block"
            )
        if timeout is None:
            return self._config.request_timeout
        valid = isinstance(timeout, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
        if isinstance(timeout, bool) or not (valid and timeout > 0 and math.isfinite(timeout)):
            raise UsageError(f"timeout: expected a positive number of seconds, got {timeout!r}")
        return float(timeout)

    def _register(self, message: Message, peer: Address, *, streaming: bool) -> Waiter:
        mid = message.message_id
        if mid in self._pending:
            raise UsageError(
                f"request: message_id {mid:#018x} is already in flight - build every request "
                "with new_message() or Message.new()"
            )
        waiter = self._pending[mid] = Waiter(peer, message.type, streaming)
        self._counters.requests += 1
        return waiter

    def _unregister(self, mid: int, waiter: Waiter) -> None:
        waiter.active = False
        if self._pending.get(mid) is waiter:
            del self._pending[mid]

    async def _exchange(
        self, message: Message, waiter: Waiter, start: float, wait_s: float, what: str
    ) -> None:
        """Send ``message`` (streaming it if large), then wait while the timer retransmits."""
        peer = waiter.peer
        deadline = waiter.deadline = start + wait_s
        rto = waiter.rto = self._config.initial_rto
        if len(message.payload) <= self._max_payload:
            frame = waiter.frame = encode(message)
            if not self._io.try_send(frame, peer):
                await self._io.send(frame, peer)
            first = start + rto
        else:
            upload = waiter.upload = await self._streams.upload(
                message, peer, deadline, wait_s, waiter
            )
            waiter.frame = upload.close_frame
            first = trio.current_time() + rto
        self._timer.arm(waiter, first if first < deadline else deadline)
        try:
            while not waiter.done_waiting:
                await waiter.wait()
        finally:
            upload = waiter.upload
            if upload is not None and not upload.done:
                if waiter.reply is not None:
                    upload.release()  # the peer answered, so it has the whole body
                else:
                    upload.abort("the request ended before the upload completed")
        if waiter.error is not None:
            raise waiter.error
        if waiter.timed_out and waiter.reply is None:
            self._timed_out(waiter, message, wait_s, what)

    def _timed_out(self, waiter: Waiter, message: Message, wait_s: float, what: str) -> NoReturn:
        """Count and raise the timeout of ``waiter`` (cancelling its reply stream)."""
        self._counters.request_timeouts += 1
        if waiter.stream is not None:
            waiter.stream.cancel("the request timed out")
        raise RequestTimeout(what, message.message_id, waiter.peer, wait_s, waiter.attempts)

    async def _resolve(self, addr: Address) -> Address:
        """The canonical ``(ip, port)`` of ``addr`` (cached)."""
        try:
            host, port = addr
        except (TypeError, ValueError):
            raise UsageError(f"address: expected (host, port), got {addr!r}") from None
        valid = isinstance(port, int) and not isinstance(port, bool)  # pyright: ignore[reportUnnecessaryIsInstance]
        if not valid or not 0 < port <= 0xFFFF:
            raise UsageError(f"address {addr!r}: port must be an int in 1..65535")
        family = socket.AF_INET6 if self._v6 else socket.AF_INET
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            try:
                infos = await trio.socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM)
            except OSError as error:
                raise UsageError(f"address {addr!r}: cannot resolve {host!r}: {error}") from None
            resolved = cast("tuple[str, int]", infos[0][4][:2])
            peer = (resolved[0], resolved[1])
        else:
            if (ip.version == 6) != self._v6:
                raise UsageError(
                    f"address {addr!r}: this endpoint is bound to {self._label} (IPv"
                    f"{6 if self._v6 else 4}) and cannot reach an IPv{ip.version} address - "
                    "bind an endpoint of the same family"
                )
            peer = (str(ip), port)
        if len(self._peers) >= _MAX_PEER_CACHE:
            self._peers.clear()
        self._peers[addr] = peer
        return peer

    # -- receiving ---------------------------------------------------------------------------

    async def _receive_batch(self) -> None:
        """Wait for the socket, then decode and route up to a batch of datagrams.

        Replies, acks and stream frames are handled right here; requests are queued.
        """
        sock = self._sock
        await trio.lowlevel.wait_readable(sock)
        self._now = trio.current_time()
        recv_into = sock.recvfrom_into
        buffer = self._buffer
        view = self._view
        on_datagram = self._on_datagram
        for _ in range(_BATCH):
            try:
                size, addr = recv_into(buffer)
            except BlockingIOError:
                break
            except OSError:  # e.g. an ICMP error reported on some platforms
                self._counters.drop("socket_error")
                continue
            try:
                on_datagram(view[:size], addr)
            except Exception:  # a bug must not stop the endpoint: count and go on
                self._counters.drop("internal_error")
        if self._streams.ack_due:
            self._streams.flush_acks(self._now)

    def _on_datagram(self, data: memoryview, addr: tuple[str, int]) -> None:
        counters = self._counters
        counters.bytes_in += len(data)
        try:
            msg = decode(data)
        except MxpError as error:
            counters.decode_error(type(error).__name__)
            return
        if self._v6:
            addr = (addr[0], addr[1])
        msg_type = msg.type
        counters.frames_in[msg_type] += 1
        if msg_type is _ACK:
            self._on_ack(msg, addr)
            return
        if msg_type in _STREAM_TYPES:
            self._streams.on_frame(msg, addr, self._now)
            return
        waiter = self._pending.get(msg.message_id)
        if (
            waiter is not None
            and waiter.peer == addr
            and (msg_type is not waiter.request_type or msg_type is _RESPONSE)
        ):
            if msg.flags in _WANTS_ACK:
                self._send_ack(msg, addr)
            if waiter.reply is None:
                waiter.reply = msg
                waiter.wake()
            return
        self._dispatch(msg, addr)

    def _send_ack(self, msg: Message, addr: Address) -> None:
        self._io.send_now(
            encode(Message(_ACK, b"", Flags.NONE, msg.message_id, msg.trace_id)), addr
        )

    def _dispatch(
        self, msg: Message, addr: Address, streamed: bool = False, duplicate: bool = False
    ) -> None:
        """A message that is not a reply: answer duplicates, else queue it for its handler.

        ``duplicate``: ``msg`` is only the header of a streamed request seen before; it is
        answered from the window but never executed.
        """
        key: DedupKey = (addr, msg.message_id)
        state = self._dedup.lookup(key, self._now)
        if duplicate and state is None:
            self._counters.drop("late_stream_frame")
            return
        if state is not None:
            self._counters.duplicates_suppressed += 1
            if msg.flags in _WANTS_ACK:
                self._send_ack(msg, addr)
            if state is not RUNNING and state:
                self._io.send_now(cast("bytes", state), addr)
            return
        msg_type = msg.type
        handler = self._handlers.get(msg_type)
        if handler is None:
            if msg.flags in _WANTS_ACK:
                self._send_ack(msg, addr)  # received, even if nothing here handles it
            if msg_type in REQUEST_LIKE:
                self._io.send_now(
                    encode(
                        _error_reply(
                            msg,
                            "unsupported",
                            f"no handler for {msg_type.name} at {self._label} - the peer must "
                            f"install one with Endpoint.set_handler(MessageType.{msg_type.name}, "
                            "handler)",
                        )
                    ),
                    addr,
                )
            else:
                self._counters.drop(
                    "unexpected_reply" if msg_type in (_RESPONSE, _ERROR) else "no_handler"
                )
            return
        if not self._pool.enqueue((msg, addr, handler)):
            self._counters.dropped_queue_full += 1
            if streamed:
                # The body arrived as a stream, which will not be resent: answer "busy".
                frame = encode(
                    _error_reply(
                        msg,
                        "busy",
                        f"request queue of {self._label} is full "
                        "(EndpointConfig.recv_queue_size) - retry later",
                    )
                )
                self._dedup.finish(key, frame, self._now)
                self._io.send_now(frame, addr)
            return
        self._dedup.start(key)
        if msg.flags in _WANTS_ACK:
            self._send_ack(msg, addr)

    def _on_ack(self, msg: Message, addr: Address) -> None:
        payload = msg.payload
        if not payload:
            waiter = self._ack_waiters.get(msg.message_id)
            if waiter is not None and waiter.peer == addr:
                waiter.reply = msg
                waiter.wake()
            elif msg.message_id not in self._pending:  # Acks of our requests need no action
                self._counters.drop("unexpected_ack")
            return
        self._streams.on_ack(payload, addr, self._now)

    # -- handlers ----------------------------------------------------------------------------

    async def _handle(self, msg: Message, addr: Address, handler: Handler) -> None:
        CURRENT_TRACE.set(msg.trace_id)
        self._running += 1
        frame = b""
        try:
            try:
                pending = handler(msg, addr)
                if pending.__class__ is not CoroutineType and hasattr(pending, "__anext__"):
                    result = cast("HandlerResult", pending)  # an async generator function
                else:
                    result = await pending
            except Exception as error:  # the handler's failure becomes an Error reply
                self._counters.handler_errors += 1
                result = _error_reply(msg, "internal", describe(error, msg, self._label))
            if result.__class__ is Message:
                reply = cast("Message", result)
                if (
                    len(reply.payload) <= self._max_payload
                    and reply.message_id == msg.message_id
                    and reply.trace_id == msg.trace_id
                ):
                    frame = encode(reply)
                    if not self._io.try_send(frame, addr):
                        await self._io.send(frame, addr)
                else:
                    frame = await self._deliver(msg, addr, reply)
            elif result is not None:
                frame = await self._deliver(msg, addr, result)
        except (MxpError, OSError):
            self._counters.drop("reply_failed")
        finally:
            self._running -= 1
            self._dedup.finish((addr, msg.message_id), frame, trio.current_time())

    async def _deliver(
        self, msg: Message, addr: Address, result: Message | AsyncIterator[bytes]
    ) -> bytes:
        """Send a reply that needs a stream or a fix-up; returns the frame to cache."""
        if isinstance(result, Message):
            reply = result
            if reply.message_id != msg.message_id or reply.trace_id != msg.trace_id:
                reply = Message(
                    reply.type, reply.payload, reply.flags, msg.message_id, msg.trace_id
                )
            if len(reply.payload) <= self._max_payload:
                frame = encode(reply)
                await self._io.send(frame, addr)
                return frame
            await self._streams.send_reply(msg, addr, reply)
            return b""
        if hasattr(result, "__anext__"):
            await self._streams.send_reply(msg, addr, result)
            return b""
        self._counters.handler_errors += 1
        frame = encode(
            _error_reply(
                msg,
                "internal",
                f"handler for {msg.type.name} returned {type(result).__name__}; "
                "expected a Message, None or an async iterator of bytes",
            )
        )
        await self._io.send(frame, addr)
        return frame

    @classmethod
    @asynccontextmanager
    async def _lifetime(
        cls, host: str, port: int, config: EndpointConfig
    ) -> AsyncGenerator[Endpoint, None]:
        """Bind, run the receive task until the block exits, then close (see `bind`)."""
        valid = isinstance(port, int) and not isinstance(port, bool)  # pyright: ignore[reportUnnecessaryIsInstance]
        if not valid or not 0 <= port <= 0xFFFF:
            raise UsageError(f"bind: port must be an int in 0..65535, got {port!r}")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            try:
                infos = await trio.socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)
            except OSError as error:
                raise UsageError(f"bind: cannot resolve {host!r}: {error}") from None
            family = infos[0][0]
            address = cast("tuple[str, int]", infos[0][4][:2])
        else:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            address = (str(ip), port)
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


def _error_reply(msg: Message, code: str, text: str) -> Message:
    return msg.reply(_ERROR, encode_body(ErrorResponse(error=text, code=code)))


def _raise_if_error(reply: Message) -> None:
    if reply.type is not _ERROR:
        return
    try:
        body = decode_body(reply.payload, ErrorResponse)
    except MxpError:
        raise RemoteError(
            "unknown", reply.payload[:200].decode("utf-8", "replace"), reply
        ) from None
    raise RemoteError(body.code, body.error, reply)
