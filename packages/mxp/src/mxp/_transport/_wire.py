"""The stream body format, version 1: StreamOpen, StreamChunk, StreamClose and stream Acks.

A body larger than one datagram, and incremental results, travel as one *stream*: StreamOpen,
StreamChunk..., StreamClose (the Close carries the FINAL flag). Every frame of a stream has
``message_id = stream_id`` (the message_id of the request the stream belongs to) and the
request's ``trace_id``. All integers are little-endian.

Data frames: a 15-byte prefix, then a type-specific part::

    offset size  field
    0      1     version    1
    1      1     role       0 = request body: the receiver hands the reassembled message to a
                                handler (as if it had arrived in one datagram);
                            1 = reply: answers the receiver's pending request ``stream_id``
    2      1     bits       StreamChunk: 0x01 MORE = this piece continues in the next chunk (a
                            result chunk larger than a datagram spans frames); otherwise 0
    3      8     stream_id  message_id of the request
    11     4     seq        StreamOpen = 0, StreamChunk = 1..n, StreamClose = n + 1

    StreamOpen   + type u8, flags u8 (of the carried message: CALL, RESPONSE, ERROR, ...),
                   total u64 (body bytes; 2**64-1 = unknown, incremental results)
    StreamChunk  + data (at most max_datagram_payload - 15 bytes)
    StreamClose  + status u8 (0 ok; 1 error: a JSON `mxp.bodies.ErrorResponse` follows and ends
                   the incremental result; 2 aborted by the sender), total u64 (bytes in chunks)

Receiver feedback is an Ack frame (type ACK, ``message_id = stream_id``) with a non-empty
payload; the Acks of REQUIRES_ACK frames have an empty payload::

    0      1     version    1
    1      1     role       role of the acknowledged stream
    2      1     status     0 progress, 1 complete, 2 abort
    3      8     stream_id
    11     4     cum        every seq < cum was received
    15     4     limit      the sender may send any seq < limit (flow control)
    19     ...   progress/complete: selective-ack bitmap, bit i (byte i // 8, LSB first) set
                 = seq cum + 1 + i received;
                 abort: reason u8 (`AbortReason`) + UTF-8 explanation

Rules: the sender keeps each frame until acknowledged and sends ``seq < min(limit, cum + cwnd)``;
it resends the holes a bitmap reveals and, after a retransmission timeout without progress, the
oldest unacknowledged frames (exponential backoff). The receiver buffers at most the window out
of order, acknowledges every few in-order frames and at once on a gap, a duplicate or the
Close, and re-requests missing frames (resends its Ack) when nothing arrived for a timeout.
Either side fails the stream after ``stream_idle_timeout`` without progress; a refused or failed
stream is answered with an abort Ack. A request whose body was streamed is retransmitted by
resending its StreamClose: the receiver answers with the final Ack and the cached reply.

Example:
    >>> body = pack_chunk(ROLE_REPLY, 7, 1, False, b"tok")
    >>> unpack_prefix(body)
    (1, 0, 7, 1)
    >>> body[PREFIX_SIZE:]
    b'tok'
"""

from __future__ import annotations

import enum
import struct
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Collection

VERSION: Final = 1
ROLE_REQUEST: Final = 0
ROLE_REPLY: Final = 1
MORE: Final = 0x01
UNKNOWN_TOTAL: Final = (1 << 64) - 1

CLOSE_OK: Final = 0
CLOSE_ERROR: Final = 1
CLOSE_ABORTED: Final = 2

ACK_PROGRESS: Final = 0
ACK_COMPLETE: Final = 1
ACK_ABORT: Final = 2

_PREFIX: Final = struct.Struct("<BBBQI")
_OPEN: Final = struct.Struct("<BBQ")
_CLOSE: Final = struct.Struct("<BQ")
_ACK: Final = struct.Struct("<BBBQII")
PREFIX_SIZE: Final = _PREFIX.size
ACK_SIZE: Final = _ACK.size
MAX_SEQ: Final = (1 << 32) - 1


class AbortReason(enum.IntEnum):
    """Why a receiver refused or gave up a stream (the abort Ack's reason byte)."""

    TOO_LARGE = 1
    TOO_MANY_CHUNKS = 2
    TOO_MANY_STREAMS = 3
    IDLE_TIMEOUT = 4
    UNEXPECTED = 5
    CANCELLED = 6
    BUSY = 7
    MALFORMED = 8


class MalformedStreamBody(ValueError):
    """A stream payload that does not follow this format (counted and dropped by the endpoint)."""


def pack_open(role: int, stream_id: int, msg_type: int, msg_flags: int, total: int) -> bytes:
    """Body of a StreamOpen frame."""
    return _PREFIX.pack(VERSION, role, 0, stream_id, 0) + _OPEN.pack(msg_type, msg_flags, total)


