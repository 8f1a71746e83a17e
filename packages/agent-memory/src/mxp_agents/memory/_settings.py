"""`MemorySettings`, the ``[memory]`` section of the configuration, and `open_memory`, which
builds the `MemoryBus` it describes."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec

from mxp_agents.config import Secret
from mxp_agents.memory._bus import DEFAULT_INDEXED, MemoryBus
from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.memory._journal_api import Durability, Journal, Retention
from mxp_agents.memory._record import MemoryChannel
from mxp_agents.memory._ring import DEFAULT_CAPACITY, RingBuffer
from mxp_agents.memory._vector_api import Metric

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from mxp_agents.memory._embedding_api import Embedder
    from mxp_agents.memory._gate import BoundaryGate, GateCheck
    from mxp_agents.memory._vector_api import VectorStore

__all__ = ["MemorySettings", "open_memory"]

_Positive = Annotated[int, msgspec.Meta(ge=1)]


class MemorySettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What an agent remembers and where: the ``[memory]`` section of the configuration.

    ``journal``: ``"file"`` (a `FileJournal` in ``path``/journal, the default), ``"postgres"``
    (a `PostgresJournal` at ``postgres_dsn``, table ``postgres_table``) or ``"none"``;
    ``durability`` and ``retention_max_bytes`` / ``retention_max_age`` (seconds) apply to it.
    ``vectors``: ``"embedded"`` (an `EmbeddedVectorStore` saved in ``path``/vectors) or
    ``"none"``; ``embedder``: ``"local"`` (the ONNX all-MiniLM-L6-v2, behind a
    `CachedEmbedder` of ``embedding_cache`` entries) or ``"none"`` (then records are indexed
    only when they carry an embedding, and ``dimensions`` sizes the store). ``indexed``: the
    channels recalled. Switching from files to PostgreSQL is a change of configuration only.

    Example:
        >>> from mxp_agents.config import load_section
        >>> env = {"MXP_AGENTS_MEMORY__JOURNAL": "postgres",
        ...        "MXP_AGENTS_MEMORY__POSTGRES_DSN": "postgresql://agent:pw@127.0.0.1/agents"}
        >>> settings = load_section(MemorySettings, "memory", env=env)
        >>> settings.journal, settings.postgres_dsn
        ('postgres', Secret('**********'))
    """

    path: Path = Path(".mxp-agents/memory")
    ring_capacity: _Positive = DEFAULT_CAPACITY
    ring_max_bytes: _Positive | None = None
    journal: Literal["file", "postgres", "none"] = "file"
    durability: Durability = Durability.BATCH
    retention_max_bytes: _Positive | None = None
    retention_max_age: Annotated[float, msgspec.Meta(gt=0)] | None = None
    postgres_dsn: Secret | None = None
    postgres_table: str = "mxp_journal"
    vectors: Literal["embedded", "none"] = "none"
    metric: Metric = Metric.COSINE
    dimensions: _Positive | None = None
    embedder: Literal["local", "none"] = "none"
    embedding_cache: _Positive = 10_000
    indexed: tuple[MemoryChannel, ...] = DEFAULT_INDEXED


@contextlib.asynccontextmanager
async def open_memory(
    settings: MemorySettings | None = None,
    *,
    embedder: Embedder | None = None,
    gate: BoundaryGate | GateCheck | None = None,
) -> AsyncGenerator[MemoryBus]:
    """Open the journal, vector store and embedder ``settings`` name, as one `MemoryBus`.

    ``embedder`` replaces the configured one (e.g. a hosted ``OpenAIEmbedder`` from
    ``mxp_agents.adapters``); ``gate`` decides what may leave the agent. On exit the vector
    store is saved and closed and the journal flushed and closed, even on error.

    Raises:
        InvalidRecord: settings that cannot work together (the message names the field).

    Example:
        >>> async with open_memory(MemorySettings(path=Path("memory"))) as bus:  # doctest: +SKIP
        ...     agent = Agent("helper", model=model, memory=bus)
        ...     await agent.run("hello")
    """
    settings = settings if settings is not None else MemorySettings()
    if not isinstance(settings, MemorySettings):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise InvalidRecord(f"expected MemorySettings, got {type(settings).__name__}")
    async with contextlib.AsyncExitStack() as stack:
        journal = await _journal(settings, stack)
        if embedder is None and settings.embedder == "local":
            from mxp_agents.memory._cached_embedder import CachedEmbedder
            from mxp_agents.memory._local import LocalEmbedder

            embedder = CachedEmbedder(LocalEmbedder(), max_entries=settings.embedding_cache)
        vectors = await _vectors(settings, embedder, stack)
        yield MemoryBus(
            ring=RingBuffer(settings.ring_capacity, max_bytes=settings.ring_max_bytes),
            journal=journal,
            vectors=vectors,
            embedder=embedder if vectors is not None else None,
            gate=gate,
            indexed=settings.indexed,
        )


async def _journal(settings: MemorySettings, stack: contextlib.AsyncExitStack) -> Journal | None:
    retention = Retention(settings.retention_max_bytes, settings.retention_max_age)
    if settings.journal == "file":
        from mxp_agents.memory._file import FileJournal

        return await stack.enter_async_context(
            FileJournal.opened(
                settings.path / "journal", durability=settings.durability, retention=retention
            )
        )
    if settings.journal == "postgres":
        if settings.postgres_dsn is None:
            raise InvalidRecord(
                "journal = 'postgres' needs postgres_dsn (MXP_AGENTS_MEMORY__POSTGRES_DSN)",
                "$.memory.postgres_dsn",
            )
        from mxp_agents.memory._postgres import PostgresJournal

        return await stack.enter_async_context(
            PostgresJournal.opened(
                settings.postgres_dsn,
                table=settings.postgres_table,
                durability=settings.durability,
                retention=retention,
            )
        )
    return None


async def _vectors(
    settings: MemorySettings, embedder: Embedder | None, stack: contextlib.AsyncExitStack
) -> VectorStore | None:
    if settings.vectors == "none":
        return None
    dimensions = embedder.dimensions if embedder is not None else settings.dimensions
    if dimensions is None:
        raise InvalidRecord(
            "vectors = 'embedded' needs an embedder or dimensions", "$.memory.dimensions"
        )
    if settings.dimensions is not None and settings.dimensions != dimensions:
        raise InvalidRecord(
            f"dimensions is {settings.dimensions} but the embedder makes {dimensions}",
            "$.memory.dimensions",
        )
    from mxp_agents.memory._vectors import EmbeddedVectorStore

    store = await EmbeddedVectorStore.open(
        settings.path / "vectors", dimensions=dimensions, metric=settings.metric
    )
    stack.push_async_callback(store.aclose)
    return store
