"""Memory for MXP Agents for Python.

Records and the bus the kernel writes to (`MemoryRecord`, `MemoryBus`), a ring buffer of recent
records, the durable episodic journal (`FileJournal`, `PostgresJournal`), vector recall
(`EmbeddedVectorStore`), embeddings (`LocalEmbedder`, `CachedEmbedder`) and the boundary gate
that decides what may leave the agent (`BoundaryGate`). The protocols `Journal`, `VectorStore`
and `Embedder` are the seams for other backends; `mxp_agents.memory.testing` holds their
conformance suites.

Backends with heavy dependencies load on first use: `import mxp_agents.memory` needs only
msgspec, trio and xxhash.

Example:
    >>> from mxp_agents.memory import MemoryChannel, MemoryRecord, RingBuffer
    >>> ring = RingBuffer(capacity=2)
    >>> for text in ("one", "two", "three"):
    ...     ring.push(MemoryRecord(MemoryChannel.INPUT, text))
    >>> [record.payload for record in ring.recent()]
    ['two', 'three']
"""

from typing import TYPE_CHECKING

from mxp_agents.memory._embedding_api import Embedder
from mxp_agents.memory._errors import (
    AgentMemoryError,
    EmbeddingError,
    GateBlocked,
    InvalidRecord,
    JournalClosed,
    JournalCorrupted,
    JournalError,
    RingBufferError,
    VectorStoreError,
)
from mxp_agents.memory._journal_api import Durability, Journal, JournalEntry, Retention
from mxp_agents.memory._record import SENSITIVE, MemoryChannel, MemoryRecord
from mxp_agents.memory._vector_api import Metric, VectorMatch, VectorPoint, VectorQuery, VectorStore
from mxp_agents.primitives import lazy_exports

if TYPE_CHECKING:
    from mxp_agents.memory._bus import MemoryBus, WriteReceipt
    from mxp_agents.memory._cached_embedder import CachedEmbedder, CacheStats
    from mxp_agents.memory._file import FileJournal, JournalStats, RecoveryReport
    from mxp_agents.memory._gate import BoundaryGate, Destination, GateCheck
    from mxp_agents.memory._local import LocalEmbedder
    from mxp_agents.memory._postgres import PostgresJournal
    from mxp_agents.memory._ring import RingBuffer, RingStats
    from mxp_agents.memory._settings import MemorySettings, open_memory
    from mxp_agents.memory._vectors import EmbeddedVectorStore, HnswOptions, VectorStoreStats

__version__ = "0.1.0"

__all__ = [
    "SENSITIVE",
    "AgentMemoryError",
    "BoundaryGate",
    "CacheStats",
    "CachedEmbedder",
    "Destination",
    "Durability",
    "EmbeddedVectorStore",
    "Embedder",
    "EmbeddingError",
    "FileJournal",
    "GateBlocked",
    "GateCheck",
    "HnswOptions",
    "InvalidRecord",
    "Journal",
    "JournalClosed",
    "JournalCorrupted",
    "JournalEntry",
    "JournalError",
    "JournalStats",
    "LocalEmbedder",
    "MemoryBus",
    "MemoryChannel",
    "MemorySettings",
    "MemoryRecord",
    "Metric",
    "PostgresJournal",
    "RecoveryReport",
    "Retention",
    "RingBuffer",
    "RingBufferError",
    "RingStats",
    "VectorMatch",
    "VectorPoint",
    "VectorQuery",
    "VectorStore",
    "VectorStoreError",
    "VectorStoreStats",
    "WriteReceipt",
    "open_memory",
]

# name -> (private module, the extra whose dependencies it imports, or None)
_LAZY: dict[str, tuple[str, str | None]] = {
    "BoundaryGate": ("_gate", None),
    "CachedEmbedder": ("_cached_embedder", None),
    "CacheStats": ("_cached_embedder", None),
    "Destination": ("_gate", None),
    "EmbeddedVectorStore": ("_vectors", "vectors"),
    "HnswOptions": ("_vectors", "vectors"),
    "VectorStoreStats": ("_vectors", "vectors"),
    "FileJournal": ("_file", None),
    "GateCheck": ("_gate", None),
    "LocalEmbedder": ("_local", "local"),
    "MemoryBus": ("_bus", None),
    "PostgresJournal": ("_postgres", "postgres"),
    "RecoveryReport": ("_file", None),
    "JournalStats": ("_file", None),
    "RingBuffer": ("_ring", None),
    "RingStats": ("_ring", None),
    "WriteReceipt": ("_bus", None),
    "MemorySettings": ("_settings", None),
    "open_memory": ("_settings", None),
}


__getattr__ = lazy_exports(__name__, _LAZY, distribution="mxp-agents-memory")


def __dir__() -> list[str]:
    return sorted(__all__)
