"""The `Journal` protocol: the durable, append-only record of every run, and its types."""

import enum
from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

import msgspec

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.memory._record import MemoryRecord

__all__ = ["Durability", "Journal", "JournalEntry", "Retention"]


class Durability(enum.StrEnum):
    """When an append counts as done.

    ``ALWAYS``: the record is on stable storage (fsync) before `Journal.append` returns.
    ``BATCH``: group commit; concurrent appends share one fsync and return after it, within a
    bounded delay. ``NONE``: handed to the operating system only; a process crash loses nothing
    that was written, a power loss may. An append that returned under ``ALWAYS`` or ``BATCH`` is
    never lost.

    Example:
        >>> Durability("batch") is Durability.BATCH
        True
    """

    ALWAYS = "always"
    BATCH = "batch"
    NONE = "none"


class JournalEntry(msgspec.Struct, frozen=True):
    """A record as read back from a journal, with its ``offset``.

    Offsets number a journal's records from 0 in append order, without gaps; retention removes
    the oldest records but never renumbers the others.

    Example:
        >>> entry = JournalEntry(0, MemoryRecord(MemoryChannel.INPUT, "hi"))
        >>> entry.offset
        0
    """

    offset: int
    record: MemoryRecord


class Retention(msgspec.Struct, frozen=True):
    """How much history a journal keeps: at most ``max_bytes`` and records younger than
    ``max_age`` seconds (None: no bound). The oldest records go first, as a prefix of offsets —
    whole sealed segments for files, the oldest rows for PostgreSQL — and the newest records are
    always kept; offsets are never renumbered.

    Example:
        >>> Retention(max_bytes=1 << 30, max_age=7 * 86400).max_bytes
        1073741824
    """

    max_bytes: int | None = None
    max_age: float | None = None

    def __post_init__(self) -> None:
        size: object = self.max_bytes
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"max_bytes must be an int >= 1, got {size!r}", "$.max_bytes")
        age: object = self.max_age
        if age is not None and (
            isinstance(age, bool) or not isinstance(age, int | float) or not age > 0  # pyright: ignore[reportUnnecessaryIsInstance]
        ):
            raise InvalidRecord(f"max_age must be seconds > 0, got {age!r}", "$.max_age")


@runtime_checkable
class Journal(Protocol):
    """An append-only, durable log of `MemoryRecord`s: files, PostgreSQL or your own backend.

    ``append`` returns the record's offset once the journal's `Durability` is met; ``read``
    yields entries in offset order, filtered by run, time range (``since <= timestamp <
    until``) and first offset; it raises `JournalCorrupted` at damage it finds, after the
    entries before it. ``flush`` makes every append so far durable whatever the mode.
    `mxp_agents.memory.testing.run_journal_check` runs the conformance suite on a backend.

    Example:
        >>> offset = await journal.append(MemoryRecord(MemoryChannel.INPUT, "hi", run_id="r1"))
        >>> [entry.record.payload async for entry in journal.read(run_id="r1")]  # doctest: +SKIP
        ['hi']
    """

    @property
    def durability(self) -> Durability:
        """The journal's durability mode."""
        ...

    async def append(self, record: MemoryRecord) -> int:
        """Append ``record``; return its offset once it is as durable as the mode promises."""
        ...

    def read(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        start: int = 0,
    ) -> AsyncIterator[JournalEntry]:
        """Entries from offset ``start`` on, in order; optionally one run's or a time range's."""
        ...

    async def flush(self) -> None:
        """Make every record appended so far durable (fsync or commit)."""
        ...

    async def aclose(self) -> None:
        """Flush and release the journal; later calls raise `JournalClosed`."""
        ...
