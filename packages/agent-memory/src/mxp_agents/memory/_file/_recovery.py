"""Opening a journal directory: lock it, find its segments, load or rebuild their indexes,
truncate a torn tail of the last segment, and report what was found (`RecoveryReport`)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import time
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.memory._errors import JournalCorrupted, JournalError
from mxp_agents.memory._file._format import pack_segment_header, parse_segment_name
from mxp_agents.memory._file._segment import Segment, corrupted, scan_segment
from mxp_agents.memory._lockfile import lock_directory

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["RecoveryReport", "create_segment", "fsync_directory", "recover"]

logger = logging.getLogger("mxp_agents.memory.journal")


class RecoveryReport(msgspec.Struct, frozen=True, kw_only=True):
    """What `FileJournal.open` found on disk and what it repaired.

    ``torn_bytes`` bytes of a torn or corrupt tail were cut from the last segment at
    ``torn_at`` (``"<segment>@<byte>"``, None when the tail was clean) because of
    ``torn_reason``; every record before it is intact. ``indexes_loaded`` segments were opened
    from their saved index; ``segments_scanned`` were read and checked frame by frame.

    Example:
        >>> journal.recovery.torn_bytes, journal.recovery.next_offset  # doctest: +SKIP
        (0, 1200)
    """

    directory: str
    segments: int
    records: int
    first_offset: int
    next_offset: int
    indexes_loaded: int
    segments_scanned: int
    torn_bytes: int = 0
    torn_at: str | None = None
    torn_reason: str | None = None
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """True when nothing had to be truncated.

        Example:
            >>> journal.recovery.clean  # doctest: +SKIP
            True
        """
        return self.torn_bytes == 0


def fsync_directory(directory: Path) -> None:
    """Make file creations, renames and deletions in ``directory`` durable. Blocking."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_segment(directory: Path, base: int) -> Segment:
    """Create an empty segment file atomically (temp file with its header, fsync, rename)."""
    segment = Segment(directory, base)
    temp = segment.path.with_suffix(".seg.tmp")
    with temp.open("wb") as file:
        file.write(pack_segment_header(base))
        file.flush()
        os.fsync(file.fileno())
    os.replace(temp, segment.path)
    fsync_directory(directory)
    return segment


def recover(directory: Path) -> tuple[list[Segment], RecoveryReport, int]:
    """Open ``directory`` (created if missing): segments, the report, the lock fd. Blocking."""
    started = time.perf_counter()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise JournalError(f"cannot create journal directory {str(directory)!r}: {error}") from None
    if not directory.is_dir():
        raise JournalError(f"journal path {str(directory)!r} is not a directory")
    lock = lock_directory(directory, "journal", JournalError)
    try:
        segments, counts, torn = _load(directory)
    except BaseException:
        os.close(lock)
        raise
    report = RecoveryReport(
        directory=str(directory),
        segments=len(segments),
        records=sum(segment.count for segment in segments),
        first_offset=segments[0].base,
        next_offset=segments[-1].end_offset,
        indexes_loaded=counts[0],
        segments_scanned=counts[1],
        torn_bytes=torn[0],
        torn_at=torn[1],
        torn_reason=torn[2],
        seconds=time.perf_counter() - started,
    )
    return segments, report, lock


def _load(
    directory: Path,
) -> tuple[list[Segment], tuple[int, int], tuple[int, str | None, str | None]]:
    bases: list[int] = []
    indexes: set[str] = set()
    for entry in os.scandir(directory):
        if entry.name.endswith(".tmp"):
            os.unlink(entry.path)  # an interrupted atomic write; the real file is intact
        elif (base := parse_segment_name(entry.name)) is not None:
            bases.append(base)
        elif entry.name.endswith(".idx"):
            indexes.add(entry.name)
    bases.sort()
    for orphan in indexes - {f"{base:020d}.idx" for base in bases}:
        os.unlink(directory / orphan)  # retention removed its segment first
    if not bases:
        return [create_segment(directory, 0)], (0, 0), (0, None, None)
    segments = [Segment(directory, base) for base in bases]
    loaded = scanned = 0
    for segment in segments[:-1]:
        if segment.load_index(segment.path.stat().st_size):
            loaded += 1
        else:
            scanned += 1
            result = scan_segment(segment)
            if result.bad_at is not None:
                raise corrupted(segment, result)
            segment.save_index()
        segment.sealed = True
    for before, after in itertools.pairwise(segments):
        if before.end_offset != after.base:
            raise JournalCorrupted(
                f"segment starts at offset {after.base} but the one before ends at "
                f"{before.end_offset} (a segment is missing or damaged)",
                f"{after.name}@0",
            )
    last = segments[-1]
    size = last.path.stat().st_size
    torn: tuple[int, str | None, str | None] = (0, None, None)
    if last.load_index(size):
        loaded += 1
    else:
        segments[-1] = last = Segment(directory, last.base)  # drop what a stale index loaded
        scanned += 1
        result = scan_segment(last)
        if result.bad_at is not None:
            if result.valid_after:
                raise corrupted(last, result)
            torn = _truncate(last, result.bad_at, result.file_size, result.reason)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(last.index_path)  # only valid right after a clean close; appends follow
    return segments, (loaded, scanned), torn


def _truncate(segment: Segment, at: int, size: int, reason: str) -> tuple[int, str, str]:
    fd = os.open(segment.path, os.O_WRONLY)
    try:
        os.ftruncate(fd, at)
        os.fsync(fd)
    finally:
        os.close(fd)
    location = f"{segment.name}@{at}"
    logger.warning(
        "journal %s: truncated a torn tail of %d bytes at %s (%s); the %d records before it "
        "are intact",
        segment.path.parent,
        size - at,
        location,
        reason,
        segment.count,
    )
    return size - at, location, reason
