"""Message types, flags and frame constants of MXP v1."""

from __future__ import annotations

import enum
from typing import Final

MAGIC: Final = 0x4D585031
"""The frame magic ("MXP1"); the bytes ``31 50 58 4d`` on the wire."""
HEADER_SIZE: Final = 32
CHECKSUM_SIZE: Final = 8
MIN_FRAME_SIZE: Final = HEADER_SIZE + CHECKSUM_SIZE
MAX_PAYLOAD_SIZE: Final = 16 * 1024 * 1024
"""Largest payload a frame may carry (16 MiB)."""
MAX_U64: Final = (1 << 64) - 1


class MessageType(enum.IntEnum):
    """The type byte of an MXP frame. No other value is valid on the wire.

    Example:
        >>> MessageType(0x10)
        <MessageType.CALL: 16>
    """

    AGENT_REGISTER = 0x01
    AGENT_DISCOVER = 0x02
    AGENT_HEARTBEAT = 0x03
    CALL = 0x10
    RESPONSE = 0x11
    EVENT = 0x12
    STREAM_OPEN = 0x20
    STREAM_CHUNK = 0x21
    STREAM_CLOSE = 0x22
    ACK = 0xF0
    ERROR = 0xF1


class Flags(enum.IntFlag):
    """Frame flags. Bits 4-7 are reserved and must be zero.

    Example:
        >>> Flags.REQUIRES_ACK | Flags.FINAL
        <Flags.REQUIRES_ACK|FINAL: 12>
    """

    NONE = 0
    COMPRESSED = 0x01
    ENCRYPTED = 0x02
    REQUIRES_ACK = 0x04
    FINAL = 0x08


VALID_FLAG_BITS: Final = 0x0F

# A 256-entry table: type byte -> MessageType or None. Indexing beats a dict lookup + try/except.
TYPE_TABLE: Final[tuple[MessageType | None, ...]] = tuple(
    MessageType(b) if b in MessageType._value2member_map_ else None for b in range(256)
)
# Flags are only 16 valid values: pre-built so decode never constructs an IntFlag.
FLAGS_TABLE: Final[tuple[Flags, ...]] = tuple(Flags(b) for b in range(16))
