"""At-most-once execution: which (peer, message_id) pairs are running or were answered recently.

A request is marked running from the moment it is queued until its handler finished; running
entries are never evicted, so a retransmission can never start a second execution. Finished
entries keep the encoded reply frame (to answer retransmissions again) in a window bounded by
count, bytes and age.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final, Generic, TypeVar

from mxp._transport._types import Address

DedupKey = tuple[Address, int]
"""(peer address, message_id)."""


class _Running:
    __slots__ = ()

    def __repr__(self) -> str:
        return "RUNNING"


RUNNING: Final = _Running()
"""`DedupWindow.lookup` result: the request is queued or its handler is running."""
NO_FRAME: Final = b""
"""`DedupWindow.lookup` result: the request was handled and produced nothing to resend."""


class DedupWindow:
    """Running requests plus a bounded, expiring window of answered ones.

    Example:
        >>> window = DedupWindow(size=2, ttl=30.0, max_bytes=1 << 20)
        >>> key = (("127.0.0.1", 9000), 7)
        >>> window.lookup(key, now=0.0) is None
        True
        >>> window.start(key)
        >>> window.lookup(key, now=0.1) is RUNNING
        True
        >>> window.finish(key, b"reply-frame", now=0.2)
        >>> window.lookup(key, now=0.3)
        b'reply-frame'
    """

    __slots__ = ("_bytes", "_done", "_max_bytes", "_next_sweep", "_size", "_ttl", "running")

    def __init__(self, *, size: int, ttl: float, max_bytes: int) -> None:
        self._size = size
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._bytes = 0
        self._next_sweep = 0.0
        self._done: OrderedDict[DedupKey, tuple[float, bytes]] = OrderedDict()
        self.running: set[DedupKey] = set()

    def __len__(self) -> int:
        return len(self._done)

    def lookup(self, key: DedupKey, now: float) -> bytes | _Running | None:
        """`RUNNING`, the cached reply frame (`NO_FRAME` if none), or None for a new request."""
        if key in self.running:
            return RUNNING
        entry = self._done.get(key)
        if entry is None:
            return None
        if entry[0] < now:
            del self._done[key]
            self._bytes -= len(entry[1])
            return None
        return entry[1]

    def start(self, key: DedupKey) -> None:
        """Mark ``key`` running (queued or executing)."""
        self.running.add(key)

    def finish(self, key: DedupKey, frame: bytes, now: float) -> None:
        """Move ``key`` from running to the answered window, with its reply ``frame``."""
        self.running.discard(key)
        done = self._done
        if key in done:
            self._bytes -= len(done.pop(key)[1])
        done[key] = (now + self._ttl, frame)
        self._bytes += len(frame)
        if len(done) > self._size or self._bytes > self._max_bytes:
            while done and (len(done) > self._size or self._bytes > self._max_bytes):
                self._bytes -= len(done.popitem(last=False)[1][1])
        elif now >= self._next_sweep:  # drop expired entries now and then, oldest first
            self._next_sweep = now + self._ttl / 16
            while done and next(iter(done.values()))[0] < now:
                self._bytes -= len(done.popitem(last=False)[1][1])

    def forget(self, key: DedupKey) -> None:
        """Drop ``key`` entirely (its request was never executed, e.g. the queue was full)."""
        self.running.discard(key)


_K = TypeVar("_K")
_V = TypeVar("_V")


class ExpiringLru(Generic[_K, _V]):
    """A map bounded by entry count and age; the oldest entries go first.

    Example:
        >>> lru = ExpiringLru[str, int](size=2, ttl=10.0)
        >>> lru.put("a", 1, now=0.0)
        >>> lru.get("a", now=5.0), lru.get("a", now=11.0)
        (1, None)
    """

    __slots__ = ("_items", "_size", "_ttl")

    def __init__(self, *, size: int, ttl: float) -> None:
        self._size = size
        self._ttl = ttl
        self._items: OrderedDict[_K, tuple[float, _V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: _K, now: float) -> _V | None:
        """The value for ``key`` unless missing or expired."""
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] < now:
            del self._items[key]
            return None
        return entry[1]

    def put(self, key: _K, value: _V, now: float) -> None:
        """Store ``value``, evicting the oldest entries beyond the size or past their age."""
        items = self._items
        items.pop(key, None)
        items[key] = (now + self._ttl, value)
        while items and (len(items) > self._size or next(iter(items.values()))[0] < now):
            items.popitem(last=False)
