"""`MemoryBus`: the one place an agent writes memory to: ring buffer, journal, vector index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.memory._embedding_api import Embedder
from mxp_agents.memory._errors import AgentMemoryError, InvalidRecord
from mxp_agents.memory._gate import BoundaryGate, Destination, GateCheck
from mxp_agents.memory._journal_api import Journal
from mxp_agents.memory._record import MemoryChannel, MemoryRecord
from mxp_agents.memory._ring import RingBuffer
from mxp_agents.memory._vector_api import VectorMatch, VectorPoint, VectorQuery, VectorStore
from mxp_agents.primitives import kind_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mxp_agents.memory._journal_api import JournalEntry

__all__ = ["DEFAULT_INDEXED", "MemoryBus", "WriteReceipt"]

DEFAULT_INDEXED: Final = (MemoryChannel.INPUT, MemoryChannel.OUTPUT)
"""Channels a `MemoryBus` indexes for recall unless told otherwise."""

_RESERVED: Final = ("channel", "label", "run_id", "step", "agent_id", "text")


class WriteReceipt(msgspec.Struct, frozen=True):
    """What `MemoryBus.write` did: the journal ``offset`` (None: no journal), whether the record
    was ``indexed`` for recall, and ``blocked`` (why the gate kept it from a remote embedder or
    store; None when it was not blocked).

    Example:
        >>> receipt.offset, receipt.indexed, receipt.blocked  # doctest: +SKIP
        (41, True, None)
    """

    record: MemoryRecord
    offset: int | None
    indexed: bool
    blocked: str | None = None


class MemoryBus:
    """Composes the memory tiers; the kernel writes every step of every run here.

    `write` puts a record in the ring buffer (always), appends it to the ``journal`` (when
    given; the write returns once the journal's durability is met) and indexes records of the
    ``indexed`` channels in ``vectors`` (when given), embedding their text with ``embedder``
    unless the record carries its own ``embedding``. Before a record or its text goes to a
    remote embedder or store, the ``gate`` decides; records tagged ``"sensitive"`` never leave
    (they are still kept in the ring buffer and the journal). `recall` searches by text or
    vector. The bus does not own its parts: close them yourself.

    Example:
        >>> import trio
        >>> from mxp_agents.memory.testing import HashEmbedder
        >>> bus = MemoryBus(vectors=EmbeddedVectorStore(64), embedder=HashEmbedder(64))
        >>> async def main():
        ...     await bus.write(MemoryRecord(MemoryChannel.INPUT, "the launch code is in the safe"))
        ...     return [m.metadata["text"] for m in await bus.recall("where is the launch code?")]
        >>> trio.run(main)  # doctest: +SKIP
        ['the launch code is in the safe']
    """

    __slots__ = ("_embedder", "_gate", "_indexed", "_journal", "_ring", "_vectors")

    def __init__(
        self,
        *,
        ring: RingBuffer | None = None,
        journal: Journal | None = None,
        vectors: VectorStore | None = None,
        embedder: Embedder | None = None,
        gate: BoundaryGate | GateCheck | None = None,
        indexed: Iterable[MemoryChannel | str] = DEFAULT_INDEXED,
    ) -> None:
        if ring is not None and not isinstance(ring, RingBuffer):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"ring must be a RingBuffer, got {kind_of(ring)}", "$.ring")
        _check_part(journal, Journal, "journal", "a Journal (append, read, flush, aclose)")
        _check_part(vectors, VectorStore, "vectors", "a VectorStore (upsert, query, ...)")
        _check_part(embedder, Embedder, "embedder", "an Embedder (name, dimensions, embed)")
        if embedder is not None and vectors is None:
            raise InvalidRecord("an embedder needs a vector store to index into", "$.embedder")
        if (
            embedder is not None
            and vectors is not None
            and embedder.dimensions != vectors.dimensions
        ):
            raise InvalidRecord(
                f"the embedder makes {embedder.dimensions}-dimensional vectors but the store "
                f"holds {vectors.dimensions}",
                "$.embedder",
            )
        self._ring = ring if ring is not None else RingBuffer()
        self._journal = journal
        self._vectors = vectors
        self._embedder = embedder
        self._gate = gate if isinstance(gate, BoundaryGate) else BoundaryGate(gate)
        self._indexed = _channels(indexed)

    @property
    def ring(self) -> RingBuffer:
        """The ring buffer of recent records.

        Example:
            >>> MemoryBus().ring.capacity
            256
        """
        return self._ring

    @property
    def journal(self) -> Journal | None:
        """The episodic journal, or None.

        Example:
            >>> MemoryBus().journal is None
            True
        """
        return self._journal

    @property
    def vectors(self) -> VectorStore | None:
        """The vector store records are indexed in, or None.

        Example:
            >>> MemoryBus().vectors is None
            True
        """
        return self._vectors

    @property
    def embedder(self) -> Embedder | None:
        """The embedder of record texts, or None.

        Example:
            >>> MemoryBus().embedder is None
            True
        """
        return self._embedder

    @property
    def gate(self) -> BoundaryGate:
        """The boundary gate.

        Example:
            >>> sorted(MemoryBus().gate.sensitive_tags)
            ['sensitive']
        """
        return self._gate

    @property
    def indexed(self) -> frozenset[MemoryChannel]:
        """The channels whose records are indexed for recall.

        Example:
            >>> sorted(MemoryBus().indexed)
            [<MemoryChannel.INPUT: 'input'>, <MemoryChannel.OUTPUT: 'output'>]
        """
        return self._indexed

    async def write(self, record: MemoryRecord) -> WriteReceipt:
        """Remember ``record``: ring buffer, journal (durably), then the vector index.

        Raises:
            InvalidRecord: not a `MemoryRecord`, or its payload cannot be encoded.
            AgentMemoryError: the journal or the index failed (a failure to index says at
                which journal offset the record was already kept).

        Example:
            >>> receipt = await bus.write(MemoryRecord(MemoryChannel.INPUT, "hi"))  # doctest: +SKIP
        """
        if not isinstance(record, MemoryRecord):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected a MemoryRecord, got {kind_of(record)}")
        self._ring.push(record)
        offset = await self._journal.append(record) if self._journal is not None else None
        if self._vectors is None or record.channel not in self._indexed:
            return WriteReceipt(record, offset, indexed=False)
        try:
            return await self._index(record, offset, self._vectors)
        except AgentMemoryError as error:
            kept = "in the ring buffer" if offset is None else f"at journal offset {offset}"
            error.add_note(f"record {record.id} was kept {kept} before indexing failed")
            raise

    async def write_many(self, records: Sequence[MemoryRecord]) -> list[WriteReceipt]:
        """`write` each record in order.

        Example:
            >>> receipts = await bus.write_many([record_1, record_2])  # doctest: +SKIP
        """
        return [await self.write(record) for record in records]

    def recent(self, n: int | None = None) -> list[MemoryRecord]:
        """The last ``n`` records written (all the ring holds when None), oldest first.

        Example:
            >>> MemoryBus().recent(3)
            []
        """
        return self._ring.recent(n)

    async def recall(
        self,
        query: str | Sequence[float],
        *,
        top_k: int = 5,
        tags: Iterable[str] = (),
        channel: MemoryChannel | str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[VectorMatch]:
        """The indexed records closest to ``query`` (a text, embedded, or a vector).

        Filters: ``tags`` (all required), ``channel``, ``run_id`` and ``metadata`` equality.
        Each match's metadata holds the record's ``text``, ``channel``, ``run_id``, ``step``
        and ``agent_id`` beside its own metadata; its id is the record's id.

        Raises:
            AgentMemoryError: the bus has no vector store, or a text query and no embedder.

        Example:
            >>> [m.id for m in await bus.recall("launch code", top_k=1)]  # doctest: +SKIP
            ['6f1c...']
        """
        vectors = self._vectors
        if vectors is None:
            raise AgentMemoryError("recall needs a vector store: MemoryBus(vectors=...)")
        if isinstance(query, str):
            if self._embedder is None:
                raise AgentMemoryError(
                    "recall by text needs an embedder: MemoryBus(embedder=...), or pass a vector"
                )
            (vector,) = await self._embedder.embed([query])
        else:
            vector = query
        where: dict[str, Any] = dict(metadata or {})
        if channel is not None:
            (chosen,) = _channels((channel,))
            where["channel"] = chosen.value
        if run_id is not None:
            where["run_id"] = run_id
        return await vectors.query(
            VectorQuery(vector, top_k=top_k, tags=_tags(tags), metadata=where)
        )

    async def run(self, run_id: str) -> list[JournalEntry]:
        """Every journal entry of one run, in order.

        Raises:
            AgentMemoryError: the bus has no journal.

        Example:
            >>> [e.record.channel for e in await bus.run("run-1")]  # doctest: +SKIP
            [<MemoryChannel.INPUT: 'input'>, ...]
        """
        if self._journal is None:
            raise AgentMemoryError("reading a run needs a journal: MemoryBus(journal=...)")
        return [entry async for entry in self._journal.read(run_id=run_id)]

    async def _index(
        self, record: MemoryRecord, offset: int | None, vectors: VectorStore
    ) -> WriteReceipt:
        text = record.text()
        embedding: Sequence[float] | None = record.embedding
        if embedding is None:
            embedder = self._embedder
            if embedder is None:
                return WriteReceipt(record, offset, indexed=False)
            if embedder.remote:
                why = await self._gate.reason(record, Destination("embedder", embedder.name))
                if why is not None:
                    return WriteReceipt(record, offset, indexed=False, blocked=why)
            (embedding,) = await embedder.embed([text])
        if vectors.remote:
            why = await self._gate.reason(record, Destination("vector_store", _name(vectors)))
            if why is not None:
                return WriteReceipt(record, offset, indexed=False, blocked=why)
        point = VectorPoint(str(record.id), embedding, record.tags, _point_metadata(record, text))
        await vectors.upsert([point])
        return WriteReceipt(record, offset, indexed=True)

    def __repr__(self) -> str:
        parts = [repr(self._ring)]
        for name, part in (("journal", self._journal), ("vectors", self._vectors),
                           ("embedder", self._embedder)):  # fmt: skip
            if part is not None:
                parts.append(f"{name}={type(part).__name__}")
        return f"MemoryBus({', '.join(parts)})"


def _point_metadata(record: MemoryRecord, text: str) -> dict[str, Any]:
    metadata = {k: v for k, v in record.metadata.items() if k not in _RESERVED}
    metadata["channel"] = record.channel.value
    metadata["text"] = text
    placed = (("label", record.label), ("run_id", record.run_id),
              ("step", record.step), ("agent_id", record.agent_id))  # fmt: skip
    metadata.update({key: value for key, value in placed if value is not None})
    return metadata


def _name(part: object) -> str:
    name = getattr(part, "name", None)
    return name if isinstance(name, str) else type(part).__name__


def _check_part(part: object, protocol: type, name: str, what: str) -> None:
    if part is not None and not isinstance(part, protocol):
        raise InvalidRecord(f"{name} must be {what}, got {kind_of(part)}", f"$.{name}")


def _channels(channels: Iterable[MemoryChannel | str]) -> frozenset[MemoryChannel]:
    if isinstance(channels, str):
        raise InvalidRecord("indexed must be a collection of channels, not a str", "$.indexed")
    chosen: set[MemoryChannel] = set()
    for index, channel in enumerate(channels):
        try:
            chosen.add(MemoryChannel(channel))
        except ValueError:
            choices = ", ".join(repr(c.value) for c in MemoryChannel)
            raise InvalidRecord(
                f"channel must be one of {choices}, got {channel!r}", f"$.indexed[{index}]"
            ) from None
    return frozenset(chosen)


def _tags(tags: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tags, str):
        raise InvalidRecord("tags must be a collection of str, not a str", "$.tags")
    return tuple(tags)
