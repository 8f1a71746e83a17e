"""The frame format, property-tested: round trips, and any cut of the tail is recovered."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from mxp_agents.memory import FileJournal, InvalidRecord, MemoryChannel, MemoryRecord
from mxp_agents.memory._file._format import FRAME_HEADER, FrameEncoder, decode_record, frame_at

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.binary(max_size=30),
)
payloads = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(payload=payloads, run=st.none() | st.text(min_size=1, max_size=10).filter(str.strip))
def test_frames_round_trip(payload: Any, run: str | None) -> None:
    record = MemoryRecord(MemoryChannel.TOOL, payload, run_id=run)
    frame = bytes(FrameEncoder().encode(record))
    length = frame_at(frame, 0)
    assert length == len(frame) - FRAME_HEADER
    assert decode_record(frame, 0, length, "x@0") == record
    for index in (0, 5, 13, len(frame) - 1):
        damaged = bytearray(frame)
        damaged[index] ^= 0x40
        assert frame_at(bytes(damaged), 0) == -1


def test_unencodable_metadata_is_named() -> None:
    record = MemoryRecord(MemoryChannel.TOOL, "fine", metadata={"bad": object()})
    with pytest.raises(InvalidRecord) as caught:
        FrameEncoder().encode(record)
    assert caught.value.path == "$.metadata"


def tear(directory: Path, cut: int, junk: bytes) -> tuple[int, int]:
    """Cut ``cut`` bytes off the last segment and append ``junk``, as a crash might; return
    how many records stay whole and how many bytes recovery must drop."""
    segment = sorted(directory.glob("*.seg"))[-1]
    segment.with_suffix(".idx").unlink()
    data = segment.read_bytes()
    ends, pos = [32], 32
    while pos < len(data):
        pos += FRAME_HEADER + frame_at(data, pos)
        ends.append(pos)
    keep = max(32, len(data) - cut)
    whole = sum(1 for end in ends[1:] if end <= keep)
    os.truncate(segment, keep)
    with segment.open("ab") as file:
        file.write(junk)
    return whole, keep + len(junk) - ends[whole]


@settings(max_examples=25, deadline=None)
@given(count=st.integers(1, 12), cut=st.integers(1, 400), junk=st.binary(max_size=50))
def test_any_torn_tail_is_cut_back_to_whole_records(count: int, cut: int, junk: bytes) -> None:
    async def scenario(directory: Path) -> None:
        async with FileJournal.opened(directory, durability="none") as journal:
            for i in range(count):
                await journal.append(MemoryRecord(MemoryChannel.INPUT, "y" * (i * 7), step=i))
        whole, torn = tear(directory, cut, junk)
        async with FileJournal.opened(directory) as journal:
            steps = [entry.record.step async for entry in journal.read()]
            assert steps == list(range(whole))  # every whole record before the cut, no more
            assert journal.recovery.records == whole
            assert journal.recovery.torn_bytes == torn
            assert await journal.append(MemoryRecord(MemoryChannel.INPUT, "z")) == whole

    with tempfile.TemporaryDirectory() as directory:
        trio.run(scenario, Path(directory))
