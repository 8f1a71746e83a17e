"""The synchronous core of the embedded store: points by slot, filters, exact and HNSW search.

Every method blocks and mutates without awaiting; `EmbeddedVectorStore` serialises calls with a
lock and runs the heavy ones in a worker thread.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mxp_agents.memory._errors import VectorStoreError
from mxp_agents.memory._vector_api import Metric, VectorMatch
from mxp_agents.memory._vectors._filters import Term, TermIndex
from mxp_agents.memory._vectors._hnsw import HnswIndex, HnswOptions
from mxp_agents.memory._vectors._persist import (
    Manifest,
    load_vectors,
    save_vectors,
    write_file,
    write_manifest,
)
from mxp_agents.memory._vectors._slots import Indices, Slots, top_k

if TYPE_CHECKING:
    from pathlib import Path

    from mxp_agents.memory._vectors._validate import Matrix, PreparedBatch

__all__ = ["INLINE_FLOATS", "Engine"]

INLINE_FLOATS: Final = 1 << 20
"""Exact work up to this many floats (about 0.3 ms on one core) runs inline: a worker-thread
round trip costs ~0.15 ms at the median and several ms at p99 on a 2-core VM."""
EXACT_SUBSET: Final = 2048  # a filter matching at most this many points is searched exactly
MAX_CANDIDATES: Final = 16384  # widest oversampled graph search before the exact fallback


class Engine:
    """Points by slot: ids, tags, metadata, the vector matrix, the filter index, the graph."""

    def __init__(
        self, dimensions: int, metric: Metric, threshold: int | None, options: HnswOptions
    ) -> None:
        self.dimensions = dimensions
        self.metric = metric
        self.threshold = threshold
        self.options = options
        self.slots = Slots(dimensions)
        self.slot_of: dict[str, int] = {}
        self.ids: list[str | None] = []
        self.tags: list[tuple[str, ...]] = []
        self.metadata: list[dict[str, Any]] = []
        self.terms = TermIndex()
        self.index: HnswIndex | None = None
        self.generation = 0
        self.vectors_file: str | None = None  # the saved file the matrix equals, if any
        self.index_file: str | None = None  # the saved file the graph equals, if any
        self.dirty = False

    @property
    def count(self) -> int:
        """How many points the store holds."""
        return len(self.slot_of)

    # -- writes -----------------------------------------------------------------------------

    def light_upsert(self, size: int) -> bool:
        """Whether an upsert of ``size`` points is cheap enough to run inline."""
        if self.slots.mapped or size * self.dimensions > INLINE_FLOATS // 16:
            return False
        if self.index is not None:
            return self.index.path is None and size <= 16
        return self.threshold is None or self.count + size < self.threshold

    def upsert(self, batch: PreparedBatch) -> None:
        """Insert or replace the batch's points."""
        known = [self.slot_of.get(point_id) for point_id in batch.ids]
        fresh = self.slots.allocate(sum(1 for slot in known if slot is None))
        where = np.empty(len(known), dtype=np.int64)
        cursor = 0
        for position, slot in enumerate(known):
            if slot is None:
                slot = int(fresh[cursor])
                cursor += 1
            else:
                self.terms.discard(slot, self.tags[slot], self.metadata[slot])
            where[position] = slot
        self.slots.write(where, batch.vectors)
        grow = self.slots.high - len(self.ids)
        if grow > 0:
            self.ids += [None] * grow
            self.tags += [()] * grow
            self.metadata += [{}] * grow
        for position, slot in enumerate(where.tolist()):
            point_id, tags, metadata = batch.ids[position], batch.tags[position], batch.metadata
            self.ids[slot], self.tags[slot] = point_id, tags
            self.metadata[slot] = metadata[position]
            self.slot_of[point_id] = slot
            self.terms.add(slot, tags, metadata[position])
        self.vectors_file, self.dirty = None, True
        if self.index is not None:
            self.index.add(where, self._index_vectors(where))
            self.index_file = None
        self._maintain()

    def remove(self, ids: list[str]) -> int:
        """Remove the points with these ids; how many existed."""
        found: list[int] = []
        for point_id in dict.fromkeys(ids):
            slot = self.slot_of.pop(point_id, None)
            if slot is None:
                continue
            self.terms.discard(slot, self.tags[slot], self.metadata[slot])
            self.ids[slot], self.tags[slot], self.metadata[slot] = None, (), {}
            found.append(slot)
        if found:
            where = np.asarray(found, dtype=np.int64)
            self.slots.release(where)
            self.dirty = True
            if self.index is not None:
                self.index.remove(where)
                self.index_file = None
            self._maintain()
        return len(found)

    def _maintain(self) -> None:
        """Build the graph past the threshold, drop it well below, rebuild it when worn."""
        if self.threshold is None:
            return
        if self.index is None and self.count >= self.threshold:
            self._build()
        elif self.index is not None and self.count < self.threshold // 2:
            self.index.close()
            self.index, self.index_file = None, None
        elif self.index is not None and self.index.rebuild_due:
            self._build()

    def _build(self) -> None:
        live = np.flatnonzero(self.slots.live[: self.slots.high]).astype(np.int64)
        index = HnswIndex(self.dimensions, self.options)
        index.add(live, self._index_vectors(live))
        if self.index is not None:
            self.index.close()
        self.index, self.index_file = index, None

    def _index_vectors(self, where: Indices) -> Matrix:
        if self.metric is Metric.COSINE:
            return np.ascontiguousarray(self.slots.unit[where])
        return self.slots.raw(where)

    # -- queries ----------------------------------------------------------------------------

    def light_query(self, terms: list[Term], metric: Metric, exact: bool) -> bool:
        """Whether a query is cheap enough to run inline (see INLINE_FLOATS)."""
        indexed = self.index is not None and not exact and metric is self.metric
        if indexed and not terms:
            return True  # one graph search, single-threaded: well under a millisecond
        rows = self.terms.estimate(terms) if terms else self.slots.high
        return rows * self.dimensions <= INLINE_FLOATS

    def query(
        self, vector: Matrix, metric: Metric, k: int, terms: list[Term], exact: bool
    ) -> list[VectorMatch]:
        """The ``k`` best points passing ``terms``, best first, with exact scores."""
        if self.count == 0:
            return []
        indexed = self.index is not None and not exact and metric is self.metric
        subset: Indices | None = None
        if terms:
            bound = self.terms.estimate(terms)
            if bound == 0:
                return []
            if indexed and bound > EXACT_SUBSET:
                found = self._graph_search(vector, metric, k, terms, bound)
                if found is not None:
                    return found
            subset = np.fromiter(self.terms.matching(terms), dtype=np.int64)
            if subset.size == 0:
                return []
        elif indexed:
            found = self._graph_search(vector, metric, k, terms, self.count)
            if found is not None:
                return found
        scores = self.slots.scores(vector, metric, subset)
        order = top_k(scores, min(k, self.count if subset is None else subset.size))
        slots = order if subset is None else subset[order]
        return self._matches(slots, scores[order])

    def _graph_search(
        self, vector: Matrix, metric: Metric, k: int, terms: list[Term], bound: int
    ) -> list[VectorMatch] | None:
        """Oversample the graph, filter, widen; None when it cannot fill ``k`` (use exact)."""
        assert self.index is not None
        live = self.count
        wanted = min(k, live)
        query = vector / np.float32(np.linalg.norm(vector)) if metric is Metric.COSINE else vector
        count = min(live, max(2 * k, math.ceil(2 * k * live / bound)))
        while True:
            keys = self.index.search(query, count)
            keys = keys[self.slots.live[keys]]
            if terms:
                keys = np.asarray([s for s in keys.tolist() if self.terms.passes(s, terms)])
                keys = keys.astype(np.int64)
            if keys.size >= wanted:
                scores = self.slots.scores(vector, metric, keys)
                order = top_k(scores, wanted)
                return self._matches(keys[order], scores[order])
            if count >= live or count >= MAX_CANDIDATES:
                return None
            count = min(live, count * 4, MAX_CANDIDATES)

    def _matches(self, slots: Indices, scores: Matrix) -> list[VectorMatch]:
        matches: list[VectorMatch] = []
        slot_list: list[int] = slots.tolist()
        score_list: list[float] = scores.tolist()
        for slot, score in zip(slot_list, score_list, strict=True):
            point_id = self.ids[slot]
            assert point_id is not None
            matches.append(VectorMatch(point_id, score, self.tags[slot], dict(self.metadata[slot])))
        return matches

    # -- persistence ------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write what changed and commit a new manifest (see `_persist`)."""
        directory.mkdir(parents=True, exist_ok=True)
        generation = self.generation + 1
        vectors_file = self.vectors_file or f"vectors-{generation}.npy"
        if self.vectors_file is None:
            save_vectors(directory, vectors_file, self.slots.unit[: self.slots.high])
        index_file: str | None = None
        if self.index is not None:
            index_file = self.index_file or f"hnsw-{generation}.usearch"
            if self.index_file is None:
                write_file(directory, index_file, self.index.save)
        high = self.slots.high
        manifest = Manifest(
            dimensions=self.dimensions,
            metric=self.metric,
            generation=generation,
            vectors_file=vectors_file,
            index_file=index_file,
            ids=self.ids[:high],
            tags=self.tags[:high],
            metadata=self.metadata[:high],
            norms=self.slots.norms[:high].astype("<f4").tobytes(),
        )
        write_manifest(directory, manifest)
        self.generation, self.vectors_file, self.index_file = generation, vectors_file, index_file
        self.dirty = False

    @classmethod
    def restored(
        cls, directory: Path, manifest: Manifest, threshold: int | None, options: HnswOptions
    ) -> Engine:
        """The engine of a saved store: the matrix and graph memory-mapped, the rest loaded."""
        engine = cls(manifest.dimensions, manifest.metric, threshold, options)
        unit = load_vectors(directory, manifest)
        norms = np.frombuffer(manifest.norms, dtype="<f4").astype(np.float32)
        live = [point_id is not None for point_id in manifest.ids]
        engine.slots = Slots.restored(unit, norms, live)
        engine.ids, engine.tags, engine.metadata = manifest.ids, manifest.tags, manifest.metadata
        for slot, point_id in enumerate(manifest.ids):
            if point_id is not None:
                if engine.slot_of.setdefault(point_id, slot) != slot:
                    raise VectorStoreError(f"corrupted vector store {directory}: id {point_id!r}")
                engine.terms.add(slot, manifest.tags[slot], manifest.metadata[slot])
        engine.generation = manifest.generation
        engine.vectors_file, engine.index_file = manifest.vectors_file, manifest.index_file
        if manifest.index_file is not None:
            path = str(directory / manifest.index_file)
            try:
                engine.index = HnswIndex.viewed(path, manifest.dimensions, options)
            except (OSError, RuntimeError, ValueError) as error:
                raise VectorStoreError(f"cannot map {path}: {error}") from None
            if engine.index.size != engine.count:
                raise VectorStoreError(
                    f"corrupted vector store {path}: {engine.index.size} vectors, "
                    f"expected {engine.count}"
                )
        engine._maintain()
        return engine
