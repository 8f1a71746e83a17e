"""The on-disk format of a file journal: segment headers and checksummed record frames.

A segment file ``<base offset, 20 digits>.seg`` starts with a 32-byte header (magic, format
version, base offset, xxh3 of those) and holds frames back to back. A frame is
``MAGIC(4) | xxh3_64(8) | length(4) | msgpack(MemoryRecord)``; the checksum covers the length
field and the payload. The per-frame magic lets recovery tell a torn tail (nothing valid after
the damage) from damage in the middle (valid frames follow it).
"""

from __future__ import annotations

import struct
from typing import Final

import msgspec
import xxhash

from mxp_agents.memory._errors import InvalidRecord, JournalCorrupted
from mxp_agents.memory._record import MemoryRecord
from mxp_agents.primitives import kind_of

__all__ = [
    "FRAME_HEADER",
    "FRAME_MAGIC",
    "SEGMENT_HEADER",
    "FrameEncoder",
    "decode_record",
    "frame_at",
    "pack_segment_header",
    "parse_segment_name",
    "segment_name",
    "unpack_segment_header",
]

SEGMENT_MAGIC: Final = b"MXPJSEG\x00"
FORMAT_VERSION: Final = 1
_SEGMENT: Final = struct.Struct("<8sIIQQ")  # magic, version, reserved, base, xxh3(first 24)
SEGMENT_HEADER: Final = _SEGMENT.size  # 32

FRAME_MAGIC: Final = b"\xd7\x4a\x52\x31"
_FRAME: Final = struct.Struct("<4sQI")  # magic, xxh3_64(length + payload), length
FRAME_HEADER: Final = _FRAME.size  # 16
_LENGTH: Final = struct.Struct("<I")
_MAGIC_SUM: Final = struct.Struct("<4sQ")
MAX_RECORD: Final = (1 << 32) - 1

_hash = xxhash.xxh3_64_intdigest
_decoder: Final = msgspec.msgpack.Decoder(MemoryRecord)


def segment_name(base: int) -> str:
    """The file name of the segment whose first record has offset ``base``."""
    return f"{base:020d}.seg"


def parse_segment_name(name: str) -> int | None:
    """The base offset a segment file name encodes, or None if it is not a segment name."""
    stem, dot, suffix = name.partition(".")
    if dot and suffix == "seg" and len(stem) == 20 and stem.isdigit():
        return int(stem)
    return None


def pack_segment_header(base: int) -> bytes:
    head = _SEGMENT.pack(SEGMENT_MAGIC, FORMAT_VERSION, 0, base, 0)[:24]
    return head + struct.pack("<Q", _hash(head))


def unpack_segment_header(data: bytes | memoryview, name: str, base: int) -> None:
    """Check a segment's header; raise `JournalCorrupted` (at byte 0) when it is wrong."""
    if len(data) < SEGMENT_HEADER:
        raise JournalCorrupted(f"segment header is {len(data)} bytes, expected 32", f"{name}@0")
    magic, version, _, found_base, checksum = _SEGMENT.unpack_from(data, 0)
    if magic != SEGMENT_MAGIC or checksum != _hash(bytes(data[:24])):
        raise JournalCorrupted("bad segment header (magic or checksum)", f"{name}@0")
    if version != FORMAT_VERSION:
        raise JournalCorrupted(f"unknown segment format version {version}", f"{name}@0")
    if found_base != base:
        raise JournalCorrupted(
            f"header says base offset {found_base}, name says {base}", f"{name}@0"
        )


class FrameEncoder:
    """Encodes records into frames; one per journal (msgspec encoders are reusable).

    Example:
        >>> frame = FrameEncoder().encode(MemoryRecord(MemoryChannel.INPUT, "hi"))
        >>> frame[:4] == FRAME_MAGIC
        True
    """

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder()

    def encode(self, record: MemoryRecord) -> bytearray:
        """The frame of ``record``; `InvalidRecord` (naming the field) if it cannot be encoded."""
        if type(record) is not MemoryRecord and not isinstance(record, MemoryRecord):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected a MemoryRecord, got {kind_of(record)}", "$")
        buffer = bytearray(FRAME_HEADER)
        try:
            self._encoder.encode_into(record, buffer, FRAME_HEADER)
        except (TypeError, ValueError, OverflowError) as error:
            raise self._explain(record, error) from None
        length = len(buffer) - FRAME_HEADER
        if length > MAX_RECORD:
            raise InvalidRecord(f"record is {length} bytes encoded, the limit is 4 GiB", "$")
        _LENGTH.pack_into(buffer, 12, length)
        _MAGIC_SUM.pack_into(buffer, 0, FRAME_MAGIC, _hash(memoryview(buffer)[12:]))
        return buffer

    def _explain(self, record: MemoryRecord, error: Exception) -> InvalidRecord:
        for field in ("payload", "metadata"):
            try:
                self._encoder.encode(getattr(record, field))
            except (TypeError, ValueError, OverflowError):
                return InvalidRecord(f"cannot be encoded as msgpack: {error}", f"$.{field}")
        return InvalidRecord(f"cannot be encoded as msgpack: {error}", "$")


def frame_at(data: bytes | memoryview, pos: int) -> int:
    """The length of the valid frame at ``pos`` of ``data``, or -1 if it is not one."""
    if len(data) - pos < FRAME_HEADER:
        return -1
    magic, checksum, length = _FRAME.unpack_from(data, pos)
    end = pos + FRAME_HEADER + length
    if magic != FRAME_MAGIC or end > len(data):
        return -1
    if _hash(memoryview(data)[pos + 12 : end]) != checksum:
        return -1
    return length


def decode_record(data: bytes | memoryview, pos: int, length: int, location: str) -> MemoryRecord:
    """The record in the (already checked) frame at ``pos``; `JournalCorrupted` if it is bad."""
    start = pos + FRAME_HEADER
    try:
        return _decoder.decode(memoryview(data)[start : start + length])
    except (msgspec.DecodeError, ValueError) as error:
        raise JournalCorrupted(f"the record does not decode: {error}", location) from None
