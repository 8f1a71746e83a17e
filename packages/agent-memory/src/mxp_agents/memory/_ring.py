"""`RingBuffer`: the agent's volatile memory, its most recent records within bounds."""

from __future__ import annotations

from collections import deque
from typing import Final

import msgspec

from mxp_agents.memory._errors import InvalidRecord, RingBufferError
from mxp_agents.memory._record import MemoryRecord
from mxp_agents.primitives import kind_of

__all__ = ["DEFAULT_CAPACITY", "RingBuffer", "RingStats"]

DEFAULT_CAPACITY: Final = 256
"""Records a `RingBuffer` holds unless told otherwise."""

_encoder: Final = msgspec.msgpack.Encoder()


class RingStats(msgspec.Struct, frozen=True):
    """A snapshot of a `RingBuffer`: what it holds, its bounds, what passed through.

    ``bytes`` counts the msgpack size of the held records (0 when there is no byte budget:
    sizes are only measured when ``max_bytes`` is set).

    Example:
        >>> RingBuffer(capacity=4).stats().capacity
        4
    """

    records: int
    bytes: int
    capacity: int
    max_bytes: int | None
    pushed: int
    evicted: int


class RingBuffer:
    """The last ``capacity`` records (default 256), and at most ``max_bytes`` of them if set.

    `push` adds a record and evicts the oldest ones beyond either bound; `recent` returns
    records oldest to newest. Every method is synchronous and never awaits, so it is atomic
    with respect to other trio tasks: concurrent tasks may push and read freely. A record
    bigger than ``max_bytes`` on its own is refused with `RingBufferError` (it could never be
    held), and the buffer is left as it was.

    Example:
        >>> ring = RingBuffer(capacity=2)
        >>> for text in ("a", "b", "c"):
        ...     ring.push(MemoryRecord(MemoryChannel.INPUT, text))
        >>> [r.payload for r in ring.recent()], ring.stats().evicted
        (['b', 'c'], 1)
    """

    __slots__ = ("_bytes", "_capacity", "_evicted", "_max_bytes", "_pushed", "_records", "_sizes")

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, max_bytes: int | None = None) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"capacity must be an int >= 1, got {capacity!r}", "$.capacity")
        if max_bytes is not None and (
            isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1  # pyright: ignore[reportUnnecessaryIsInstance]
        ):
            raise InvalidRecord(f"max_bytes must be an int >= 1, got {max_bytes!r}", "$.max_bytes")
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._records: deque[MemoryRecord] = deque()
        self._sizes: deque[int] = deque()
        self._bytes = 0
        self._pushed = 0
        self._evicted = 0

    @property
    def capacity(self) -> int:
        """The most records held.

        Example:
            >>> RingBuffer().capacity
            256
        """
        return self._capacity

    @property
    def max_bytes(self) -> int | None:
        """The byte budget (msgpack size of the held records), or None.

        Example:
            >>> RingBuffer(max_bytes=65536).max_bytes
            65536
        """
        return self._max_bytes

    def push(self, record: MemoryRecord) -> None:
        """Add ``record`` as the newest, evicting the oldest records beyond the bounds.

        Raises:
            InvalidRecord: ``record`` is not a `MemoryRecord`.
            RingBufferError: the record alone is bigger than ``max_bytes``.

        Example:
            >>> RingBuffer().push(MemoryRecord(MemoryChannel.SYSTEM, "started"))
        """
        if not isinstance(record, MemoryRecord):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected a MemoryRecord, got {kind_of(record)}")
        size = 0
        if self._max_bytes is not None:
            try:
                size = len(_encoder.encode(record))
            except (TypeError, ValueError) as error:
                raise InvalidRecord(f"payload cannot be encoded: {error}", "$.payload") from None
            if size > self._max_bytes:
                raise RingBufferError(
                    f"record {record.id} is {size} bytes, more than the ring buffer's whole "
                    f"budget (max_bytes={self._max_bytes})"
                )
        records, sizes = self._records, self._sizes
        records.append(record)
        sizes.append(size)
        self._bytes += size
        self._pushed += 1
        while len(records) > self._capacity or (
            self._max_bytes is not None and self._bytes > self._max_bytes
        ):
            records.popleft()
            self._bytes -= sizes.popleft()
            self._evicted += 1

    def recent(self, n: int | None = None) -> list[MemoryRecord]:
        """The last ``n`` records (all when None), oldest first.

        Example:
            >>> ring = RingBuffer()
            >>> ring.push(MemoryRecord(MemoryChannel.INPUT, "hi"))
            >>> [r.payload for r in ring.recent(5)]
            ['hi']
        """
        records = self._records
        if n is None:
            return list(records)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"n must be an int >= 0 or None, got {n!r}")
        if n >= len(records):
            return list(records)
        return list(records)[len(records) - n :] if n else []

    def clear(self) -> None:
        """Forget every record (the counters of `stats` keep counting).

        Example:
            >>> RingBuffer().clear()
        """
        self._evicted += len(self._records)
        self._records.clear()
        self._sizes.clear()
        self._bytes = 0

    def stats(self) -> RingStats:
        """What the buffer holds and has seen.

        Example:
            >>> RingBuffer().stats().records
            0
        """
        return RingStats(
            records=len(self._records),
            bytes=self._bytes,
            capacity=self._capacity,
            max_bytes=self._max_bytes,
            pushed=self._pushed,
            evicted=self._evicted,
        )

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        budget = "" if self._max_bytes is None else f", max_bytes={self._max_bytes}"
        return f"RingBuffer({len(self._records)}/{self._capacity} records{budget})"
