"""The answers of memory calls over MXP (see `mxp_agents.kernel._memory_wire` for the calls):
one msgspec Struct per operation's Response, what ``info`` tells, and the Stream items of a
read. docs/protocol.md ("Memory calls") has it all.
"""

from __future__ import annotations

import msgspec

from mxp_agents.memory import Metric, VectorMatch

__all__ = [
    "Appended",
    "Counted",
    "Done",
    "JournalInfo",
    "Matches",
    "MemoryInfo",
    "ReadEnd",
    "ReadEntries",
    "Removed",
    "Upserted",
    "VectorInfo",
    "WireEntry",
]


class VectorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The served vector store's ``dimensions`` and default ``metric``, and the compact vector
    forms the server reads besides JSON arrays (``encodings``: ``("f32",)``; absent from an
    older server, whose clients then send arrays)."""

    dimensions: int
    metric: Metric
    encodings: tuple[str, ...] = ()


class JournalInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The served journal's ``durability`` (`Durability` value)."""

    durability: str


class MemoryInfo(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to ``info``: the service's ``name`` and ``capabilities``, and what it serves.

    Example:
        >>> MemoryInfo(name="memory", capabilities=("memory.vectors",),
        ...            vectors=VectorInfo(dimensions=3, metric=Metric.COSINE)).journal is None
        True
    """

    name: str
    capabilities: tuple[str, ...]
    vectors: VectorInfo | None = None
    journal: JournalInfo | None = None


class Upserted(msgspec.Struct, frozen=True):
    """The answer to ``upsert``: how many points were written."""

    upserted: int


class Removed(msgspec.Struct, frozen=True):
    """The answer to ``remove``: how many of the ids existed."""

    removed: int


class Matches(msgspec.Struct, frozen=True):
    """The answer to ``query``: the matches, best first."""

    matches: list[VectorMatch]


class Counted(msgspec.Struct, frozen=True):
    """The answer to ``count``."""

    count: int


class Appended(msgspec.Struct, frozen=True):
    """The answer to ``append``: the record's offset (its append returned)."""

    offset: int


class Done(msgspec.Struct, frozen=True):
    """The answer to ``save`` and ``flush``: ``{"ok": true}``."""

    ok: bool = True


class WireEntry(msgspec.Struct, frozen=True, array_like=True):
    """A journal entry on the wire: ``[offset, record]`` (record as MessagePack bytes)."""

    offset: int
    record: bytes


class ReadEntries(msgspec.Struct, frozen=True, tag="entries", tag_field="type"):
    """One Stream item of a read: a batch of entries in offset order."""

    entries: tuple[WireEntry, ...]


class ReadEnd(msgspec.Struct, frozen=True, tag="end", tag_field="type"):
    """The last Stream item of a complete read: how many entries were sent."""

    entries: int
