"""Rows of the journal table: a record's bytes and checksum, and the checks made on reading."""

from __future__ import annotations

import math
from typing import Final

import msgspec
import xxhash

from mxp_agents.memory._errors import InvalidRecord, JournalCorrupted
from mxp_agents.memory._journal_api import JournalEntry
from mxp_agents.memory._record import MemoryRecord
from mxp_agents.primitives import kind_of

__all__ = ["Row", "checksum", "decode_row", "encode_record", "read_filters"]

_encoder: Final = msgspec.msgpack.Encoder()
_decoder: Final = msgspec.msgpack.Decoder(MemoryRecord)

Row = tuple[str | None, float, str, bytes, int]
"""What an append writes besides the offset: run_id, ts, channel, record bytes, checksum."""


def checksum(data: bytes) -> int:
    """xxh3_64 of ``data`` as PostgreSQL's signed bigint."""
    digest = xxhash.xxh3_64_intdigest(data)
    return digest - (1 << 64) if digest >= 1 << 63 else digest


def encode_record(record: object) -> Row:
    """The row of ``record``; `InvalidRecord` for a non-record or an unencodable payload."""
    if not isinstance(record, MemoryRecord):
        raise InvalidRecord(f"append takes a MemoryRecord, got {kind_of(record)}", "$")
    try:
        data = _encoder.encode(record)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidRecord(f"payload cannot be encoded: {error}", "$.payload") from None
    return (record.run_id, record.timestamp, record.channel.value, data, checksum(data))


def decode_row(
    where: str, offset: int, run_id: str | None, ts: float, channel: str, data: bytes, stored: int
) -> JournalEntry:
    """The entry of one row, after checking its checksum and that its columns match it."""
    location = f"{where}@offset {offset}"
    actual = checksum(data)
    if actual != stored:
        raise JournalCorrupted(
            f"checksum mismatch: stored {stored & (2**64 - 1):#018x}, "
            f"computed {actual & (2**64 - 1):#018x} over {len(data)} bytes",
            location,
        )
    try:
        record = _decoder.decode(data)
    except (msgspec.DecodeError, ValueError) as error:
        raise JournalCorrupted(f"undecodable record: {error}", location) from None
    if (record.run_id, record.timestamp, record.channel.value) != (run_id, ts, channel):
        raise JournalCorrupted(
            f"columns (run_id={run_id!r}, ts={ts!r}, channel={channel!r}) disagree with the "
            f"record (run_id={record.run_id!r}, timestamp={record.timestamp!r}, "
            f"channel={record.channel.value!r})",
            location,
        )
    return JournalEntry(offset, record)


def read_filters(
    run_id: object, since: object, until: object, start: object
) -> tuple[str | None, float | None, float | None, int]:
    """The arguments of `Journal.read`, checked; `InvalidRecord` names the bad one."""
    if run_id is not None and not isinstance(run_id, str):
        raise InvalidRecord(f"run_id must be a str or None, got {kind_of(run_id)}", "$.run_id")
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise InvalidRecord(f"start must be an int >= 0, got {start!r}", "$.start")
    bounds: list[float | None] = []
    for name, value in (("since", since), ("until", until)):
        if value is None:
            bounds.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise InvalidRecord(f"{name} must be Unix seconds or None, got {value!r}", f"$.{name}")
        bounds.append(float(value))
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise InvalidRecord(f"since ({low}) must not be after until ({high})", "$.since")
    return run_id, low, high, start
