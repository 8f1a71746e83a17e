"""MXP (Mesh eXchange Protocol) for Python.

A byte-exact codec for MXP v1 frames, wire-compatible with the Rust reference implementation,
plus a trio UDP transport and an embedded registry.

Example:
    >>> import mxp
    >>> frame = mxp.encode(mxp.Message.new(mxp.MessageType.CALL, b"hello"))
    >>> mxp.decode(frame).payload
    b'hello'
"""

from mxp._codec import decode, encode
from mxp._errors import (
    BufferTooSmall,
    ChecksumMismatch,
    InvalidFlags,
    InvalidMagic,
    InvalidMessageType,
    MxpError,
    PayloadTooLarge,
    ReservedFieldNonZero,
)
from mxp._message import Message, random_id
from mxp._types import HEADER_SIZE, MAGIC, MAX_PAYLOAD_SIZE, MIN_FRAME_SIZE, Flags, MessageType

__version__ = "0.1.0"

__all__ = [
    "HEADER_SIZE",
    "MAGIC",
    "MAX_PAYLOAD_SIZE",
    "MIN_FRAME_SIZE",
    "BufferTooSmall",
    "ChecksumMismatch",
    "Flags",
    "InvalidFlags",
    "InvalidMagic",
    "InvalidMessageType",
    "Message",
    "MessageType",
    "MxpError",
    "PayloadTooLarge",
    "ReservedFieldNonZero",
    "decode",
    "encode",
    "random_id",
]
