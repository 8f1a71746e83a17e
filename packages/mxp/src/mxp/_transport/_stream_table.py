"""The endpoint's streams: inbound reassembly and outbound senders, keyed by (peer, id, role).

`StreamTable` opens an inbound stream on its first frame (or refuses it: unexpected reply,
too many streams), remembers recently finished or refused streams so that late frames get the
same final answer, hands a completed request body to the endpoint as one message, completes
or fails the call waiting for a streamed reply, and runs the outbound side: uploads of large
request bodies and streamed replies (a large reply, or a handler's incremental results).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Final

import trio

from mxp._errors import MxpError
from mxp._message import Message
from mxp._transport import _wire as wire
from mxp._transport._dedup import ExpiringLru
from mxp._transport._errors import RequestTimeout, StreamError, UsageError
from mxp._transport._inbound import InboundStream
from mxp._transport._outbound import OutboundStream
from mxp._transport._replies import describe, error_body, stream_message
from mxp._transport._stream_base import FAILED, StreamBudget, StreamKey, abort_frame
from mxp._types import Flags, MessageType

if TYPE_CHECKING:
    from mxp._transport._config import EndpointConfig
    from mxp._transport._io import DatagramIo
    from mxp._transport._types import Address
    from mxp._transport._waiter import Waiter

_RESPONSE: Final = MessageType.RESPONSE

Dispatch = Callable[[Message, "Address", bool, bool], None]
"""``dispatch(message, peer, streamed, duplicate)``: the endpoint's request path."""


