"""Reliable streams over datagrams: the sender (`OutboundStream`) and reassembly (`InboundStream`).

The wire format and the rules both sides follow are in `mxp._transport._wire`. Each stream has a
timer task (spawned by the endpoint) that runs until the stream completes or fails; the stream
cancels it when it ends, so nothing outlives the stream.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Final

import trio

from mxp._codec import encode
from mxp._message import Message
from mxp._transport import _wire as wire
from mxp._transport._errors import StreamError
from mxp._transport._types import Address
from mxp._types import MAX_PAYLOAD_SIZE, TYPE_TABLE, Flags, MessageType

if TYPE_CHECKING:
    from collections.abc import Callable

    from mxp._transport._config import EndpointConfig
    from mxp._transport._io import DatagramIo

StreamKey = tuple[Address, int, int]
"""(peer, stream_id, role)."""

RECEIVING: Final = 0
COMPLETE: Final = 1
FAILED: Final = 2

_INITIAL_CWND: Final = 8.0


def _ack_frame(stream_id: int, trace_id: int, body: bytes) -> bytes:
    return encode(Message(MessageType.ACK, body, Flags.NONE, stream_id, trace_id))


def abort_frame(
    role: int, stream_id: int, trace_id: int, reason: wire.AbortReason, text: str
) -> bytes:
    """An encoded abort Ack refusing or ending stream ``stream_id``."""
    return _ack_frame(stream_id, trace_id, wire.pack_abort(role, stream_id, reason, text))


class StreamBudget:
    """Bytes buffered by all inbound streams of one endpoint, against a ceiling."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0


class _Sent:
    """One unacknowledged frame of an outbound stream."""

    __slots__ = ("first", "frame", "last", "sends")

    def __init__(self, frame: bytes, now: float) -> None:
        self.frame = frame
        self.first = now
        self.last = now
        self.sends = 1


def _last_sent(entry: _Sent) -> float:
    return entry.last


