"""`EmbeddedVectorStore`: the in-process `VectorStore` (exact search, HNSW above a threshold)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar

import msgspec
import trio

from mxp_agents.memory._closing import ClosesOnExit
from mxp_agents.memory._errors import InvalidRecord, VectorStoreError
from mxp_agents.memory._lockfile import lock_directory, unlock
from mxp_agents.memory._vector_api import Metric, VectorMatch, VectorPoint, VectorQuery
from mxp_agents.memory._vectors._engine import Engine
from mxp_agents.memory._vectors._filters import filter_terms
from mxp_agents.memory._vectors._hnsw import HnswOptions
from mxp_agents.memory._vectors._persist import MANIFEST, read_manifest
from mxp_agents.memory._vectors._validate import check_ids, prepare_points, prepare_vector

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

__all__ = ["DEFAULT_HNSW_THRESHOLD", "EmbeddedVectorStore", "VectorStoreStats"]

DEFAULT_HNSW_THRESHOLD: Final = 10_000
"""Points above which queries use the HNSW graph. Exact search reads every vector: at 384
dimensions that is ~0.1 ms per 1,000 points on one core (1 ms at 10,000, 8 ms at 100,000),
while a graph search stays under a millisecond; below 10,000 exact is fast and always right."""

T = TypeVar("T")


class VectorStoreStats(msgspec.Struct, frozen=True, kw_only=True):
    """What a store holds and how it searches.

    ``mode`` is ``"hnsw"`` once the graph is built, else ``"exact"``; ``vector_bytes`` the
    float32 matrix (and norms), ``index_bytes`` the graph with its own copy of the vectors;
    ``mapped`` is True while data is still the memory map of a saved file.

    Example:
        >>> EmbeddedVectorStore(4).stats().mode
        'exact'
    """

    count: int
    dimensions: int
    metric: Metric
    mode: Literal["exact", "hnsw"]
    vector_bytes: int
    index_bytes: int
    mapped: bool


class EmbeddedVectorStore(ClosesOnExit):
    """Vectors in this process: exact search, an HNSW graph (usearch) past ``hnsw_threshold``.

    Queries return exact scores (graph candidates are rescored from float32), filters never
    make a result short while enough points match, and ``exact=True`` or a metric other than
    the store's searches exactly. With ``path``, `save` writes the store there atomically and
    `open` maps it back. ``hnsw_threshold=None`` keeps search exact.

    Example:
        >>> async with EmbeddedVectorStore(3, path="memory/vectors") as store:
        ...     await store.upsert([VectorPoint("a", [1.0, 0.0, 0.0], tags=("faq",))])
        ...     [m.id for m in await store.query(VectorQuery([0.9, 0.1, 0.0], top_k=1))]
        ['a']
    """

    def __init__(
        self,
        dimensions: int,
        *,
        metric: Metric | str = Metric.COSINE,
        path: str | os.PathLike[str] | None = None,
        hnsw_threshold: int | None = DEFAULT_HNSW_THRESHOLD,
        hnsw: HnswOptions | None = None,
    ) -> None:
        size: Any = dimensions
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(
                f"dimensions must be an int >= 1, got {dimensions!r}", "$.dimensions"
            )
        try:
            metric = Metric(metric)
        except ValueError:
            raise InvalidRecord(
                f"metric must be 'cosine' or 'dot', got {metric!r}", "$.metric"
            ) from None
        threshold: Any = hnsw_threshold
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1
        ):
            raise InvalidRecord(
                f"hnsw_threshold must be an int >= 1 or None, got {threshold!r}", "$.hnsw_threshold"
            )
        self._path = None if path is None else Path(path)
        if self._path is not None and (self._path / MANIFEST).exists():
            raise VectorStoreError(f"a vector store is saved at {self._path}; open it with open()")
        self._engine = Engine(dimensions, metric, hnsw_threshold, hnsw or HnswOptions())
        self._lock = trio.Lock()
        self._closed = False
        # One process owns a store directory (a mkdir, an open and a non-blocking flock).
        self._lock_fd = (
            None
            if self._path is None
            else lock_directory(self._path, "vector store", VectorStoreError)
        )

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        dimensions: int | None = None,
        metric: Metric | str | None = None,
        hnsw_threshold: int | None = DEFAULT_HNSW_THRESHOLD,
        hnsw: HnswOptions | None = None,
    ) -> EmbeddedVectorStore:
        """Open the store saved at ``path`` (memory-mapped), or a new one there.

        A new store needs ``dimensions``; for a saved one, ``dimensions`` and ``metric`` (when
        given) must match what was saved. ``hnsw`` applies to graphs built from now on (and
        its ``expansion_search`` to the saved graph too).

        Example:
            >>> store = await EmbeddedVectorStore.open("memory/vectors", dimensions=384)
        """
        directory = Path(path)
        manifest = await trio.to_thread.run_sync(read_manifest, directory)
        if manifest is None:
            if dimensions is None:
                raise VectorStoreError(f"no vector store at {directory}; pass dimensions=")
            chosen = Metric.COSINE if metric is None else metric
            return cls(
                dimensions, metric=chosen, path=directory, hnsw_threshold=hnsw_threshold, hnsw=hnsw
            )
        if dimensions is not None and dimensions != manifest.dimensions:
            raise VectorStoreError(
                f"{directory} holds {manifest.dimensions}-dimensional vectors, not {dimensions}"
            )
        if metric is not None and Metric(metric) is not manifest.metric:
            raise VectorStoreError(f"{directory} uses the {manifest.metric} metric, not {metric}")
        options = hnsw or HnswOptions()
        lock_fd = await trio.to_thread.run_sync(
            lock_directory, directory, "vector store", VectorStoreError
        )
        try:
            engine = await trio.to_thread.run_sync(
                Engine.restored, directory, manifest, hnsw_threshold, options
            )
        except BaseException:
            unlock(lock_fd)
            raise
        store = cls.__new__(cls)
        store._path, store._engine, store._lock_fd = directory, engine, lock_fd
        store._lock, store._closed = trio.Lock(), False
        return store

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        return self._engine.dimensions

    @property
    def metric(self) -> Metric:
        """The default metric of queries (and the one the graph serves)."""
        return self._engine.metric

    @property
    def remote(self) -> bool:
        """False: the vectors stay in this process."""
        return False

    @property
    def path(self) -> Path | None:
        """Where `save` writes, if anywhere."""
        return self._path

    def stats(self) -> VectorStoreStats:
        """Counts, mode and memory (see `VectorStoreStats`)."""
        engine = self._engine
        index = engine.index
        return VectorStoreStats(
            count=engine.count,
            dimensions=engine.dimensions,
            metric=engine.metric,
            mode="exact" if index is None else "hnsw",
            vector_bytes=engine.slots.nbytes(),
            index_bytes=0 if index is None else index.nbytes(),
            mapped=engine.slots.mapped or (index is not None and index.path is not None),
        )

    async def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Insert the points, replacing those whose id exists; a bad point refuses the batch."""
        self._check_open()
        if len(points) * self.dimensions > 1 << 16:
            batch = await trio.to_thread.run_sync(prepare_points, points, self.dimensions)
        else:
            batch = prepare_points(points, self.dimensions)
        if not batch.ids:
            return
        async with self._lock:
            self._check_open()
            light = self._engine.light_upsert(len(batch.ids))
            await self._run(light, self._engine.upsert, batch)

    async def remove(self, ids: Sequence[str]) -> int:
        """Remove points by id; return how many were there."""
        self._check_open()
        checked = check_ids(ids)
        async with self._lock:
            self._check_open()
            return await self._run(self._engine.index is None, self._engine.remove, checked)

    async def query(self, query: VectorQuery) -> list[VectorMatch]:
        """The ``top_k`` closest points passing the filters, best first."""
        self._check_open()
        if not isinstance(query, VectorQuery):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected VectorQuery, got {type(query).__name__}", "$")
        vector = prepare_vector(query.vector, self.dimensions, "$.vector")
        metric = query.metric or self.metric
        if metric is Metric.COSINE and not vector.any():
            raise InvalidRecord("a cosine query vector must not be all zeros", "$.vector")
        terms = filter_terms(query.tags, query.metadata)
        async with self._lock:
            self._check_open()
            light = self._engine.light_query(terms, metric, query.exact)
            run = self._engine.query
            return await self._run(light, run, vector, metric, query.top_k, terms, query.exact)

    async def count(self) -> int:
        """How many points the store holds."""
        self._check_open()
        return self._engine.count

    async def save(self) -> None:
        """Write the store to its ``path`` atomically (nothing to do without a path)."""
        self._check_open()
        async with self._lock:
            await self._save()

    async def aclose(self) -> None:
        """Save (when there is a path and unsaved changes) and release memory and mappings."""
        if self._closed:
            return
        async with self._lock:
            if self._closed:
                return
            try:
                await self._save()
            finally:
                self._closed = True
                if self._engine.index is not None:
                    self._engine.index.close()
                self._engine = Engine(self.dimensions, self.metric, None, HnswOptions())
                if self._lock_fd is not None:
                    unlock(self._lock_fd)
                    self._lock_fd = None

    def __repr__(self) -> str:
        stats = self.stats()
        return (
            f"EmbeddedVectorStore(dimensions={stats.dimensions}, metric={stats.metric.value!r}, "
            f"count={stats.count}, mode={stats.mode!r}, path={self._path!r})"
        )

    async def _save(self) -> None:
        if self._path is None or (not self._engine.dirty and self._engine.generation):
            return
        try:
            await trio.to_thread.run_sync(self._engine.save, self._path)
        except OSError as error:
            raise VectorStoreError(
                f"cannot save the vector store to {self._path}: {error}"
            ) from error

    async def _run(self, light: bool, function: Callable[..., T], *args: object) -> T:
        # Light work runs inline: a thread round trip would cost more than it (see INLINE_FLOATS).
        if light:
            return function(*args)
        return await trio.to_thread.run_sync(function, *args)

    def _check_open(self) -> None:
        if self._closed:
            raise VectorStoreError("the vector store is closed")
