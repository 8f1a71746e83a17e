"""One segment's index (where each record is, its timestamp, which runs it holds) and its scan.

A sealed segment's index is saved beside it as ``<base>.idx`` (msgpack, checksummed), so a
reopen loads it instead of reading the segment; the active segment's index lives in memory
and is rebuilt on open by scanning the segment, checking every frame.
"""

from __future__ import annotations

import os
import sys
from array import array
from typing import TYPE_CHECKING, Final

import msgspec
import xxhash

from mxp_agents.memory._errors import JournalCorrupted
from mxp_agents.memory._file._format import (
    FRAME_HEADER,
    FRAME_MAGIC,
    SEGMENT_HEADER,
    frame_at,
    segment_name,
    unpack_segment_header,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ScanResult", "Segment", "corrupted", "scan_segment"]

_IDX_MAGIC: Final = b"MXPJIDX\x01"
_LITTLE: Final = sys.byteorder == "little"


class _Key(msgspec.Struct):
    """The two fields of a record the index needs (decoding only these is cheap)."""

    run_id: str | None = None
    timestamp: float = 0.0


class _IndexFile(msgspec.Struct, array_like=True):
    base: int
    count: int
    size: int
    positions: bytes
    timestamps: bytes
    runs: dict[str, bytes]


_key_decoder: Final = msgspec.msgpack.Decoder(_Key)
_idx_decoder: Final = msgspec.msgpack.Decoder(_IndexFile)
_idx_encoder: Final = msgspec.msgpack.Encoder()


def _le(values: array[int] | array[float]) -> bytes:
    if _LITTLE:
        return values.tobytes()
    copy = array(values.typecode, values)
    copy.byteswap()
    return copy.tobytes()


def _ints(typecode: str, data: bytes) -> array[int]:
    values: array[int] = array(typecode)
    values.frombytes(data)
    if not _LITTLE:
        values.byteswap()
    return values


def _floats(data: bytes) -> array[float]:
    values: array[float] = array("d")
    values.frombytes(data)
    if not _LITTLE:
        values.byteswap()
    return values


class Segment:
    """The index of one segment file: positions, timestamps and runs of its records."""

    def __init__(self, directory: Path, base: int) -> None:
        self.base = base
        self.name = segment_name(base)
        self.path = directory / self.name
        self.index_path = self.path.with_suffix(".idx")
        self.size = SEGMENT_HEADER  # bytes of valid data
        self.positions: array[int] = array("Q")
        self.timestamps: array[float] = array("d")
        self.runs: dict[str, array[int]] = {}
        self.min_ts = float("inf")
        self.max_ts = float("-inf")
        self.sealed = False

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def end_offset(self) -> int:
        """The offset after this segment's last record."""
        return self.base + len(self.positions)

    def add(self, position: int, run_id: str | None, timestamp: float) -> None:
        index = len(self.positions)
        self.positions.append(position)
        self.timestamps.append(timestamp)
        if timestamp < self.min_ts:
            self.min_ts = timestamp
        if timestamp > self.max_ts:
            self.max_ts = timestamp
        if run_id is not None:
            runs = self.runs.get(run_id)
            if runs is None:
                self.runs[run_id] = array("I", (index,))
            else:
                runs.append(index)

    def span(self, index: int) -> tuple[int, int]:
        """Start and end byte of record ``index`` (local to this segment)."""
        end = self.positions[index + 1] if index + 1 < len(self.positions) else self.size
        return self.positions[index], end

    def save_index(self) -> None:
        """Write ``<base>.idx`` atomically (temp file, fsync, rename). Blocking."""
        body = _idx_encoder.encode(
            _IndexFile(
                self.base,
                self.count,
                self.size,
                _le(self.positions),
                _le(self.timestamps),
                {run: _le(indexes) for run, indexes in self.runs.items()},
            )
        )
        data = _IDX_MAGIC + xxhash.xxh3_64_digest(body) + body
        temp = self.index_path.with_suffix(".idx.tmp")
        with temp.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, self.index_path)

    def load_index(self, file_size: int) -> bool:
        """Load ``<base>.idx`` if it is whole and matches a segment of ``file_size`` bytes."""
        try:
            data = self.index_path.read_bytes()
        except FileNotFoundError:
            return False
        body = memoryview(data)[16:]
        if data[:8] != _IDX_MAGIC or data[8:16] != xxhash.xxh3_64_digest(body):
            return False
        try:
            index = _idx_decoder.decode(body)
        except (msgspec.DecodeError, ValueError):
            return False
        if index.base != self.base or index.size != file_size:
            return False
        self.positions = _ints("Q", index.positions)
        self.timestamps = _floats(index.timestamps)
        if len(self.positions) != index.count or len(self.timestamps) != index.count:
            return False
        self.runs = {run: _ints("I", indexes) for run, indexes in index.runs.items()}
        self.size = index.size
        if index.count:
            self.min_ts, self.max_ts = min(self.timestamps), max(self.timestamps)
        return True


class ScanResult:
    """What a scan of a segment found: where valid data ends and what is wrong after it."""

    def __init__(self, file_size: int) -> None:
        self.file_size = file_size
        self.bad_at: int | None = None  # first byte that is not a valid frame
        self.reason = ""
        self.valid_after = False  # a valid frame follows the damage: it is not a torn tail


def scan_segment(segment: Segment, limit: int | None = None) -> ScanResult:
    """Rebuild ``segment``'s index by reading and checking every frame (of the first ``limit``
    bytes). Blocking. Raises `JournalCorrupted` for a bad header; damage after it is described
    in the result.
    """
    with segment.path.open("rb") as file:
        data = file.read() if limit is None else file.read(limit)
    view = memoryview(data)
    unpack_segment_header(view[:SEGMENT_HEADER], segment.name, segment.base)
    result = ScanResult(len(data))
    pos = SEGMENT_HEADER
    while pos < len(data):
        length = frame_at(data, pos)
        if length < 0:
            result.bad_at, result.reason = pos, _why(data, pos)
            break
        start = pos + FRAME_HEADER
        try:
            key = _key_decoder.decode(view[start : start + length])
        except (msgspec.DecodeError, ValueError) as error:
            result.bad_at, result.reason = pos, f"the record does not decode: {error}"
            break
        segment.add(pos, key.run_id, key.timestamp)
        pos = start + length
    segment.size = pos
    if result.bad_at is not None:
        result.valid_after = _valid_frame_after(data, result.bad_at + 1)
    return result


def _why(data: bytes, pos: int) -> str:
    if len(data) - pos < FRAME_HEADER:
        return f"a partial frame header ({len(data) - pos} bytes)"
    if data[pos : pos + 4] != FRAME_MAGIC:
        return "no frame marker"
    length = int.from_bytes(data[pos + 12 : pos + 16], "little")
    if pos + FRAME_HEADER + length > len(data):
        return f"a frame of {length} bytes runs past the end of the file"
    return "checksum mismatch"


def _valid_frame_after(data: bytes, pos: int) -> bool:
    while (found := data.find(FRAME_MAGIC, pos)) >= 0:
        if frame_at(data, found) >= 0:
            return True
        pos = found + 1
    return False


def corrupted(segment: Segment, result: ScanResult) -> JournalCorrupted:
    """The error for damage found by a scan."""
    where = "; valid records follow it" if result.valid_after else ""
    return JournalCorrupted(f"{result.reason}{where}", f"{segment.name}@{result.bad_at}")
