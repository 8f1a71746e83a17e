"""Serving memory over MXP: `serve_memory` puts a `VectorStore` and/or a `Journal` on the mesh
as a memory agent (a `Kernel` hosting a `MemoryService`), for `MxpVectorStore` and `MxpJournal`
to call. Many agents then share one store and one journal.

The wire format is in `mxp_agents.kernel._memory_wire` and docs/protocol.md ("Memory calls").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.kernel._config import KernelConfig, KernelConfigError
from mxp_agents.kernel._memory_service import READ_BATCH_BYTES, MemoryService
from mxp_agents.kernel._served import ServedKernel
from mxp_agents.memory import Journal, VectorStore
from mxp_agents.primitives import InvalidCapabilityId, parse_capability_id

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider


__all__ = ["JOURNAL_CAPABILITY", "VECTORS_CAPABILITY", "MemoryServer", "serve_memory"]

VECTORS_CAPABILITY: Final = "memory.vectors"
"""Advertised by a memory server that serves a vector store (unless ``capability`` is given)."""
JOURNAL_CAPABILITY: Final = "memory.journal"
"""Advertised by a memory server that serves a journal (unless ``capability`` is given)."""


class MemoryServer(ServedKernel):
    """A vector store and/or journal served over MXP: runs like a `Kernel` (build it with
    `serve_memory`).

    Example:
        >>> async with serve_memory(vectors=EmbeddedVectorStore(384)).running() as server:
        ...     print(server.address, server.capabilities)
        ('127.0.0.1', 54321) ('memory.vectors',)
    """

    def __init__(
        self,
        *,
        vectors: VectorStore | None = None,
        journal: Journal | None = None,
        name: str | None = None,
        capability: str | None = None,
        config: KernelConfig | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        if vectors is None and journal is None:
            raise KernelConfigError("serve_memory: give vectors=, journal= or both")
        if vectors is not None and not isinstance(vectors, VectorStore):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(
                f"serve_memory: vectors must be a VectorStore, got {type(vectors).__name__}"
            )
        if journal is not None and not isinstance(journal, Journal):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(
                f"serve_memory: journal must be a Journal, got {type(journal).__name__}"
            )
        if capability is None:
            served = (VECTORS_CAPABILITY,) if vectors is not None else ()
            served += (JOURNAL_CAPABILITY,) if journal is not None else ()
        else:
            try:
                served = (parse_capability_id(capability),)
            except InvalidCapabilityId as error:
                raise KernelConfigError(f"serve_memory: capability: {error}") from None
        if name is not None and (not isinstance(name, str) or not name.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise KernelConfigError(f"serve_memory: name must be a non-blank str, got {name!r}")
        config = config if config is not None else KernelConfig()
        if config.capabilities is not None:
            extra = tuple(c for c in config.capabilities if c not in served)
            config = msgspec.structs.replace(config, capabilities=(*served, *extra))
        batch = min(READ_BATCH_BYTES, config.endpoint.chunk_size - 64)
        self.service: Final = MemoryService(
            vectors=vectors,
            journal=journal,
            name=name if name is not None else "memory",
            capabilities=served,
            batch_bytes=batch,
        )
        super().__init__(self.service, config=config, tracer_provider=tracer_provider)

    @property
    def vectors(self) -> VectorStore | None:
        """The vector store served (None: none).

        Example:
            >>> serve_memory(vectors=store).vectors is store
            True
        """
        return self.service.vectors

    @property
    def journal(self) -> Journal | None:
        """The journal served (None: none).

        Example:
            >>> serve_memory(vectors=store).journal is None
            True
        """
        return self.service.journal

    @property
    def capabilities(self) -> tuple[str, ...]:
        """The capabilities advertised by default (``memory.vectors`` / ``memory.journal``).

        Example:
            >>> serve_memory(vectors=store, journal=journal).capabilities
            ('memory.vectors', 'memory.journal')
        """
        return self.service.capabilities()

    @property
    def capability(self) -> str:
        """The first capability advertised (the one to give `MxpVectorStore` / `MxpJournal`).

        Example:
            >>> serve_memory(journal=journal).capability
            'memory.journal'
        """
        return self.service.capabilities()[0]

    @property
    def name(self) -> str:
        """The registered name (``"memory"`` unless given).

        Example:
            >>> serve_memory(vectors=store, name="team-memory").name
            'team-memory'
        """
        return self.service.name

    def __repr__(self) -> str:
        return f"MemoryServer({self.name!r}, {self.capabilities!r}, state={self.state.value})"


def serve_memory(
    *,
    vectors: VectorStore | None = None,
    journal: Journal | None = None,
    name: str | None = None,
    capability: str | None = None,
    config: KernelConfig | None = None,
    tracer_provider: TracerProvider | None = None,
) -> MemoryServer:
    """Expose ``vectors`` and/or ``journal`` as an MXP memory agent, for `MxpVectorStore` and
    `MxpJournal` to call: many agents then share one store and one journal.

    ``capability`` (default: ``memory.vectors`` and/or ``memory.journal``, what is served) is
    advertised to ``config.registry`` when set, with any ``config.capabilities``; ``name``
    (default ``"memory"``) is the registered name. Concurrency, queueing, deadlines and
    shutdown are the kernel's. The store and journal stay the caller's to close.

    Raises:
        KernelConfigError: nothing to serve, not a VectorStore / Journal, a bad capability.

    Example:
        >>> async with FileJournal.opened("runs") as journal:
        ...     server = serve_memory(vectors=EmbeddedVectorStore(384), journal=journal,
        ...                           config=KernelConfig(registry="127.0.0.1:50051"))
        ...     async with server.running():
        ...         await trio.sleep_forever()
    """
    return MemoryServer(
        vectors=vectors,
        journal=journal,
        name=name,
        capability=capability,
        config=config,
        tracer_provider=tracer_provider,
    )
