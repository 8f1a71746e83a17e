"""The `Embedder` protocol: text in, vectors out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Embedder"]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of ``dimensions`` floats, ``max_batch`` texts per call at most.

    ``name`` identifies the model (caches key on it); ``remote`` is True when texts leave the
    agent (a hosted API), so the boundary gate is asked first. `CachedEmbedder` adds batching
    and a content-hash cache to any embedder.

    Example:
        >>> vectors = await embedder.embed(["hello", "bonjour"])  # doctest: +SKIP
        >>> len(vectors), len(vectors[0]) == embedder.dimensions  # doctest: +SKIP
        (2, True)
    """

    @property
    def name(self) -> str:
        """The model's name, e.g. ``"all-MiniLM-L6-v2-int8"``."""
        ...

    @property
    def dimensions(self) -> int:
        """The length of each vector."""
        ...

    @property
    def remote(self) -> bool:
        """True when the texts are sent out of the agent (a hosted embedding API)."""
        ...

    @property
    def max_batch(self) -> int:
        """The most texts one `embed` call takes."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...
