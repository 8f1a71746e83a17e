"""Bookkeeping shared by both ends of a stream: table keys, inbound states, the buffer budget
and the encoding of stream Acks.

The wire format and the rules both sides follow are in `mxp._transport._wire`.
"""

from __future__ import annotations

from typing import Final

from mxp._codec import encode
from mxp._message import Message
from mxp._transport import _wire as wire
from mxp._transport._types import Address
from mxp._types import Flags, MessageType

StreamKey = tuple[Address, int, int]
"""(peer, stream_id, role)."""

RECEIVING: Final = 0
COMPLETE: Final = 1
FAILED: Final = 2


def ack_frame(stream_id: int, trace_id: int, body: bytes) -> bytes:
    """An encoded Ack frame of stream ``stream_id`` carrying the stream Ack ``body``."""
    return encode(Message(MessageType.ACK, body, Flags.NONE, stream_id, trace_id))


def abort_frame(
    role: int, stream_id: int, trace_id: int, reason: wire.AbortReason, text: str
) -> bytes:
    """An encoded abort Ack refusing or ending stream ``stream_id``."""
    return ack_frame(stream_id, trace_id, wire.pack_abort(role, stream_id, reason, text))


class StreamBudget:
    """Bytes buffered by all inbound streams of one endpoint, against a ceiling."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
