"""The request side of an endpoint: `send`, `request` and `request_stream`.

A request registers a `Waiter` under its message_id, sends its frame (or uploads a large body as
a stream) and parks; the receive path wakes it with the reply, the endpoint's one
`RetransmitTimer` retransmits with backoff and wakes it at its deadline. A reply that arrives as
a stream completes the waiter when reassembled, or feeds `request_stream` chunk by chunk.
"""

from __future__ import annotations

import math
from time import perf_counter
from typing import TYPE_CHECKING, Final, NoReturn

import trio

from mxp._codec import encode
from mxp._transport import _wire as wire
from mxp._transport._endpoint_core import WANTS_ACK, EndpointCore
from mxp._transport._errors import EndpointClosed, RequestTimeout, UsageError
from mxp._transport._replies import raise_if_error, stream_message
from mxp._transport._stream_base import COMPLETE, FAILED, RECEIVING
from mxp._transport._waiter import Waiter
from mxp._types import MessageType

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mxp._message import Message
    from mxp._transport._types import Address

_ERROR: Final = MessageType.ERROR


class RequestSide(EndpointCore):
    """`send`, `request` and `request_stream` of an `Endpoint`."""

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
        wants_ack = message.flags in WANTS_ACK
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
                raise_if_error(reply)
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
                        raise_if_error(stream_message(stream, stream.close_error))
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
