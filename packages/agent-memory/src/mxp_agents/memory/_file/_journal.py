"""`FileJournal`: the durable, segmented, append-only journal in a directory of files."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import msgspec
import trio

from mxp_agents.memory._closing import ClosesOnExit
from mxp_agents.memory._errors import JournalClosed
from mxp_agents.memory._file._options import check_options, check_read, check_time
from mxp_agents.memory._file._reader import Reader
from mxp_agents.memory._file._recovery import RecoveryReport, fsync_directory, recover
from mxp_agents.memory._file._writer import Writer
from mxp_agents.memory._journal_api import Durability, JournalEntry, Retention

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from mxp_agents.memory._file._segment import Segment
    from mxp_agents.memory._record import MemoryRecord

__all__ = ["FileJournal", "JournalStats"]

MIB: Final = 1 << 20


class JournalStats(msgspec.Struct, frozen=True, kw_only=True):
    """A snapshot of a `FileJournal`: records kept, segment bytes, offsets, reads.

    Example:
        >>> journal.stats().next_offset  # doctest: +SKIP
        1200
    """

    records: int
    bytes: int
    segments: int
    first_offset: int
    next_offset: int
    durable_offset: int  # every offset below this is on stable storage
    segment_opens: int  # segment files opened by reads since the journal opened


class FileJournal(ClosesOnExit):
    """A `Journal` in a directory: segment files of checksummed msgpack frames, with indexes.

    Open it with `FileJournal.open` (or ``async with FileJournal.opened(...)``). Offsets run
    from 0 without gaps; ``durability`` says when an append returns (see `Durability`);
    ``segment_bytes`` is the size at which the active segment is sealed and a new one begun;
    ``retention`` bounds what is kept (whole sealed segments, oldest first); under ``BATCH``
    an fsync starts at most ``batch_delay`` seconds after the first append waiting for it.
    On open a torn tail of the last segment is truncated and reported in `recovery`; damage
    with valid records after it raises `JournalCorrupted` naming the segment and byte.

    Example:
        >>> async with FileJournal.opened("/var/lib/agent/journal") as journal:
        ...     offset = await journal.append(MemoryRecord(MemoryChannel.INPUT, "hi", run_id="r1"))
        ...     [entry.record.payload async for entry in journal.read(run_id="r1")]
        ['hi']
    """

    def __init__(
        self,
        directory: Path,
        segments: list[Segment],
        recovery: RecoveryReport,
        lock: int,
        *,
        durability: Durability,
        segment_bytes: int,
        retention: Retention,
        batch_delay: float,
    ) -> None:
        self._directory = directory
        self._segments = segments
        self._recovery = recovery
        self._lock = lock
        self._retention = retention
        self._writer = Writer(
            directory,
            segments,
            durability=durability,
            segment_bytes=segment_bytes,
            batch_delay=batch_delay,
        )
        self._reader = Reader(segments)
        self._rolls_seen = 0
        self._retention_lock = trio.Lock()

    @classmethod
    async def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        durability: Durability | str = Durability.BATCH,
        segment_bytes: int = 64 * MIB,
        retention: Retention | None = None,
        batch_delay: float = 0.002,
    ) -> FileJournal:
        """Open (or create) the journal in ``directory``, recovering it; see `recovery`.

        Example:
            >>> journal = await FileJournal.open("journal", durability=Durability.ALWAYS)
            >>> journal.recovery.clean
            True
        """
        mode, retention = check_options(durability, segment_bytes, retention, batch_delay)
        path = Path(os.fspath(directory))
        segments, report, lock = await trio.to_thread.run_sync(recover, path)
        journal = cls(
            path,
            segments,
            report,
            lock,
            durability=mode,
            segment_bytes=segment_bytes,
            retention=retention,
            batch_delay=batch_delay,
        )
        try:
            await journal.apply_retention()
        except BaseException:
            await journal.aclose()
            raise
        return journal

    @classmethod
    @contextlib.asynccontextmanager
    async def opened(
        cls,
        directory: str | os.PathLike[str],
        *,
        durability: Durability | str = Durability.BATCH,
        segment_bytes: int = 64 * MIB,
        retention: Retention | None = None,
        batch_delay: float = 0.002,
    ) -> AsyncGenerator[FileJournal]:
        """`open` as an async context manager that closes the journal on exit.

        Example:
            >>> async with FileJournal.opened("journal", durability="none") as journal:
            ...     await journal.append(MemoryRecord(MemoryChannel.INPUT, "hi"))
            0
        """
        journal = await cls.open(
            directory,
            durability=durability,
            segment_bytes=segment_bytes,
            retention=retention,
            batch_delay=batch_delay,
        )
        try:
            yield journal
        finally:
            await journal.aclose()

    @property
    def durability(self) -> Durability:
        """The journal's durability mode."""
        return self._writer.durability

    @property
    def directory(self) -> Path:
        """The journal's directory."""
        return self._directory

    @property
    def recovery(self) -> RecoveryReport:
        """What opening the journal found and repaired (segments, records, a torn tail)."""
        return self._recovery

    async def append(self, record: MemoryRecord) -> int:
        """Append ``record``; return its offset once it is as durable as the mode promises.

        Raises `InvalidRecord` (nothing is written) when the record cannot be encoded.

        Example:
            >>> await journal.append(MemoryRecord(MemoryChannel.OUTPUT, "5", run_id="r1"))
            1
        """
        offset = await self._writer.append(record)
        if self._writer.rolls != self._rolls_seen and not self._retention_lock.locked():
            self._rolls_seen = self._writer.rolls
            await self.apply_retention()
        return offset

    def read(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        start: int = 0,
    ) -> AsyncIterator[JournalEntry]:
        """Entries from offset ``start`` on, in order, appended before the read began;
        optionally one run's, or those with ``since <= timestamp < until``. Only segments
        holding matching records are read; every frame's checksum is checked, and damage
        raises `JournalCorrupted` (after the entries before it).

        Example:
            >>> [e.offset async for e in journal.read(run_id="r1", start=1)]
            [1]
        """
        check_read(run_id, since, until, start)
        self._check_open()
        return self._read(run_id, since, until, start)

    async def _read(
        self, run_id: str | None, since: float | None, until: float | None, start: int
    ) -> AsyncIterator[JournalEntry]:
        self._check_open()
        end = self._writer.next_offset
        async for entry in self._reader.entries(
            self._check_open, run_id=run_id, since=since, until=until, start=start, end=end
        ):
            yield entry

    async def flush(self) -> None:
        """Make every record appended so far durable (one fsync, shared with other waiters).

        Example:
            >>> await journal.flush()
        """
        self._check_open()
        await self._writer.commit(self._writer.next_offset - 1, 0.0)

    async def verify(self) -> int:
        """Read every frame of every segment, check it, compare it with the indexes; return
        the number of records checked, or raise `JournalCorrupted` at the first damage.

        Example:
            >>> await journal.verify()
            2
        """
        self._check_open()
        return await self._reader.verify(self._check_open)

    async def apply_retention(self, *, now: float | None = None) -> int:
        """Delete whole sealed segments, oldest first, while the journal is over
        ``retention.max_bytes`` or a segment's newest record is older than ``max_age``
        (relative to ``now``, default the current time). Return the number deleted. It runs
        by itself on open and after each segment is sealed.

        Example:
            >>> await journal.apply_retention(now=time.time() + 30 * 86400)
            3
        """
        self._check_open()
        check_time(now, "now")
        limit, age = self._retention.max_bytes, self._retention.max_age
        if limit is None and age is None:
            return 0
        cutoff = (time.time() if now is None else now) - (age or 0.0)
        async with self._retention_lock:
            total = sum(segment.size for segment in self._segments)
            doomed: list[Segment] = []
            for segment in self._segments[:-1]:
                too_big = limit is not None and total > limit
                too_old = age is not None and segment.max_ts < cutoff
                if not (segment.sealed and (too_big or too_old)):
                    break
                doomed.append(segment)
                total -= segment.size
            if doomed:
                del self._segments[: len(doomed)]
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(_delete, self._directory, doomed)
            return len(doomed)

    def stats(self) -> JournalStats:
        """Counts and offsets now.

        Example:
            >>> journal.stats().records
            2
        """
        segments = list(self._segments)
        return JournalStats(
            records=sum(segment.count for segment in segments),
            bytes=sum(segment.size for segment in segments),
            segments=len(segments),
            first_offset=segments[0].base,
            next_offset=self._writer.next_offset,
            durable_offset=self._writer.synced,
            segment_opens=self._reader.opens,
        )

    async def aclose(self) -> None:
        """Flush, save the active segment's index (so a reopen need not scan it) and release
        the directory; later calls of other methods raise `JournalClosed`. Idempotent.

        Example:
            >>> await journal.aclose()
        """
        if self._writer.closed:
            return
        try:
            await self._writer.aclose()
        finally:
            os.close(self._lock)

    def _check_open(self) -> None:
        if self._writer.closed:
            raise JournalClosed(f"the journal in {str(self._directory)!r} is closed")

    def __repr__(self) -> str:
        state = "closed" if self._writer.closed else f"next_offset={self._writer.next_offset}"
        return f"FileJournal({str(self._directory)!r}, {self.durability.value}, {state})"


def _delete(directory: Path, segments: list[Segment]) -> None:
    for segment in segments:
        segment.path.unlink(missing_ok=True)
        segment.index_path.unlink(missing_ok=True)
    fsync_directory(directory)
