"""`OutboundStream`: the sender of one reliable stream over datagrams.

It frames a body or incremental results as StreamOpen, StreamChunk and StreamClose frames
(format in `mxp._transport._wire`), waits for window space before each one, and runs a timer
task (spawned by the endpoint) that retransmits, keeps a quiet stream alive and fails it when
the receiver stays silent. The window, acks and ending are in `mxp._transport._send_window`.
"""

from __future__ import annotations

import math

import trio

from mxp._codec import encode
from mxp._message import Message
from mxp._transport import _wire as wire
from mxp._transport._errors import StreamError
from mxp._transport._send_window import SendWindow, Sent
from mxp._types import Flags, MessageType


class OutboundStream(SendWindow):
    """Sends one stream: window and congestion control, selective acks, retransmission.

    Use: ``await open(...)``, ``await piece(...)`` per piece, ``await close(...)``, then
    ``await wait_complete()``; run `run_timer` in a nursery for the stream's lifetime.
    """

    __slots__ = ()

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

    async def send_body(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data`` as pieces of at most one datagram each (one result chunk)."""
        size = self.config.chunk_size
        view = memoryview(data).cast("B")
        length = len(view)
        if length <= size:
            await self.piece(view, False)
            return
        for start in range(0, length, size):
            end = start + size
            await self.piece(view[start:end], end < length)

    async def send_message(self, message: Message) -> None:
        """Send ``message`` as the whole stream: its StreamOpen, body and StreamClose."""
        await self.open(message.type, message.flags, len(message.payload))
        await self.send_body(message.payload)
        await self.close()

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
        self.unacked[seq] = Sent(frame, now)
        self.last_frame = frame
        self.last_sent = now
        await self.io.send(frame, self.peer)

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
