"""The approximate index: a usearch HNSW graph keyed by slot, scored by inner product.

A cosine store indexes unit rows, a dot store raw vectors; both use usearch's inner product.
Candidates from the graph are rescored exactly from the float32 matrix by the store, so the
index may keep a compact copy of the vectors (``f16`` by default). A restored index is a
read-only memory map of its file until the first write loads it into memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import msgspec
import numpy as np
import numpy.typing as npt
from usearch.index import Index

from mxp_agents.memory._errors import InvalidRecord

if TYPE_CHECKING:
    from mxp_agents.memory._vectors._validate import Matrix

__all__ = ["HnswIndex", "HnswOptions"]

IndexDtype = Literal["f32", "f16", "bf16", "i8"]


class HnswOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How the HNSW graph is built and searched (usearch parameters).

    ``connectivity`` (M, edges per node), ``expansion_add`` (efConstruction),
    ``expansion_search`` (ef; the graph search keeps at least this many candidates) and
    ``dtype``, the precision of the index's own copy of the vectors (results are rescored from
    float32, so ``f16`` loses no recall that matters and halves the index).

    Example:
        >>> HnswOptions(expansion_search=64).connectivity
        16
    """

    connectivity: int = 16
    expansion_add: int = 128
    expansion_search: int = 128
    dtype: IndexDtype = "f16"

    def __post_init__(self) -> None:
        for name, low in (("connectivity", 2), ("expansion_add", 1), ("expansion_search", 1)):
            value: object = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidRecord(f"{name} must be an int >= {low}, got {value!r}", f"$.{name}")
        if self.dtype not in ("f32", "f16", "bf16", "i8"):
            raise InvalidRecord(
                f"dtype must be 'f32', 'f16', 'bf16' or 'i8', got {self.dtype!r}", "$.dtype"
            )


class HnswIndex:
    """One usearch index over (slot, vector) pairs; every method blocks (call it in a thread).

    Example:
        >>> index = HnswIndex(4, HnswOptions())
        >>> index.add(np.array([0]), np.ones((1, 4), dtype=np.float32))
        >>> index.search(np.ones(4, dtype=np.float32), 1).tolist()
        [0]
    """

    def __init__(self, dimensions: int, options: HnswOptions) -> None:
        self.dimensions = dimensions
        self.options = options
        self.removed = 0  # removals since the graph was built (they leave tombstones)
        self.path: str | None = None  # the file a restored index maps, until it is loaded
        self._index = self._new()

    def _new(self) -> Index:
        return Index(
            ndim=self.dimensions,
            metric="ip",
            dtype=self.options.dtype,
            connectivity=self.options.connectivity,
            expansion_add=self.options.expansion_add,
            expansion_search=self.options.expansion_search,
        )

    @classmethod
    def viewed(cls, path: str, dimensions: int, options: HnswOptions) -> HnswIndex:
        """The index saved at ``path``, memory-mapped read-only."""
        index = cls(dimensions, options)
        index._index.reset()
        index._index = index._restore(path, view=True)
        index.path = path
        return index

    def _restore(self, path: str, *, view: bool) -> Index:
        restored = Index.restore(path, view=view)  # pyright: ignore[reportUnknownMemberType]
        if restored is None or restored.ndim != self.dimensions:
            raise ValueError(f"not a usearch index of {self.dimensions} dimensions")
        restored.expansion_search = self.options.expansion_search
        return restored

    @property
    def size(self) -> int:
        """How many vectors the graph holds."""
        return len(self._index)

    def nbytes(self) -> int:
        """Bytes of the graph and its vectors (mapped or in memory)."""
        return int(self._index.memory_usage)

    def add(self, slots: npt.NDArray[np.int64], vectors: Matrix) -> None:
        """Insert (or replace) the vectors of ``slots``."""
        self._writable()
        present = np.asarray(self._index.contains(slots), dtype=np.bool_).reshape(-1)
        if present.any():
            self.remove(slots[present])
        self._index.add(slots.astype(np.uint64), vectors, threads=0 if len(slots) > 64 else 1)

    def remove(self, slots: npt.NDArray[np.int64]) -> None:
        """Drop the vectors of ``slots`` (tombstones; `rebuild_due` says when to rebuild)."""
        if len(slots) == 0:
            return
        self._writable()
        removed = np.asarray(self._index.remove(slots.astype(np.uint64)), dtype=np.int64)
        self.removed += int(removed.sum())

    @property
    def rebuild_due(self) -> bool:
        """True when tombstones outnumber a quarter of the live vectors."""
        return self.removed > max(256, self.size // 4)

    def search(self, query: Matrix, count: int) -> npt.NDArray[np.int64]:
        """The slots of up to ``count`` approximate nearest neighbours, one thread."""
        matches = self._index.search(query, count, threads=1)
        return np.asarray(matches.keys, dtype=np.int64).reshape(-1)

    def save(self, path: str) -> None:
        """Write the index to ``path`` (the caller renames it into place)."""
        self._index.save(path)  # pyright: ignore[reportUnknownMemberType]

    def close(self) -> None:
        """Release the memory (and the file mapping)."""
        self._index.reset()

    def _writable(self) -> None:
        """Load a memory-mapped index into memory before its first change."""
        if self.path is None:
            return
        loaded = self._restore(self.path, view=False)
        self._index.reset()
        self._index, self.path = loaded, None
