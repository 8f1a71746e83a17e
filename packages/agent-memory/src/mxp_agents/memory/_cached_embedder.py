"""`CachedEmbedder`: batching, de-duplication and an LRU content-hash cache around any embedder."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

import msgspec
import xxhash

from mxp_agents.memory._embedding_api import Embedder
from mxp_agents.memory._errors import EmbeddingError, InvalidRecord

__all__ = ["CacheStats", "CachedEmbedder", "check_texts", "check_vectors"]

_SEPARATOR: Final = "\x00"


class CacheStats(msgspec.Struct, frozen=True, kw_only=True):
    """What a `CachedEmbedder` has done: texts answered from the cache (``hits``, including
    repeats inside one call), texts sent to the embedder (``misses``), entries dropped to stay
    within ``max_entries`` (``evictions``) and entries held now (``entries``).

    Example:
        >>> CacheStats(hits=3, misses=1, evictions=0, entries=1).hit_rate
        0.75
    """

    hits: int
    misses: int
    evictions: int
    entries: int

    @property
    def hit_rate(self) -> float:
        """``hits / (hits + misses)``, 0.0 before any text was asked for.

        Example:
            >>> CacheStats(hits=0, misses=0, evictions=0, entries=0).hit_rate
            0.0
        """
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def check_texts(texts: object) -> list[str]:
    """``texts`` as a list of str, or `InvalidRecord` naming the first bad item and its path.

    A lone str is refused (it would be read as a sequence of characters), and so is a text
    that is not valid Unicode (a lone surrogate cannot be encoded to UTF-8).

    Example:
        >>> check_texts(["a", "b"])
        ['a', 'b']
        >>> check_texts(["a", 2])
        Traceback (most recent call last):
        ...
        mxp_agents.memory._errors.InvalidRecord: expected str, got int - at $[1]
    """
    if isinstance(texts, str | bytes):
        raise InvalidRecord(
            f"expected a sequence of texts, got a lone {type(texts).__name__} "
            "(wrap one text in a list)",
            "$",
        )
    if not isinstance(texts, Sequence):
        raise InvalidRecord(f"expected a sequence of str, got {type(texts).__name__}", "$")
    items: Sequence[object] = texts  # pyright: ignore[reportUnknownVariableType]
    checked: list[str] = []
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise InvalidRecord(f"expected str, got {type(text).__name__}", f"$[{index}]")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise InvalidRecord(
                    f"text is not valid Unicode: {error.reason} at character {error.start}",
                    f"$[{index}]",
                ) from None
        checked.append(text)
    return checked


def check_vectors(
    vectors: object, *, count: int, dimensions: int, source: str
) -> list[list[float]]:
    """``vectors`` if it holds ``count`` vectors of ``dimensions`` finite floats, else
    `EmbeddingError` naming ``source`` (the embedder) and the first bad vector.

    Example:
        >>> check_vectors([[0.6, 0.8]], count=1, dimensions=2, source="e")
        [[0.6, 0.8]]
    """
    if not isinstance(vectors, list):
        raise EmbeddingError(f"{source} returned {type(vectors).__name__}, expected a list")
    rows: list[object] = vectors  # pyright: ignore[reportUnknownVariableType]
    if len(rows) != count:
        raise EmbeddingError(f"{source} returned {len(rows)} vectors for {count} texts")
    for index, vector in enumerate(rows):
        if not isinstance(vector, list):
            kind = type(vector).__name__
            raise EmbeddingError(f"{source} returned a {kind} at $[{index}], expected a list")
        values: list[object] = vector  # pyright: ignore[reportUnknownVariableType]
        if len(values) != dimensions:
            raise EmbeddingError(
                f"{source} returned a vector of {len(values)} floats at $[{index}], "
                f"expected {dimensions}"
            )
        for position, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, float | int):
                kind = type(value).__name__
                raise EmbeddingError(
                    f"{source} returned a {kind} at $[{index}][{position}], expected float"
                )
            if not math.isfinite(value):
                where = f"$[{index}][{position}]"
                raise EmbeddingError(
                    f"{source} returned {value!r} at {where}, expected a finite float"
                )
    return vectors  # pyright: ignore[reportUnknownVariableType]


class CachedEmbedder:
    """Any `Embedder` with batching, de-duplication and an LRU cache keyed by content hash.

    `embed` takes any number of texts: repeats inside a call are embedded once, texts seen
    before come from the cache, and the rest go to the wrapped embedder in batches of at most
    its ``max_batch``. Keys are the xxh3-128 hash of the embedder's ``name`` and the text, so
    two models never share entries. At most ``max_entries`` vectors are kept (least recently
    used dropped first; 384 floats take about 3.5 KiB as Python floats). ``name``,
    ``dimensions``, ``remote`` and ``max_batch`` are the wrapped embedder's. Vectors are checked
    (count, length, finite) before they are cached; a bad answer raises `EmbeddingError`.

    Example:
        >>> from mxp_agents.memory.testing import HashEmbedder
        >>> cached = CachedEmbedder(HashEmbedder(dimensions=8), max_entries=100)
        >>> vectors = await cached.embed(["hi", "hi", "there"])  # doctest: +SKIP
        >>> cached.stats.hits, cached.stats.misses  # doctest: +SKIP
        (1, 2)
    """

    def __init__(self, embedder: Embedder, *, max_entries: int = 10_000) -> None:
        if not isinstance(embedder, Embedder):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(
                f"expected an Embedder (name, dimensions, remote, max_batch, embed), got "
                f"{type(embedder).__name__}",
                "$.embedder",
            )
        if isinstance(max_entries, bool) or not isinstance(max_entries, int):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected int, got {type(max_entries).__name__}", "$.max_entries")
        if max_entries < 1:
            raise InvalidRecord(f"max_entries must be >= 1, got {max_entries}", "$.max_entries")
        batch = embedder.max_batch
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(
                f"the embedder's max_batch must be an int >= 1, got {batch!r}",
                "$.embedder.max_batch",
            )
        self._embedder = embedder
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, ...]] = OrderedDict()
        self._prefix = embedder.name + _SEPARATOR
        self._hits = 0
        self._misses = 0
        self._evictions = 0

    @property
    def embedder(self) -> Embedder:
        """The wrapped embedder.

        Example:
            >>> cached.embedder.name  # doctest: +SKIP
            'hash-embedder'
        """
        return self._embedder

    @property
    def name(self) -> str:
        """The wrapped embedder's name."""
        return self._embedder.name

    @property
    def dimensions(self) -> int:
        """The wrapped embedder's vector length."""
        return self._embedder.dimensions

    @property
    def remote(self) -> bool:
        """Whether the wrapped embedder sends texts out of the agent."""
        return self._embedder.remote

    @property
    def max_batch(self) -> int:
        """The wrapped embedder's batch size (`embed` itself takes any number of texts)."""
        return self._embedder.max_batch

    @property
    def max_entries(self) -> int:
        """The most vectors the cache keeps."""
        return self._max_entries

    @property
    def stats(self) -> CacheStats:
        """Hits, misses, evictions and entries so far.

        Example:
            >>> cached.stats.entries  # doctest: +SKIP
            2
        """
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            evictions=self._evictions,
            entries=len(self._entries),
        )

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"CachedEmbedder({self._embedder!r}, max_entries={self._max_entries}, "
            f"entries={len(self._entries)})"
        )

    def clear(self) -> None:
        """Drop every cached vector (the statistics stay).

        Example:
            >>> cached.clear(); len(cached)  # doctest: +SKIP
            0
        """
        self._entries.clear()

    def key(self, text: str) -> bytes:
        """The cache key of ``text``: xxh3-128 of the embedder's name, NUL and the text.

        Example:
            >>> len(cached.key("hello"))  # doctest: +SKIP
            16
        """
        return xxhash.xxh3_128_digest((self._prefix + text).encode())

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order: cached ones at once, the rest from the embedder.

        Raises:
            InvalidRecord: ``texts`` is a lone str, or an item is not a str (with its path).
            EmbeddingError: the embedder's answer has the wrong count or length of vectors;
                the embedder's own errors pass through unchanged.

        Example:
            >>> [len(v) for v in await cached.embed(["a", "b"])]  # doctest: +SKIP
            [8, 8]
        """
        checked = check_texts(texts)
        entries = self._entries
        keys = [self.key(text) for text in checked]
        found: dict[bytes, tuple[float, ...]] = {}
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, checked, strict=True):
            if key in found or key in missing:
                continue
            vector = entries.get(key)
            if vector is None:
                missing[key] = text
            else:
                entries.move_to_end(key)
                found[key] = vector
        if missing:
            found.update(await self._fetch(missing))
        self._misses += len(missing)
        self._hits += len(checked) - len(missing)
        return [list(found[key]) for key in keys]

    async def _fetch(self, missing: dict[bytes, str]) -> dict[bytes, tuple[float, ...]]:
        embedder = self._embedder
        size = embedder.max_batch
        dimensions = embedder.dimensions
        pending = list(missing.items())
        fetched: dict[bytes, tuple[float, ...]] = {}
        for start in range(0, len(pending), size):
            batch = pending[start : start + size]
            vectors = await embedder.embed([text for _, text in batch])
            vectors = check_vectors(
                vectors,
                count=len(batch),
                dimensions=dimensions,
                source=f"embedder {embedder.name!r}",
            )
            for (key, _), vector in zip(batch, vectors, strict=True):
                stored = tuple(map(float, vector))
                fetched[key] = stored
                self._store(key, stored)
        return fetched

    def _store(self, key: bytes, vector: tuple[float, ...]) -> None:
        entries = self._entries
        entries[key] = vector
        entries.move_to_end(key)
        while len(entries) > self._max_entries:
            entries.popitem(last=False)
            self._evictions += 1