class StreamTable:
    """All streams of one endpoint and the rules for opening, refusing and ending them.

    Example:
        >>> table = StreamTable(io, config, nursery, "127.0.0.1:9000", pending.get, dispatch)
        >>> table.on_frame(stream_frame, peer, now)  # from the receive path
        >>> stream = await table.upload(big_request, peer, deadline, 5.0, waiter)
    """

    def __init__(
        self,
        io: DatagramIo,
        config: EndpointConfig,
        nursery: trio.Nursery,
        label: str,
        find_waiter: Callable[[int], Waiter | None],
        dispatch: Dispatch,
    ) -> None:
        self._io = io
        self._config = config
        self._nursery = nursery
        self._label = label
        self._find_waiter = find_waiter
        self._dispatch = dispatch
        self.inbound: dict[StreamKey, InboundStream] = {}
        self.outbound: dict[StreamKey, OutboundStream] = {}
        self.finished = ExpiringLru[StreamKey, tuple[bytes, Message | None]](
            size=config.dedup_window, ttl=config.dedup_ttl
        )
        self.budget = StreamBudget(config.stream_max_buffered_bytes)
        self.ack_due: list[InboundStream] = []

    def __len__(self) -> int:
        return len(self.inbound) + len(self.outbound)

    def flush_acks(self, now: float) -> None:
        """Send the acks that in-order stream data made due during a receive batch."""
        for stream in self.ack_due:
            if stream.ack_due:
                stream.send_ack(now)
        self.ack_due.clear()

    def on_ack(self, payload: bytes, addr: Address, now: float) -> None:
        """Apply a stream Ack (an Ack frame with a body) to the outbound stream it concerns."""
        counters = self._io.counters
        try:
            role, status, stream_id, cum, limit, tail = wire.unpack_ack(payload)
        except wire.MalformedStreamBody:
            counters.drop("malformed_stream")
            return
        stream = self.outbound.get((addr, stream_id, role))
        if stream is None:
            counters.drop("unknown_stream")
            return
        stream.on_ack(status, cum, limit, tail, now)

    def close(self) -> None:
        """Abort every stream (the endpoint is closing)."""
        for stream in tuple(self.outbound.values()):
            stream.abort("the endpoint closed")
        for inbound in tuple(self.inbound.values()):
            inbound.cancel("the endpoint closed")

    async def upload(
        self,
        message: Message,
        peer: Address,
        deadline: float,
        wait_s: float,
        waiter: Waiter | None,
    ) -> OutboundStream:
        """Stream a large request body; returns once every frame was sent (not yet acked)."""
        stream = self.start_outbound(peer, message.message_id, wire.ROLE_REQUEST, message.trace_id)
        if waiter is not None:

            def ended() -> None:
                if stream.error is not None and not waiter.done_waiting:
                    waiter.error = stream.error  # the upload failed: so did the request
                waiter.wake()

            stream.on_done = ended
        try:
            with trio.move_on_at(deadline) as scope:
                await stream.send_message(message)
        except BaseException:
            stream.abort("the sender stopped")
            raise
        if scope.cancelled_caught:
            stream.abort("the request timed out")
            self._io.counters.request_timeouts += 1
            raise RequestTimeout("streamed request", message.message_id, peer, wait_s, 1)
        return stream

    def start_outbound(
        self, peer: Address, stream_id: int, role: int, trace_id: int
    ) -> OutboundStream:
        """Register a new outbound stream and start its timer task."""
        key: StreamKey = (peer, stream_id, role)
        if key in self.outbound:
            raise UsageError(f"stream {stream_id:#018x} to {peer} is already being sent")
        stream = OutboundStream(
            self._io, self._config, peer=peer, stream_id=stream_id, role=role, trace_id=trace_id
        )
        self.outbound[key] = stream
        stream.on_end = self._forget_outbound
        self._io.counters.streams_opened += 1
        self._nursery.start_soon(stream.run_timer)
        return stream

    def _forget_outbound(self, stream: OutboundStream) -> None:
        key = stream_key(stream)
        if self.outbound.get(key) is stream:
            del self.outbound[key]

    def on_frame(self, msg: Message, addr: Address, now: float) -> None:
        """Route a StreamOpen/Chunk/Close frame to its stream (opening it if new)."""
        try:
            role, bits, stream_id, seq = wire.unpack_prefix(msg.payload)
        except wire.MalformedStreamBody:
            self._io.counters.drop("malformed_stream")
            return
        if stream_id != msg.message_id:
            self._io.counters.drop("malformed_stream")
            return
        key: StreamKey = (addr, stream_id, role)
        stream = self.inbound.get(key)
        if stream is None:
            stream = self._open_inbound(key, msg, role, now)
            if stream is None:
                return
        stream.on_frame(msg.type, bits, seq, msg.payload, now)

    def _open_inbound(
        self, key: StreamKey, msg: Message, role: int, now: float
    ) -> InboundStream | None:
        addr, stream_id, _ = key
        counters = self._io.counters
        finished = self.finished.get(key, now)
        if finished is not None:
            final_frame, header = finished
            self._io.send_now(final_frame, addr)
            if header is not None and msg.type is MessageType.STREAM_CLOSE:
                self._dispatch(header, addr, False, True)  # a retransmitted request
            return None
        waiter = None
        if role == wire.ROLE_REPLY:
            waiter = self._find_waiter(stream_id)
            if waiter is None or waiter.peer != addr or waiter.settled or waiter.stream:
                counters.streams_rejected += 1
                self._refuse(key, msg, wire.AbortReason.UNEXPECTED, "no request waits for it")
                return None
        if len(self.inbound) >= self._config.stream_max_concurrent:
            counters.streams_rejected += 1
            self._refuse(
                key,
                msg,
                wire.AbortReason.TOO_MANY_STREAMS,
                f"{self._label} already receives {len(self.inbound)} streams "
                "(EndpointConfig.stream_max_concurrent) - retry later",
            )
            return None
        stream = InboundStream(
            self._io,
            self._config,
            self.budget,
            self.ack_due,
            peer=addr,
            stream_id=stream_id,
            role=role,
            trace_id=msg.trace_id,
            now=now,
        )
        stream.on_end = self._on_inbound_end
        if waiter is not None:
            stream.streaming = waiter.streaming
            if waiter.streaming:
                stream.notify = waiter.wake
            waiter.stream = stream
            waiter.wake()
        self.inbound[key] = stream
        counters.streams_opened += 1
        self._nursery.start_soon(stream.run_timer)
        return stream

    def _refuse(self, key: StreamKey, msg: Message, reason: wire.AbortReason, text: str) -> None:
        """Answer with an abort Ack, and give later frames of the stream the same answer."""
        addr, stream_id, role = key
        frame = abort_frame(role, stream_id, msg.trace_id, reason, text)
        self.finished.put(key, (frame, None), trio.current_time())
        self._io.send_now(frame, addr)

    def _on_inbound_end(self, stream: InboundStream) -> None:
        key = stream.key
        if self.inbound.get(key) is stream:
            del self.inbound[key]
        counters = self._io.counters
        addr = stream.peer
        if stream.state == FAILED:
            counters.streams_failed += 1
            self.finished.put(key, (stream.final_frame, None), trio.current_time())
            waiter = self._find_waiter(stream.stream_id)
            if waiter is not None and waiter.stream is stream and not waiter.streaming:
                waiter.error = stream.error
                waiter.wake()
            return
        counters.streams_completed += 1
        if stream.role == wire.ROLE_REQUEST:
            header = Message(
                stream.msg_type, b"", stream.msg_flags, stream.stream_id, stream.trace_id
            )
            self.finished.put(key, (stream.final_frame, header), trio.current_time())
            try:
                body = stream.payload()
                message = Message(
                    stream.msg_type, body, stream.msg_flags, stream.stream_id, stream.trace_id
                )
            except MxpError:
                counters.drop("malformed_stream")
                return
            self._dispatch(message, addr, True, False)
            return
        self.finished.put(key, (stream.final_frame, None), trio.current_time())
        waiter = self._find_waiter(stream.stream_id)
        if waiter is None or waiter.stream is not stream:
            return
        if waiter.streaming:
            waiter.wake()
            return
        if stream.close_status == wire.CLOSE_ERROR:
            waiter.reply = stream_message(stream, stream.close_error)
        else:
            try:
                waiter.reply = stream_message(stream, stream.payload())
            except MxpError as error:
                waiter.error = StreamError(
                    "too_large",
                    f"reply of {stream.received} bytes cannot be one Message ({error}) - "
                    "use request_stream() for results above 16 MiB",
                )
        waiter.wake()

    async def send_reply(
        self, msg: Message, addr: Address, result: Message | AsyncIterator[bytes]
    ) -> None:
        """Stream the reply to ``msg``: a large Message, or a handler's incremental results."""
        stream = self.start_outbound(addr, msg.message_id, wire.ROLE_REPLY, msg.trace_id)
        try:
            if isinstance(result, Message):
                await stream.send_message(result)
            else:
                await stream.open(_RESPONSE, Flags.NONE, wire.UNKNOWN_TOTAL)
                await self._pump(msg, stream, result)
            await stream.wait_complete()
        except BaseException:
            stream.abort("the reply was interrupted")
            raise

    async def _pump(
        self, msg: Message, stream: OutboundStream, chunks: AsyncIterator[bytes]
    ) -> None:
        """Forward a handler's incremental results; a failure ends the stream with an Error."""
        try:
            async for chunk in chunks:
                if not isinstance(chunk, bytes | bytearray | memoryview):  # pyright: ignore[reportUnnecessaryIsInstance]
                    raise TypeError(  # noqa: TRY301 - reported to the caller like any failure
                        f"incremental result chunk is {type(chunk).__name__}, expected bytes"
                    )
                await stream.send_body(chunk)
        except StreamError:
            raise
        except Exception as error:
            self._io.counters.handler_errors += 1
            body = error_body("internal", describe(error, msg, self._label))
            await stream.close(wire.CLOSE_ERROR, body)
            return
        finally:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                with trio.move_on_after(self._config.stream_idle_timeout) as scope:
                    scope.shield = True
                    await aclose()
        await stream.close()


def stream_key(stream: OutboundStream) -> StreamKey:
    """The outbound table key of ``stream``."""
    return (stream.peer, stream.stream_id, stream.role)
