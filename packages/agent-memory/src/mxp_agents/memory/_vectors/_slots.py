"""The vectors themselves: a float32 matrix of unit rows plus their norms, and exact search.

Row ``i`` (a "slot") holds the unit vector of one point; ``norms[i]`` its length, so cosine is
``unit @ (q / |q|)`` and dot is ``(unit @ q) * norms``: one matrix-vector product either way.
Removed slots are reused by later inserts. After a restart the matrix is a read-only memory map
of the saved ``.npy`` file until the first write copies it into memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mxp_agents.memory._vector_api import Metric

if TYPE_CHECKING:
    from mxp_agents.memory._vectors._validate import Matrix

__all__ = ["Slots", "top_k"]

Indices = npt.NDArray[np.int64]


def top_k(scores: npt.NDArray[np.float32], k: int) -> Indices:
    """The positions of the ``k`` highest scores, best first (argpartition, then a small sort).

    Example:
        >>> top_k(np.array([0.1, 0.9, 0.5], dtype=np.float32), 2).tolist()
        [1, 2]
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < scores.shape[0]:
        part = np.asarray(np.argpartition(-scores, k - 1)[:k], dtype=np.int64)
    else:
        part = np.arange(scores.shape[0], dtype=np.int64)
    return part[np.argsort(-scores[part], kind="stable")]


class Slots:
    """A growable matrix of unit vectors with their norms and a live mask.

    Example:
        >>> slots = Slots(2)
        >>> where = slots.allocate(1)
        >>> slots.write(where, np.array([[3.0, 4.0]], dtype=np.float32))
        >>> slots.norms[where].tolist()
        [5.0]
    """

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.unit: Matrix = np.zeros((0, dimensions), dtype=np.float32)
        self.norms: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self.live: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self.high = 0  # rows in use, live or free
        self.free: list[int] = []

    @classmethod
    def restored(cls, unit: Matrix, norms: npt.NDArray[np.float32], live: Any) -> Slots:
        """Slots over saved arrays (``unit`` may be a read-only memory map)."""
        slots = cls(unit.shape[1])
        slots.unit, slots.norms = unit, norms.copy()
        slots.live = np.asarray(live, dtype=np.bool_).copy()
        slots.high = unit.shape[0]
        slots.free = np.flatnonzero(~slots.live).tolist()[::-1]
        return slots

    @property
    def mapped(self) -> bool:
        """True while the matrix is the read-only memory map of a saved file."""
        return isinstance(self.unit, np.memmap) or not self.unit.flags.writeable

    @property
    def count(self) -> int:
        """How many slots hold a point."""
        return self.high - len(self.free)

    def nbytes(self) -> int:
        """Bytes the arrays take (memory-mapped ones included)."""
        return self.unit.nbytes + self.norms.nbytes + self.live.nbytes

    def allocate(self, n: int) -> Indices:
        """``n`` slots for new points: freed ones first, then new rows (growing by doubling)."""
        reused = [self.free.pop() for _ in range(min(n, len(self.free)))]
        fresh = n - len(reused)
        self._reserve(self.high + fresh)
        new = np.arange(self.high, self.high + fresh, dtype=np.int64)
        self.high += fresh
        return np.concatenate([np.asarray(reused, dtype=np.int64), new])

    def write(self, where: Indices, vectors: Matrix) -> None:
        """Store ``vectors`` (raw, finite) at the slots ``where`` and mark them live."""
        self._reserve(self.high)
        norms = np.linalg.norm(vectors, axis=1).astype(np.float32)
        safe = np.where(norms > 0, norms, np.float32(1.0))
        self.unit[where] = vectors / safe[:, None]
        self.norms[where] = norms
        self.live[where] = True

    def release(self, where: Indices) -> None:
        """Mark slots free (their rows are reused later)."""
        self.live[where] = False
        self.free.extend(int(slot) for slot in where)

    def raw(self, where: Indices) -> Matrix:
        """The original vectors at ``where`` (unit rows times norms)."""
        return self.unit[where] * self.norms[where][:, None]

    def scores(self, query: Matrix, metric: Metric, where: Indices | None = None) -> Matrix:
        """Scores of ``query`` against the rows ``where`` (all rows in use if None).

        Rows of removed points score -inf when scoring all rows.
        """
        rows = self.unit[: self.high] if where is None else self.unit[where]
        if metric is Metric.COSINE:
            length = float(np.linalg.norm(query))
            scores = rows @ (query / np.float32(length))
        else:
            norms = self.norms[: self.high] if where is None else self.norms[where]
            scores = (rows @ query) * norms
        if where is None and self.free:
            scores[~self.live[: self.high]] = -np.inf
        return scores.astype(np.float32, copy=False)

    def _reserve(self, rows: int) -> None:
        """Room for ``rows`` rows in writable arrays (copies a memory map on first write)."""
        if rows <= self.unit.shape[0] and not self.mapped:
            return
        capacity = max(rows, 64, self.unit.shape[0] + self.unit.shape[0] // 2)
        unit = np.zeros((capacity, self.dimensions), dtype=np.float32)
        norms = np.zeros(capacity, dtype=np.float32)
        live = np.zeros(capacity, dtype=np.bool_)
        unit[: self.high] = self.unit[: self.high]
        norms[: self.high] = self.norms[: self.high]
        live[: self.high] = self.live[: self.high]
        self.unit, self.norms, self.live = unit, norms, live