def pack_chunk(role: int, stream_id: int, seq: int, more: bool, data: bytes | memoryview) -> bytes:
    """Body of a StreamChunk frame carrying ``data``."""
    return _PREFIX.pack(VERSION, role, MORE if more else 0, stream_id, seq) + data


def pack_close(
    role: int, stream_id: int, seq: int, status: int, total: int, error: bytes = b""
) -> bytes:
    """Body of a StreamClose frame; ``error`` is the ErrorResponse JSON for status error."""
    return _PREFIX.pack(VERSION, role, 0, stream_id, seq) + _CLOSE.pack(status, total) + error


def unpack_prefix(body: bytes) -> tuple[int, int, int, int]:
    """``(role, bits, stream_id, seq)`` of a stream data frame body.

    Raises:
        MalformedStreamBody: too short, unknown version, role or bits.
    """
    if len(body) < PREFIX_SIZE:
        raise MalformedStreamBody(f"stream body of {len(body)} bytes, need {PREFIX_SIZE}")
    version, role, bits, stream_id, seq = _PREFIX.unpack_from(body)
    if version != VERSION or role > ROLE_REPLY or bits & ~MORE:
        raise MalformedStreamBody(
            f"stream body version {version}, role {role}, bits {bits:#x} not understood"
        )
    return role, bits, stream_id, seq


def unpack_open(body: bytes) -> tuple[int, int, int]:
    """``(type, flags, total)`` of a StreamOpen body (prefix already checked)."""
    if len(body) != PREFIX_SIZE + _OPEN.size:
        raise MalformedStreamBody(f"StreamOpen body of {len(body)} bytes, expected 25")
    return _OPEN.unpack_from(body, PREFIX_SIZE)


def unpack_close(body: bytes) -> tuple[int, int, bytes]:
    """``(status, total, error_json)`` of a StreamClose body (prefix already checked)."""
    if len(body) < PREFIX_SIZE + _CLOSE.size:
        raise MalformedStreamBody(f"StreamClose body of {len(body)} bytes, need 24")
    status, total = _CLOSE.unpack_from(body, PREFIX_SIZE)
    if status > CLOSE_ABORTED:
        raise MalformedStreamBody(f"StreamClose status {status} not understood")
    return status, total, body[PREFIX_SIZE + _CLOSE.size :]


def pack_ack(role: int, status: int, stream_id: int, cum: int, limit: int, tail: bytes) -> bytes:
    """Body of a stream Ack; ``tail`` is the bitmap, or reason byte + text for an abort."""
    return _ACK.pack(VERSION, role, status, stream_id, cum, limit) + tail


def pack_abort(role: int, stream_id: int, reason: AbortReason, text: str) -> bytes:
    """Body of an abort Ack."""
    tail = bytes((reason,)) + text.encode("utf-8", "replace")[:1024]
    return pack_ack(role, ACK_ABORT, stream_id, 0, 0, tail)


def unpack_ack(body: bytes) -> tuple[int, int, int, int, int, bytes]:
    """``(role, status, stream_id, cum, limit, tail)`` of a stream Ack body."""
    if len(body) < ACK_SIZE:
        raise MalformedStreamBody(f"stream Ack body of {len(body)} bytes, need {ACK_SIZE}")
    version, role, status, stream_id, cum, limit = _ACK.unpack_from(body)
    if version != VERSION or role > ROLE_REPLY or status > ACK_ABORT:
        raise MalformedStreamBody(f"stream Ack version {version}, role {role}, status {status}")
    return role, status, stream_id, cum, limit, body[ACK_SIZE:]


def abort_reason(tail: bytes) -> tuple[str, str]:
    """``(reason name, text)`` of an abort Ack's tail."""
    if not tail:
        return "aborted", "the receiver aborted the stream"
    try:
        name = AbortReason(tail[0]).name.lower()
    except ValueError:
        name = "aborted"
    return name, tail[1:].decode("utf-8", "replace")


def bitmap_seqs(cum: int, bitmap: bytes) -> list[int]:
    """The sequence numbers a selective-ack bitmap marks as received.

    Example:
        >>> bitmap_seqs(10, bytes([0b101]))
        [11, 13]
    """
    out: list[int] = []
    for index, byte in enumerate(bitmap):
        if byte:
            base = cum + 1 + 8 * index
            out.extend(base + bit for bit in range(8) if byte >> bit & 1)
    return out


def make_bitmap(cum: int, received: Collection[int], span: int) -> bytes:
    """The selective-ack bitmap of ``received`` seqs in ``cum + 1 .. cum + span``."""
    if not received:
        return b""
    top = min(max(received), cum + span)
    if top <= cum:
        return b""
    out = bytearray((top - cum + 7) // 8)
    for seq in received:
        offset = seq - cum - 1
        if 0 <= offset < span:
            out[offset >> 3] |= 1 << (offset & 7)
    return bytes(out)
