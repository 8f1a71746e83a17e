"""The read side of a file journal: indexed reads that check every frame, and `verify`.

A read picks segments by their index (a run's record positions, the time span), so reading
one run or one time range opens only the segments that hold matching records. Bytes are read
in a worker thread, in batches; each frame's checksum is checked before it is decoded.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.memory._errors import JournalCorrupted, JournalError
from mxp_agents.memory._file._format import FRAME_HEADER, decode_record, frame_at
from mxp_agents.memory._file._segment import Segment, corrupted, scan_segment
from mxp_agents.memory._journal_api import JournalEntry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Sequence

__all__ = ["Reader"]

_BATCH_RECORDS: Final = 512
_BATCH_BYTES: Final = 1 << 20


class Reader:
    """Reads entries from a journal's segments (the list is shared with the writer)."""

    def __init__(self, segments: list[Segment]) -> None:
        self.segments = segments
        self.opens = 0  # segment files opened for reading since the journal opened

    def chosen(
        self,
        segment: Segment,
        *,
        run_id: str | None,
        since: float | None,
        until: float | None,
        start: int,
        end: int,
    ) -> Sequence[int]:
        """Local indexes of the records of ``segment`` that match (from its index only)."""
        if since is not None and segment.max_ts < since:
            return ()
        if until is not None and segment.min_ts >= until:
            return ()
        lo, hi = max(start - segment.base, 0), min(end - segment.base, segment.count)
        if lo >= hi:
            return ()
        if run_id is None:
            picked: Sequence[int] = range(lo, hi)
        else:
            local = segment.runs.get(run_id)
            if local is None:
                return ()
            picked = local[bisect_left(local, lo) : bisect_left(local, hi)]
        if since is None and until is None:
            return picked
        stamps = segment.timestamps
        low = float("-inf") if since is None else since
        high = float("inf") if until is None else until
        return [i for i in picked if low <= stamps[i] < high]

    async def entries(
        self,
        check: Callable[[], None],
        *,
        run_id: str | None,
        since: float | None,
        until: float | None,
        start: int,
        end: int,
    ) -> AsyncIterator[JournalEntry]:
        """Matching entries with offsets in ``[start, end)``, in offset order."""
        for segment in list(self.segments):
            if segment.end_offset <= start:
                continue
            if segment.base >= end:
                break
            picked = self.chosen(
                segment, run_id=run_id, since=since, until=until, start=start, end=end
            )
            if picked:
                async for entry in self._segment_entries(segment, picked, check):
                    yield entry

    async def _segment_entries(
        self, segment: Segment, picked: Sequence[int], check: Callable[[], None]
    ) -> AsyncIterator[JournalEntry]:
        try:
            fd = await trio.to_thread.run_sync(os.open, segment.path, os.O_RDONLY)
        except FileNotFoundError:
            if segment not in self.segments:
                return  # retention removed it while this read was under way
            raise JournalError(f"segment {segment.name} is missing") from None
        self.opens += 1
        try:
            for batch in _batches(segment, picked):
                check()
                spans = [segment.span(i) for i in batch]
                chunks = await trio.to_thread.run_sync(_read_spans, fd, spans)
                for i, (position, stop), data in zip(batch, spans, chunks, strict=True):
                    location = f"{segment.name}@{position}"
                    length = frame_at(data, 0)
                    if length != stop - position - FRAME_HEADER:
                        raise JournalCorrupted(_reason(data, stop - position), location)
                    record = decode_record(data, 0, length, location)
                    yield JournalEntry(segment.base + i, record)
        finally:
            os.close(fd)

    async def verify(self, check: Callable[[], None]) -> int:
        """Read and check every frame of every segment against its index; return the count."""
        total = 0
        for segment in list(self.segments):
            check()
            size, count = segment.size, segment.count
            try:
                fresh = await trio.to_thread.run_sync(_scan_prefix, segment, size)
            except FileNotFoundError:
                if segment not in self.segments:
                    continue
                raise JournalError(f"segment {segment.name} is missing") from None
            for i in range(min(count, fresh.count)):
                if fresh.positions[i] != segment.positions[i]:
                    where = f"{segment.name}@{segment.positions[i]}"
                    raise JournalCorrupted("the segment's index disagrees with its frames", where)
            if fresh.count < count:
                raise JournalCorrupted(
                    f"{count - fresh.count} indexed record(s) are not in the file",
                    f"{segment.name}@{fresh.size}",
                )
            total += count
        return total


def _scan_prefix(segment: Segment, size: int) -> Segment:
    fresh = Segment(segment.path.parent, segment.base)
    result = scan_segment(fresh, limit=size)
    if result.bad_at is not None:
        raise corrupted(fresh, result)
    return fresh


def _batches(segment: Segment, picked: Sequence[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    size = 0
    for i in picked:
        start, stop = segment.span(i)
        batch.append(i)
        size += stop - start
        if len(batch) >= _BATCH_RECORDS or size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _read_spans(fd: int, spans: list[tuple[int, int]]) -> list[bytes]:
    """The bytes of each span, reading runs of adjacent spans with one pread. Blocking."""
    out: list[bytes] = []
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][0] == spans[j][1]:
            j += 1
        first = spans[i][0]
        data = os.pread(fd, spans[j][1] - first, first)
        view = memoryview(data)
        out.extend(bytes(view[a - first : b - first]) for a, b in spans[i : j + 1])
        i = j + 1
    return out


def _reason(data: bytes, expected: int) -> str:
    if len(data) < expected:
        return f"the file ends inside this frame ({len(data)} of {expected} bytes)"
    return "checksum or frame header mismatch"