class OutboundStream:
    """Sends one stream: window and congestion control, selective acks, retransmission.

    Use: ``await open(...)``, ``await piece(...)`` per piece, ``await close(...)``, then
    ``await wait_complete()``; run `run_timer` in a nursery for the stream's lifetime.
    """

    __slots__ = (
        "_finished",
        "_kick",
        "_recovery_until",
        "_space",
        "close_frame",
        "close_seq",
        "config",
        "cum",
        "cwnd",
        "done",
        "error",
        "io",
        "last_ack",
        "last_frame",
        "last_sent",
        "limit",
        "next_seq",
        "on_done",
        "on_end",
        "peer",
        "role",
        "rto",
        "scope",
        "srtt",
        "ssthresh",
        "stream_id",
        "total",
        "trace_id",
        "unacked",
    )

    def __init__(
        self,
        io: DatagramIo,
        config: EndpointConfig,
        *,
        peer: Address,
        stream_id: int,
        role: int,
        trace_id: int,
    ) -> None:
        self.io = io
        self.config = config
        self.peer = peer
        self.stream_id = stream_id
        self.role = role
        self.trace_id = trace_id
        self.unacked: dict[int, _Sent] = {}
        self.next_seq = 0
        self.cum = 0
        self.limit = config.stream_window
        self.cwnd = min(_INITIAL_CWND, float(config.stream_window))
        self.ssthresh = float(config.stream_window)
        self._recovery_until = 0
        self.close_seq: int | None = None
        self.close_frame = b""
        self.total = 0
        self.error: StreamError | None = None
        self.done = False
        self.rto = config.initial_rto
        self.srtt = 0.0
        self.last_ack = trio.current_time()
        self.last_sent = self.last_ack
        self.last_frame = b""
        self.on_done: Callable[[], None] | None = None
        self.on_end: Callable[[OutboundStream], None] | None = None
        self._space: trio.Event | None = None
        self._kick = trio.Event()
        self._finished = trio.Event()
        self.scope = trio.CancelScope()

    # -- producing ---------------------------------------------------------------------------

    async def open(self, msg_type: MessageType, msg_flags: Flags, total: int) -> None:
        """Send the StreamOpen announcing the carried message's type, flags and size."""
        body = wire.pack_open(self.role, self.stream_id, msg_type, msg_flags, total)
        await self._push(MessageType.STREAM_OPEN, Flags.NONE, body)

    async def piece(self, data: bytes | memoryview, more: bool) -> None:
        """Send one StreamChunk; ``more`` means the result chunk continues in the next piece."""
        body = wire.pack_chunk(self.role, self.stream_id, self.next_seq, more, data)
        self.total += len(data)
        await self._push(MessageType.STREAM_CHUNK, Flags.NONE, body, check_seq=True)

    async def send_body(self, payload: bytes) -> None:
        """Send ``payload`` as pieces of at most one datagram each (one result chunk)."""
        size = self.config.chunk_size
        view = memoryview(payload)
        length = len(payload)
        if length == 0:
            await self.piece(b"", False)
            return
        for start in range(0, length, size):
            end = start + size
            await self.piece(view[start:end], end < length)

    async def close(self, status: int = wire.CLOSE_OK, error: bytes = b"") -> None:
        """Send the StreamClose (FINAL); the stream completes when the receiver acknowledges it."""
        seq = self.next_seq
        body = wire.pack_close(self.role, self.stream_id, seq, status, self.total, error)
        self.close_seq = seq
        await self._push(MessageType.STREAM_CLOSE, Flags.FINAL, body)

    async def wait_complete(self) -> None:
        """Wait until every frame is acknowledged; raise the stream's `StreamError` if it failed."""
        await self._finished.wait()
        if self.error is not None:
            raise self.error

    def abort(self, text: str) -> None:
        """Give up sending: tell the receiver (best effort) and fail locally with ``cancelled``."""
        if self.done:
            return
        body = wire.pack_close(
            self.role, self.stream_id, self.next_seq, wire.CLOSE_ABORTED, self.total
        )
        frame = encode(
            Message(MessageType.STREAM_CLOSE, body, Flags.FINAL, self.stream_id, self.trace_id)
        )
        self.io.send_now(frame, self.peer)
        self._fail(StreamError("cancelled", text))

    def release(self) -> None:
        """Stop tracking the stream without failing it (its purpose was served)."""
        if not self.done:
            self.done = True
            self.unacked.clear()
            self._end()

    async def _push(
        self, msg_type: MessageType, flags: Flags, body: bytes, *, check_seq: bool = False
    ) -> None:
        while not self.done and self.next_seq >= min(self.limit, self.cum + int(self.cwnd)):
            space = self._space = trio.Event()
            self._kick.set()  # the timer watches for silence while we wait
            await space.wait()
        if self.error is not None:
            raise self.error
        if self.done:
            raise StreamError("aborted", f"stream {self.stream_id:#018x} already ended")
        seq = self.next_seq
        if seq >= wire.MAX_SEQ:
            raise StreamError("too_many_chunks", f"stream {self.stream_id:#018x} ran out of seqs")
        self.next_seq = seq + 1
        frame = encode(Message(msg_type, body, flags, self.stream_id, self.trace_id))
        if msg_type is MessageType.STREAM_CLOSE:
            self.close_frame = frame
        now = trio.current_time()
        if not self.unacked:
            self.last_ack = now
            self._kick.set()
        self.unacked[seq] = _Sent(frame, now)
        self.last_frame = frame
        self.last_sent = now
        await self.io.send(frame, self.peer)

    # -- feedback ----------------------------------------------------------------------------

    def on_ack(self, status: int, cum: int, limit: int, tail: bytes, now: float) -> None:
        """Apply a stream Ack from the receiver."""
        if self.done:
            return
        self.last_ack = now
        if status == wire.ACK_ABORT:
            reason, text = wire.abort_reason(tail)
            self._fail(
                StreamError(
                    reason,
                    f"{self.peer[0]}:{self.peer[1]} refused stream {self.stream_id:#018x}: {text}",
                )
            )
            return
        unacked = self.unacked
        newly = 0
        if cum > self.cum:
            for seq in range(self.cum, min(cum, self.next_seq)):
                entry = unacked.pop(seq, None)
                if entry is not None:
                    newly += 1
                    if entry.sends == 1:
                        self._sample(now - entry.first)
            self.cum = min(cum, self.next_seq)
        sacked = wire.bitmap_seqs(cum, tail) if tail and status == wire.ACK_PROGRESS else []
        for seq in sacked:
            if unacked.pop(seq, None) is not None:
                newly += 1
        if newly:
            self.rto = self.config.initial_rto
            if self.cwnd < self.ssthresh:
                self.cwnd = min(self.cwnd + newly, float(self.config.stream_window))
            else:
                self.cwnd = min(self.cwnd + newly / self.cwnd, float(self.config.stream_window))
        self.limit = max(self.limit, min(limit, self.cum + self.config.stream_window))
        if status == wire.ACK_COMPLETE or (
            self.close_seq is not None and self.cum > self.close_seq
        ):
            self._complete()
            return
        if sacked:
            self._fast_retransmit(max(sacked), now)
        self._wake_space()

    def _sample(self, rtt: float) -> None:
        self.srtt = rtt if self.srtt == 0.0 else self.srtt + (rtt - self.srtt) / 8

    def _fast_retransmit(self, top: int, now: float) -> None:
        threshold = now - (self.srtt * 1.5 if self.srtt else self.config.initial_rto / 4)
        resent = False
        for seq, entry in self.unacked.items():
            if seq >= top:
                break
            if entry.last <= threshold:
                self._resend(entry, now)
                resent = True
        if resent and self.cum >= self._recovery_until:
            self._recovery_until = self.next_seq
            self.ssthresh = max(2.0, self.cwnd / 2)
            self.cwnd = self.ssthresh

    def _resend(self, entry: _Sent, now: float) -> None:
        entry.last = now
        entry.sends += 1
        self.io.counters.retransmits += 1
        self.io.send_now(entry.frame, self.peer)

    # -- timer -------------------------------------------------------------------------------

    async def run_timer(self) -> None:
        """Retransmit on timeout and fail the stream when the receiver stays silent too long.

        While the producer is quiet (nothing unacknowledged, the stream not closed), a
        keepalive - the latest frame again, a duplicate for the receiver - goes out every third
        of the idle timeout, so a slow producer does not look like a dead peer, and a dead
        peer is still noticed.
        """
        idle = self.config.stream_idle_timeout
        with self.scope:
            while not self.done:
                now = trio.current_time()
                keepalive_at = math.inf
                if not self.unacked and self.close_seq is None and self.last_frame:
                    keepalive_at = self.last_sent + idle / 3
                    if now >= keepalive_at:
                        self.last_sent = now
                        self.io.send_now(self.last_frame, self.peer)
                        continue
                if self.unacked or self._space is not None or keepalive_at < math.inf:
                    idle_at = self.last_ack + idle
                    if now >= idle_at:
                        self._fail(
                            StreamError(
                                "idle_timeout",
                                f"no acknowledgement from {self.peer[0]}:{self.peer[1]} for "
                                f"{idle:g} s on stream {self.stream_id:#018x} - is the peer "
                                "alive? (EndpointConfig.stream_idle_timeout)",
                            )
                        )
                        return
                else:
                    idle_at = math.inf
                retransmit_at = math.inf
                if self.unacked:
                    oldest = min(entry.last for entry in self.unacked.values())
                    retransmit_at = oldest + self.rto
                    if now >= retransmit_at:
                        self._on_timeout(now)
                        continue
                self._kick = trio.Event()
                with trio.move_on_at(min(idle_at, retransmit_at, keepalive_at)):
                    await self._kick.wait()

    def _on_timeout(self, now: float) -> None:
        rto = self.rto
        budget = max(1, int(self.cwnd))
        oldest = min(self.unacked.values(), key=_last_sent)
        self._resend(oldest, now)  # always progress, whatever the rounding
        budget -= 1
        for entry in self.unacked.values():
            if budget == 0:
                break
            if entry is not oldest and entry.last + rto <= now:
                self._resend(entry, now)
                budget -= 1
        self.ssthresh = max(2.0, self.cwnd / 2)
        self.cwnd = 2.0
        self.rto = min(self.rto * self.config.backoff, self.config.max_rto)

    # -- ending ------------------------------------------------------------------------------

    def _wake_space(self) -> None:
        space = self._space
        if space is not None and (
            self.done or self.next_seq < min(self.limit, self.cum + int(self.cwnd))
        ):
            self._space = None
            space.set()

    def _complete(self) -> None:
        self.done = True
        self.unacked.clear()
        self.io.counters.streams_completed += 1
        self._end()

    def _fail(self, error: StreamError) -> None:
        if self.done:
            return
        self.done = True
        self.error = error
        self.unacked.clear()
        self.io.counters.streams_failed += 1
        self._end()

    def _end(self) -> None:
        self._finished.set()
        self._wake_space()
        self.scope.cancel()
        if self.on_end is not None:
            self.on_end(self)
        if self.on_done is not None:
            self.on_done()


