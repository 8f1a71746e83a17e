"""`MxpVectorStore`: a `VectorStore` served by a memory agent over MXP (`serve_memory`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, Self

import msgspec
import trio

from mxp_agents.kernel._memory_answers import Counted, Done, Matches, Removed, Upserted
from mxp_agents.kernel._memory_client import MemoryClient
from mxp_agents.kernel._memory_errors import MemoryServiceError
from mxp_agents.kernel._memory_wire import Count, MemoryOp, Query, Remove, Save, Upsert
from mxp_agents.kernel._vector_encoding import F32, encoded_points, floats, packed
from mxp_agents.memory import InvalidRecord, Metric, VectorStoreError
from mxp_agents.primitives import kind_of

if TYPE_CHECKING:
    from mxp.transport import Endpoint
    from mxp_agents.kernel._memory_answers import MemoryInfo
    from mxp_agents.memory import VectorMatch, VectorPoint, VectorQuery

__all__ = ["MxpVectorStore"]

IN_FLIGHT: Final = 8
"""Calls of one split upsert in flight at once (when its ids are distinct)."""
_upserted: Final = msgspec.json.Decoder(Upserted)
_removed: Final = msgspec.json.Decoder(Removed)
_matches: Final = msgspec.json.Decoder(Matches)
_counted: Final = msgspec.json.Decoder(Counted)
_done: Final = msgspec.json.Decoder(Done)


class MxpVectorStore(MemoryClient):
    """The vector store of a memory agent (`serve_memory`), used like any `VectorStore`.

    ``target`` is an address (``"127.0.0.1:7001"``, ``("127.0.0.1", 7001)``) or a capability
    (``"memory.vectors"``) whose server is discovered through the registry (``registry=``,
    else the running `Kernel`'s) and then kept. ``endpoint`` defaults to the running `Kernel`'s.
    ``timeout`` bounds each call (and is sent as its deadline); ``connect_timeout`` each
    discovery probe. ``compact`` (default) sends vectors as float32 (base64, ~4x smaller than
    JSON numbers, the precision the embedded store keeps) when the server reads that form;
    ``compact=False`` sends JSON numbers (full float64, for a store that keeps doubles).
    ``dimensions`` and ``metric`` are the served store's, fetched once by `open` (``async
    with``, or `connect`); the async methods open the store themselves.

    Points are checked here first (a vector's length and values, the point type, metadata
    that JSON can carry), so a refused upsert sends nothing; an upsert or remove bigger than
    one datagram goes as several calls (up to 8 at once when the ids are distinct, else in
    order; not atomic: a failure part way leaves the calls before it applied). Errors of the
    served store come back as the same class (`InvalidRecord` with its path,
    `VectorStoreError`); refusals, timeouts and transport failures as `MemoryServiceError`
    (a `VectorStoreError`).

    Example:
        >>> async with MxpVectorStore("memory.vectors", endpoint=endpoint,
        ...                           registry="127.0.0.1:50051") as store:
        ...     await store.upsert([VectorPoint("a", [1.0, 0.0, 0.0])])
        ...     [m.id for m in await store.query(VectorQuery([1.0, 0.0, 0.0], top_k=1))]
        ['a']
    """

    _example = "memory.vectors"
    _noun = "store"
    _closed_error = VectorStoreError

    def __init__(
        self,
        target: str | tuple[str, int],
        *,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 2.0,
        compact: bool = True,
    ) -> None:
        super().__init__(
            target,
            endpoint=endpoint,
            registry=registry,
            timeout=timeout,
            connect_timeout=connect_timeout,
        )
        self._want_compact: Final = bool(compact)
        self._compact = False
        self._dimensions: int | None = None
        self._metric: Metric | None = None

    @classmethod
    async def connect(
        cls,
        target: str | tuple[str, int],
        *,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 - a setting of the store
        connect_timeout: float = 2.0,
        compact: bool = True,
    ) -> Self:
        """An opened store (``dimensions`` and ``metric`` known).

        Example:
            >>> store = await MxpVectorStore.connect("127.0.0.1:7001", endpoint=endpoint)
            >>> store.dimensions
            384
        """
        store = cls(
            target,
            endpoint=endpoint,
            registry=registry,
            timeout=timeout,
            connect_timeout=connect_timeout,
            compact=compact,
        )
        return await store.open()

    def _adopt(self, info: MemoryInfo) -> None:
        if info.vectors is None:
            raise MemoryServiceError(
                "unsupported",
                f"memory service {info.name!r} serves no vector store (it serves a journal: "
                "use MxpJournal)",
                self.target,
            )
        self._metric = info.vectors.metric
        self._compact = self._want_compact and F32 in info.vectors.encodings
        self._dimensions = info.vectors.dimensions

    @property
    def dimensions(self) -> int:
        """The served store's dimensions (`VectorStoreError` before `open`).

        Example:
            >>> (await MxpVectorStore.connect(address, endpoint=endpoint)).dimensions
            384
        """
        if self._dimensions is None:
            raise self._not_open("dimensions")
        return self._dimensions

    @property
    def metric(self) -> Metric:
        """The served store's default metric (`VectorStoreError` before `open`).

        Example:
            >>> (await MxpVectorStore.connect(address, endpoint=endpoint)).metric
            <Metric.COSINE: 'cosine'>
        """
        if self._metric is None:
            raise self._not_open("metric")
        return self._metric

    @property
    def remote(self) -> bool:
        """True: points leave the agent (the boundary gate is asked first).

        Example:
            >>> MxpVectorStore("memory.vectors").remote
            True
        """
        return True

    async def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Insert or replace ``points`` (several calls, in order, when they exceed a datagram).

        Example:
            >>> await store.upsert([VectorPoint("a", [1.0, 0.0, 0.0], tags=("faq",))])
        """
        dimensions = (await self.open()).dimensions
        if isinstance(points, str | bytes) or not isinstance(points, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected a sequence of VectorPoint, got {kind_of(points)}", "$")
        encoded = encoded_points(points, dimensions, compact=self._compact)
        if not encoded:
            return
        bodies = self._batches(Upsert(points=()), "points", encoded)
        if len(bodies) == 1 or len({p.id for p in points}) < len(points):
            for body in bodies:  # a repeated id: in order, so the last one wins
                await self._link.call_body(body, _upserted)
            return
        await self._send_all(bodies)

    async def remove(self, ids: Sequence[str]) -> int:
        """Remove points by id; how many were there.

        Example:
            >>> await store.remove(["a", "missing"])
            1
        """
        await self.open()
        if isinstance(ids, str | bytes) or not isinstance(ids, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected a sequence of str, got {kind_of(ids)}", "$.ids")
        encoded: list[bytes] = []
        for index, point_id in enumerate(ids):
            if not isinstance(point_id, str):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidRecord(f"expected str, got {kind_of(point_id)}", f"$.ids[{index}]")
            encoded.append(msgspec.json.encode(point_id))
        removed = 0
        if not encoded:
            return removed
        for body in self._batches(Remove(ids=()), "ids", encoded):
            removed += (await self._link.call_body(body, _removed)).removed
        return removed

    async def query(self, query: VectorQuery) -> list[VectorMatch]:
        """The closest points that pass the filters, best first (a big answer travels as a
        Stream).

        Example:
            >>> [m.id for m in await store.query(VectorQuery([1.0, 0.0, 0.0], top_k=1))]
            ['a']
        """
        dimensions = (await self.open()).dimensions
        vector: Any = (
            packed(query.vector, dimensions, "$.vector")
            if self._compact
            else floats(query.vector, dimensions, "$.vector")
        )
        sent = msgspec.structs.replace(query, vector=vector)
        return (await self._link.call(Query(query=sent), _matches)).matches

    async def count(self) -> int:
        """How many points the served store holds.

        Example:
            >>> await store.count()
            1
        """
        await self.open()
        return (await self._link.call(Count(), _counted)).count

    async def save(self) -> None:
        """Ask the served store to persist.

        Example:
            >>> await store.save()
        """
        await self.open()
        await self._link.call(Save(), _done)

    async def aclose(self) -> None:
        """Stop using the store (the served store stays open for its other clients).

        Example:
            >>> await store.aclose()
        """
        self._closed = True

    async def _send_all(self, bodies: list[bytes]) -> None:
        """Send ``bodies`` with up to `IN_FLIGHT` calls at once; the first failure stops the
        rest and is raised."""
        limiter = trio.CapacityLimiter(IN_FLIGHT)
        failures: list[Exception] = []
        async with trio.open_nursery() as nursery:

            async def send(body: bytes) -> None:
                try:
                    async with limiter:
                        await self._link.call_body(body, _upserted)
                except Exception as error:
                    failures.append(error)
                    nursery.cancel_scope.cancel()

            for body in bodies:
                nursery.start_soon(send, body)
        if failures:
            raise failures[0]

    def _batches(self, empty: MemoryOp, field: str, items: list[bytes]) -> list[bytes]:
        """Call bodies carrying ``items`` in ``field``, each within one datagram (an item
        bigger than that alone)."""
        envelope = self._link.prepare(empty)
        marker = msgspec.json.encode(field) + b":["
        cut = envelope.rindex(marker) + len(marker)
        prefix, suffix = envelope[:cut], envelope[cut:]
        limit = self._link.resolve_endpoint().config.max_datagram_payload
        room = limit - len(prefix) - len(suffix)
        bodies: list[bytes] = []
        batch: list[bytes] = []
        size = 0
        for item in items:
            if batch and size + len(item) + 1 > room:
                bodies.append(prefix + b",".join(batch) + suffix)
                batch, size = [], 0
            batch.append(item)
            size += len(item) + 1
        if batch:
            bodies.append(prefix + b",".join(batch) + suffix)
        return bodies

    def _not_open(self, what: str) -> VectorStoreError:
        return VectorStoreError(f"MxpVectorStore {self.target!r}: {self._not_open_text(what)}")

    def __repr__(self) -> str:
        return f"MxpVectorStore({self.target!r}, dimensions={self._dimensions})"
