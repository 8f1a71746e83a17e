"""`InboundStream`: reassembly of one reliable stream received over datagrams.

Frames arrive in any order, duplicated or not; they are accepted in order (out-of-order ones
wait, bounded by the window and the endpoint's buffer budget), joined into result chunks and
handed to the consumer. A timer task (spawned by the endpoint) re-requests missing frames when
the sender goes quiet and fails the stream after the idle timeout. State, Acks and ending are
in `mxp._transport._inbound_state`.
"""

from __future__ import annotations

import trio

from mxp._transport import _wire as wire
from mxp._transport._errors import StreamError
from mxp._transport._inbound_state import InboundState
from mxp._transport._stream_base import COMPLETE, RECEIVING
from mxp._types import MAX_PAYLOAD_SIZE, TYPE_TABLE, Flags, MessageType


class InboundStream(InboundState):
    """Reassembles one stream: in-order delivery, bounded buffering, acks and re-requests.

    Result chunks (a body, or one incremental result) are queued in `chunks`; `take` hands them
    to a consumer one at a time (and opens the flow-control window), `payload` joins them all.
    `on_end` is called once when the stream completes or fails.
    """

    __slots__ = ()

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

    # -- timer -------------------------------------------------------------------------------

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
