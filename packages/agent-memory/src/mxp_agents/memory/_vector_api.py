"""The `VectorStore` protocol and its types: points, queries and matches."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import msgspec

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.primitives import kind_of

__all__ = ["Metric", "VectorMatch", "VectorPoint", "VectorQuery", "VectorStore"]


class Metric(enum.StrEnum):
    """How similarity is scored: ``COSINE`` (of the angle, -1..1) or ``DOT`` (inner product).

    Scores are similarities: higher is closer.

    Example:
        >>> Metric("cosine") is Metric.COSINE
        True
    """

    COSINE = "cosine"
    DOT = "dot"


class VectorPoint(msgspec.Struct, frozen=True):
    """A vector with its ``id`` and what queries filter on (``tags``, ``metadata``).

    ``vector`` is any 1-D sequence of floats (a list, a tuple, a NumPy array); the store checks
    its length and values. ``id`` and tags must not be blank.

    Example:
        >>> VectorPoint("doc-1", [0.1, 0.2, 0.3], tags=("faq",), metadata={"lang": "en"}).id
        'doc-1'
    """

    id: str
    vector: Any
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])

    def __post_init__(self) -> None:
        _check_id(self.id, "$.id")
        _check_tags(self.tags)
        if not isinstance(self.metadata, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected object, got {kind_of(self.metadata)}", "$.metadata")


class VectorQuery(msgspec.Struct, frozen=True):
    """A nearest-neighbour query: the ``top_k`` points closest to ``vector``.

    ``metric`` (None: the store's), ``tags`` (a point must carry every one), ``metadata``
    (a point's value must equal each one given) and ``exact`` (skip the approximate index).

    Example:
        >>> VectorQuery([0.1, 0.2, 0.3], top_k=5, tags=("faq",)).top_k
        5
    """

    vector: Any
    top_k: int = 10
    metric: Metric | None = None
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    exact: bool = False

    def __post_init__(self) -> None:
        top_k: object = self.top_k
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"top_k must be an int >= 1, got {top_k!r}", "$.top_k")
        metric: object = self.metric
        if metric is not None and not isinstance(metric, Metric):  # pyright: ignore[reportUnnecessaryIsInstance]
            try:
                msgspec.structs.force_setattr(self, "metric", Metric(metric))
            except ValueError:
                raise InvalidRecord(
                    f"metric must be 'cosine' or 'dot', got {metric!r}", "$.metric"
                ) from None
        _check_tags(self.tags)
        if not isinstance(self.metadata, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected object, got {kind_of(self.metadata)}", "$.metadata")


class VectorMatch(msgspec.Struct, frozen=True):
    """A query's hit: the point's ``id``, its ``score`` (higher is closer), tags and metadata.

    Example:
        >>> VectorMatch("doc-1", 0.93).score
        0.93
    """

    id: str
    score: float
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])


@runtime_checkable
class VectorStore(Protocol):
    """Vectors with ids, tags and metadata, searched by similarity.

    ``upsert`` inserts or replaces points by id; ``remove`` returns how many ids existed;
    ``query`` returns at most ``top_k`` matches, best first; ``save`` persists (a no-op for
    stores that persist on every write); ``remote`` is True when the vectors leave the agent
    (the boundary gate is asked first). `mxp_agents.memory.testing.check_vector_store` is the
    conformance suite a backend runs.

    Example:
        >>> await store.upsert([VectorPoint("a", [1.0, 0.0]), VectorPoint("b", [0.0, 1.0])])
        >>> [m.id for m in await store.query(VectorQuery([0.9, 0.1], top_k=1))]  # doctest: +SKIP
        ['a']
    """

    @property
    def dimensions(self) -> int:
        """The length of every vector."""
        ...

    @property
    def metric(self) -> Metric:
        """The default metric of queries."""
        ...

    @property
    def remote(self) -> bool:
        """True when points are sent out of the agent's process (to another agent, a server)."""
        ...

    async def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Insert the points, replacing those whose id exists."""
        ...

    async def remove(self, ids: Sequence[str]) -> int:
        """Remove points by id; return how many were there."""
        ...

    async def query(self, query: VectorQuery) -> list[VectorMatch]:
        """The closest points that pass the filters, best first."""
        ...

    async def count(self) -> int:
        """How many points the store holds."""
        ...

    async def save(self) -> None:
        """Persist the store (where it persists)."""
        ...

    async def aclose(self) -> None:
        """Save where needed and release the store."""
        ...


def _check_id(value: object, path: str) -> None:
    if not isinstance(value, str):
        raise InvalidRecord(f"expected str, got {kind_of(value)}", path)
    if not value.strip():
        raise InvalidRecord("id must not be blank", path)


def _check_tags(tags: object) -> None:
    if not isinstance(tags, tuple):
        raise InvalidRecord(f"tags must be a tuple of str, got {kind_of(tags)}", "$.tags")
    for index, tag in enumerate(tags):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        if not isinstance(tag, str):
            raise InvalidRecord(f"expected str, got {kind_of(tag)}", f"$.tags[{index}]")  # pyright: ignore[reportUnknownArgumentType]
        if not tag.strip():
            raise InvalidRecord("tag must not be blank", f"$.tags[{index}]")


_ = Sequence  # used in annotations above