class InboundStream:
    """Reassembles one stream: in-order delivery, bounded buffering, acks and re-requests.

    Result chunks (a body, or one incremental result) are queued in `chunks`; `take` hands them
    to a consumer one at a time (and opens the flow-control window), `payload` joins them all.
    `on_end` is called once when the stream completes or fails.
    """

    __slots__ = (
        "_ack_due_list",
        "_pieces",
        "_pieces_start",
        "_rerequest_rto",
        "ack_due",
        "advertised",
        "budget",
        "buffered",
        "chunks",
        "close_error",
        "close_status",
        "config",
        "cum",
        "declared_total",
        "error",
        "final_frame",
        "io",
        "key",
        "last_ack_sent",
        "last_activity",
        "msg_flags",
        "msg_type",
        "notify",
        "on_end",
        "ooo_bytes",
        "out_of_order",
        "peer",
        "received",
        "role",
        "scope",
        "since_ack",
        "state",
        "stream_id",
        "streaming",
        "trace_id",
    )

    def __init__(
        self,
        io: DatagramIo,
        config: EndpointConfig,
        budget: StreamBudget,
        ack_due_list: list[InboundStream],
        *,
        peer: Address,
        stream_id: int,
        role: int,
        trace_id: int,
        now: float,
    ) -> None:
        self.io = io
        self.config = config
        self.budget = budget
        self._ack_due_list = ack_due_list
        self.peer = peer
        self.stream_id = stream_id
        self.role = role
        self.trace_id = trace_id
        self.key: StreamKey = (peer, stream_id, role)
        self.state: int = RECEIVING
        self.error: StreamError | None = None
        self.msg_type = MessageType.RESPONSE
        self.msg_flags = Flags.NONE
        self.declared_total = wire.UNKNOWN_TOTAL
        self.cum: int = 0
        self.out_of_order: dict[int, tuple[MessageType, int, bytes]] = {}
        self.ooo_bytes = 0
        self._pieces: list[memoryview] = []
        self._pieces_start = 0
        self.chunks: deque[tuple[int, memoryview | bytes]] = deque()
        self.received = 0
        self.buffered = 0
        self.close_status = wire.CLOSE_OK
        self.close_error = b""
        self.streaming = False
        self.advertised = config.stream_window
        self.last_activity = now
        self.last_ack_sent = now
        self._rerequest_rto = config.initial_rto
        self.ack_due = False
        self.since_ack = 0
        self.final_frame = b""
        self.notify: Callable[[], None] | None = None
        self.on_end: Callable[[InboundStream], None] | None = None
        self.scope = trio.CancelScope()

    # -- frames ------------------------------------------------------------------------------

    def on_frame(self, msg_type: MessageType, bits: int, seq: int, body: bytes, now: float) -> None:
        """Take one data frame (any order, duplicates allowed)."""
        if self.state != RECEIVING:
            return
        self.last_activity = now
        self._rerequest_rto = self.config.initial_rto
        if seq < self.cum or seq in self.out_of_order:
            self.send_ack(now)  # a duplicate: the sender probably missed our ack
            return
        if (
            msg_type is MessageType.STREAM_CLOSE
            and len(body) > wire.PREFIX_SIZE
            and body[wire.PREFIX_SIZE] == wire.CLOSE_ABORTED
        ):  # act at once, whatever is still missing
            self._fail(StreamError("aborted", "the sender aborted the stream"))
            return
        if seq > self.config.stream_max_chunks + 1:
            self._abort(
                wire.AbortReason.TOO_MANY_CHUNKS,
                f"stream has more than {self.config.stream_max_chunks} chunks "
                "(EndpointConfig.stream_max_chunks)",
            )
            return
        if seq >= self._base() + self.config.stream_window:
            self.io.counters.drop("stream_beyond_window")
            return
        if (msg_type is MessageType.STREAM_OPEN) != (seq == 0):
            self._abort(wire.AbortReason.MALFORMED, f"{msg_type.name} with seq {seq}")
            return
        size = len(body) - wire.PREFIX_SIZE if msg_type is MessageType.STREAM_CHUNK else 0
        if not self._reserve(size):
            return
        if seq != self.cum:
            self.out_of_order[seq] = (msg_type, bits, body)
            self.ooo_bytes += size
            self.send_ack(now)
            return
        self._accept(msg_type, bits, seq, body)
        self.cum += 1
        ooo = self.out_of_order
        while ooo and self.state == RECEIVING and self.cum in ooo:
            queued_type, queued_bits, queued_body = ooo.pop(self.cum)
            if queued_type is MessageType.STREAM_CHUNK:
                self.ooo_bytes -= len(queued_body) - wire.PREFIX_SIZE
            self._accept(queued_type, queued_bits, self.cum, queued_body)
            self.cum += 1
        state = self.current_state()
        if state == COMPLETE:
            self.final_frame = self._ack_body_frame(wire.ACK_COMPLETE, b"")
            self.io.send_now(self.final_frame, self.peer)
            self._end()
        elif state == RECEIVING:
            if ooo or msg_type is MessageType.STREAM_CLOSE:
                self.send_ack(now)
            else:
                self.since_ack += 1
                if self.since_ack >= max(2, self.config.stream_window // 4):
                    self.send_ack(now)
                elif not self.ack_due:
                    self.ack_due = True
                    self._ack_due_list.append(self)

    def current_state(self) -> int:
        """`RECEIVING`, `COMPLETE` or `FAILED`."""
        return self.state

    def _size_limit(self) -> int:
        limit = min(self.config.stream_max_bytes, self.declared_total)
        return min(limit, MAX_PAYLOAD_SIZE) if self.role == wire.ROLE_REQUEST else limit

    def _too_large(self, size: int) -> bool:
        limit = self._size_limit()
        if size <= limit:
            return False
        self._abort(
            wire.AbortReason.TOO_LARGE,
            f"stream body of {size} bytes exceeds {limit} bytes (EndpointConfig."
            "stream_max_bytes; a request body is also capped at 16 MiB)",
        )
        return True

    def _reserve(self, size: int) -> bool:
        if self._too_large(self.received + self.ooo_bytes + size):
            return False
        budget = self.budget
        if budget.used + size > budget.limit:
            self._abort(
                wire.AbortReason.BUSY,
                f"receiver buffers {budget.used} bytes of streams "
                "(EndpointConfig.stream_max_buffered_bytes) - retry later",
            )
            return False
        budget.used += size
        self.buffered += size
        return True

    def _accept(self, msg_type: MessageType, bits: int, seq: int, body: bytes) -> None:
        try:
            if msg_type is MessageType.STREAM_OPEN:
                self._accept_open(body)
            elif msg_type is MessageType.STREAM_CHUNK:
                self._accept_chunk(bits, seq, body)
            else:
                self._accept_close(body)
        except wire.MalformedStreamBody as error:
            self._abort(wire.AbortReason.MALFORMED, str(error))

    def _accept_open(self, body: bytes) -> None:
        carried, flags, total = wire.unpack_open(body)
        message_type = TYPE_TABLE[carried]
        if message_type is None or flags & ~0x0F:
            raise wire.MalformedStreamBody(f"StreamOpen carries type {carried:#x}")
        self.msg_type = message_type
        self.msg_flags = Flags(flags)
        if total != wire.UNKNOWN_TOTAL:
            if total < self.received + self.ooo_bytes:
                raise wire.MalformedStreamBody(f"StreamOpen total {total} too small")
            if not self._too_large(total):
                self.declared_total = total

    def _accept_chunk(self, bits: int, seq: int, body: bytes) -> None:
        data = memoryview(body)[wire.PREFIX_SIZE :]
        self.received += len(data)
        pieces = self._pieces
        if not pieces:
            self._pieces_start = seq
        pieces.append(data)
        if not bits & wire.MORE:
            chunk: memoryview | bytes = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            self.chunks.append((self._pieces_start, chunk))
            self._pieces = []
            if self.notify is not None:
                self.notify()

    def _accept_close(self, body: bytes) -> None:
        status, total, error = wire.unpack_close(body)
        if status == wire.CLOSE_ABORTED:
            self._fail(StreamError("aborted", "the sender aborted the stream"))
            return
        if self._pieces or total != self.received:
            raise wire.MalformedStreamBody(
                f"StreamClose total {total} but {self.received} bytes received"
            )
        self.close_status = status
        self.close_error = error
        self.state = COMPLETE

    # -- consumer ----------------------------------------------------------------------------

    def take(self, now: float) -> bytes | None:
        """The next result chunk for a streaming consumer, or None if none is ready yet."""
        if not self.chunks:
            return None
        _, chunk = self.chunks.popleft()
        self._release(len(chunk))
        self.last_activity = now
        if self.state == RECEIVING and self._base() + self.config.stream_window >= (
            self.advertised + self.config.stream_window // 2
        ):
            self.send_ack(now)
        return bytes(chunk)

    def payload(self) -> bytes:
        """All result chunks joined (the reassembled body); empties the queue."""
        data = b"".join(chunk for _, chunk in self.chunks)
        self.chunks.clear()
        return data

    def _base(self) -> int:
        """First seq whose data the consumer has not taken (flow-control window start)."""
        if not self.streaming:
            return self.cum
        if self.chunks:
            return self.chunks[0][0]
        if self._pieces:
            return self._pieces_start
        return self.cum

    def _release(self, size: int) -> None:
        size = min(size, self.buffered)
        self.buffered -= size
        self.budget.used -= size

    # -- acks and timer ----------------------------------------------------------------------

    def send_ack(self, now: float) -> None:
        """Send a progress Ack: cumulative seq, window limit and selective-ack bitmap."""
        if self.state != RECEIVING:
            return
        self.ack_due = False
        self.since_ack = 0
        self.last_ack_sent = now
        window = self.config.stream_window
        self.advertised = self._base() + window
        bitmap = wire.make_bitmap(self.cum, self.out_of_order, window)
        self.io.send_now(self._ack_body_frame(wire.ACK_PROGRESS, bitmap), self.peer)

    def _ack_body_frame(self, status: int, tail: bytes) -> bytes:
        body = wire.pack_ack(
            self.role,
            status,
            self.stream_id,
            self.cum,
            self._base() + self.config.stream_window,
            tail,
        )
        return _ack_frame(self.stream_id, self.trace_id, body)

    async def run_timer(self) -> None:
        """Re-request missing frames when the sender goes quiet; fail after the idle timeout."""
        idle = self.config.stream_idle_timeout
        with self.scope:
            while self.state == RECEIVING:
                now = trio.current_time()
                idle_at = self.last_activity + idle
                if now >= idle_at:
                    self._abort(
                        wire.AbortReason.IDLE_TIMEOUT,
                        f"no progress for {idle:g} s (EndpointConfig.stream_idle_timeout)",
                    )
                    return
                rerequest_at = max(self.last_activity, self.last_ack_sent) + self._rerequest_rto
                if now >= rerequest_at:
                    self.send_ack(now)
                    self._rerequest_rto = min(
                        self._rerequest_rto * self.config.backoff, self.config.max_rto
                    )
                    continue
                await trio.sleep_until(min(idle_at, rerequest_at))

    # -- ending ------------------------------------------------------------------------------

    def cancel(self, text: str) -> None:
        """Stop receiving (the consumer went away): tell the sender and fail locally."""
        self._abort(wire.AbortReason.CANCELLED, text)

    def _abort(self, reason: wire.AbortReason, text: str) -> None:
        if self.state != RECEIVING:
            return
        self.final_frame = abort_frame(self.role, self.stream_id, self.trace_id, reason, text)
        self.io.send_now(self.final_frame, self.peer)
        self._fail(StreamError(reason.name.lower(), f"stream {self.stream_id:#018x}: {text}"))

    def _fail(self, error: StreamError) -> None:
        if self.state != RECEIVING:
            return
        if not self.final_frame:
            reason = wire.AbortReason.CANCELLED
            self.final_frame = abort_frame(
                self.role, self.stream_id, self.trace_id, reason, error.detail
            )
        self.state = FAILED
        self.error = error
        self._pieces = []
        self.chunks.clear()
        self._end()

    def _end(self) -> None:
        # The transport's share ends here: chunks still queued belong to the consumer.
        self.out_of_order.clear()
        self.ooo_bytes = 0
        self._release(self.buffered)
        self.scope.cancel()
        if self.notify is not None:
            self.notify()
        if self.on_end is not None:
            self.on_end(self)
