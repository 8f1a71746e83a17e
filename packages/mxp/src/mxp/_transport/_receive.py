"""The receive path of an endpoint: decode each datagram and route it synchronously.

The agent holding the socket drains it in batches (``recvfrom_into`` until it would block) and
routes each datagram at once: replies wake the waiting call directly, Acks and stream frames are
applied, requests are answered from the at-most-once window or queued for their handler. Acks of
in-order stream data are coalesced per batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

import trio

from mxp._codec import decode, encode
from mxp._errors import MxpError
from mxp._message import Message
from mxp._transport._dedup import RUNNING, DedupKey
from mxp._transport._endpoint_core import WANTS_ACK, EndpointCore
from mxp._transport._replies import error_reply
from mxp._types import Flags, MessageType

if TYPE_CHECKING:
    from mxp._transport._types import Address

_BATCH: Final = 64
_ACK: Final = MessageType.ACK
_RESPONSE: Final = MessageType.RESPONSE
_ERROR: Final = MessageType.ERROR
STREAM_TYPES: Final = frozenset(
    (MessageType.STREAM_OPEN, MessageType.STREAM_CHUNK, MessageType.STREAM_CLOSE)
)
REQUEST_LIKE: Final = frozenset(
    (
        MessageType.CALL,
        MessageType.AGENT_REGISTER,
        MessageType.AGENT_DISCOVER,
        MessageType.AGENT_HEARTBEAT,
    )
)
"""Types answered with an ``unsupported`` Error when no handler is installed."""


class Receiver(EndpointCore):
    """The receive path of an `Endpoint` (run by its agent pool)."""

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
        if msg_type in STREAM_TYPES:
            self._streams.on_frame(msg, addr, self._now)
            return
        waiter = self._pending.get(msg.message_id)
        if (
            waiter is not None
            and waiter.peer == addr
            and (msg_type is not waiter.request_type or msg_type is _RESPONSE)
        ):
            if msg.flags in WANTS_ACK:
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
            if msg.flags in WANTS_ACK:
                self._send_ack(msg, addr)
            if state is not RUNNING and state:
                self._io.send_now(cast("bytes", state), addr)
            return
        msg_type = msg.type
        handler = self._handlers.get(msg_type)
        if handler is None:
            if msg.flags in WANTS_ACK:
                self._send_ack(msg, addr)  # received, even if nothing here handles it
            if msg_type in REQUEST_LIKE:
                self._io.send_now(
                    encode(
                        error_reply(
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
                    error_reply(
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
        if msg.flags in WANTS_ACK:
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
