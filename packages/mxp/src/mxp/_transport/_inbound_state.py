"""The receiving half's state: flow-control window, progress Acks and ending.

`InboundState` holds an inbound stream's state and sends its Acks (cumulative seq, window limit,
selective-ack bitmap); it ends the stream once, completed or failed, and releases its share of
the endpoint's stream buffer budget. `mxp._transport._inbound.InboundStream` adds reassembly.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Self

import trio

from mxp._transport import _wire as wire
from mxp._transport._errors import StreamError
from mxp._transport._stream_base import (
    FAILED,
    RECEIVING,
    StreamBudget,
    StreamKey,
    abort_frame,
    ack_frame,
)
from mxp._types import Flags, MessageType

if TYPE_CHECKING:
    from collections.abc import Callable

    from mxp._transport._config import EndpointConfig
    from mxp._transport._io import DatagramIo
    from mxp._transport._types import Address


class InboundState:
    """An inbound stream's state, Acks and ending (see `InboundStream`)."""

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
        ack_due_list: list[Self],
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
        self.ooo_bytes: int = 0
        self._pieces: list[memoryview] = []
        self._pieces_start = 0
        self.chunks: deque[tuple[int, memoryview | bytes]] = deque()
        self.received: int = 0
        self.buffered = 0
        self.close_status = wire.CLOSE_OK
        self.close_error = b""
        self.streaming = False
        self.advertised = config.stream_window
        self.last_activity = now
        self.last_ack_sent = now
        self._rerequest_rto = config.initial_rto
        self.ack_due = False
        self.since_ack: int = 0
        self.final_frame = b""
        self.notify: Callable[[], None] | None = None
        self.on_end: Callable[[Self], None] | None = None
        self.scope = trio.CancelScope()

    # -- flow control ------------------------------------------------------------------------

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

    # -- acks ------------------------------------------------------------------------------

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
        return ack_frame(self.stream_id, self.trace_id, body)

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
