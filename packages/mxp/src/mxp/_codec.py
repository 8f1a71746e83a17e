"""Byte-exact encoding and decoding of MXP v1 frames.

A frame is a 32-byte little-endian header (``<IBBHQQQ``: magic, type, flags, reserved,
message_id, trace_id, payload_len), the payload, and the xxh3-64 (seed 0) of header and payload
as a little-endian u64. `decode` checks in the reference decoder's order and never slices or
allocates by a length it has not checked.
"""

from __future__ import annotations

import struct
from typing import Final

from xxhash import xxh3_64_intdigest

from mxp._errors import (
    BufferTooSmall,
    ChecksumMismatch,
    InvalidFlags,
    InvalidMagic,
    InvalidMessageType,
    PayloadTooLarge,
    ReservedFieldNonZero,
)
from mxp._message import Message, _raw  # pyright: ignore[reportPrivateUsage]
from mxp._types import (
    CHECKSUM_SIZE,
    FLAGS_TABLE,
    HEADER_SIZE,
    MAGIC,
    MAX_PAYLOAD_SIZE,
    MIN_FRAME_SIZE,
    TYPE_TABLE,
    VALID_FLAG_BITS,
    MessageType,
)

_HEADER: Final = struct.Struct("<IBBHQQQ")
_CHECKSUM: Final = struct.Struct("<Q")
_pack_header: Final = _HEADER.pack
_unpack_header: Final = _HEADER.unpack_from
_pack_checksum: Final = _CHECKSUM.pack
_unpack_checksum: Final = _CHECKSUM.unpack_from
_SMALL: Final = 4096
_TYPES: Final[tuple[MessageType | None, ...]] = TYPE_TABLE


def encode(message: Message) -> bytes:
    """The wire bytes of ``message``: header, payload, checksum.

    Example:
        >>> frame = encode(Message(MessageType.CALL, b"hello", message_id=1, trace_id=2))
        >>> len(frame), frame[:4].hex()
        (45, '3150584d')
    """
    payload = message.payload
    size = len(payload)
    body = (
        _pack_header(
            MAGIC, message.type, message.flags, 0, message.message_id, message.trace_id, size
        )
        + payload
    )
    return body + _pack_checksum(xxh3_64_intdigest(body))


def decode(data: bytes | bytearray | memoryview) -> Message:
    """Decode one frame, checking it exactly as the reference decoder does.

    Checks, in order: length < 40 → `BufferTooSmall`; magic → `InvalidMagic`; reserved →
    `ReservedFieldNonZero`; type → `InvalidMessageType`; flags → `InvalidFlags`; payload_len
    over 16 MiB → `PayloadTooLarge`; truncated → `BufferTooSmall`; checksum →
    `ChecksumMismatch`. Bytes after the checksum are ignored.

    Example:
        >>> decode(bytes.fromhex("3150584d0300000001000000000000000200000000000000"
        ...                      "000000000000000015ed41dbea1b11f6")).type
        <MessageType.AGENT_HEARTBEAT: 3>
    """
    got = len(data)
    if got < MIN_FRAME_SIZE:
        raise BufferTooSmall(MIN_FRAME_SIZE, got)
    header: tuple[int, int, int, int, int, int, int] = _unpack_header(data)
    magic, type_byte, flags, reserved, message_id, trace_id, payload_len = header
    if magic != MAGIC:
        raise InvalidMagic(magic)
    if reserved:
        raise ReservedFieldNonZero("header.reserved", reserved)
    message_type = _TYPES[type_byte]
    if message_type is None:
        raise InvalidMessageType(type_byte)
    if flags & ~VALID_FLAG_BITS:
        raise InvalidFlags(flags)
    if payload_len > MAX_PAYLOAD_SIZE:
        raise PayloadTooLarge(payload_len, MAX_PAYLOAD_SIZE)
    end = HEADER_SIZE + payload_len
    needed = end + CHECKSUM_SIZE
    if got < needed:
        raise BufferTooSmall(needed, got)
    if payload_len <= _SMALL:
        # Small frames: two short copies beat building a memoryview.
        computed = xxh3_64_intdigest(data[:end])
        payload = data[HEADER_SIZE:end]
        if payload.__class__ is not bytes:  # a bytearray or memoryview slice
            payload = bytes(payload)
    else:
        view = memoryview(data)
        computed = xxh3_64_intdigest(view[:end])
        payload = bytes(view[HEADER_SIZE:end])
    (stored,) = _unpack_checksum(data, end)
    if stored != computed:
        raise ChecksumMismatch(computed, stored)
    return _raw(Message, message_type, payload, FLAGS_TABLE[flags], message_id, trace_id)
