"""The embedded vector store: exact search (numpy), HNSW (usearch) past a threshold, persistence.

Needs the ``vectors`` extra (numpy, usearch); `mxp_agents.memory` loads it on first use.

Example:
    >>> from mxp_agents.memory import EmbeddedVectorStore
    >>> EmbeddedVectorStore(384).stats().mode
    'exact'
"""

from mxp_agents.memory._vectors._hnsw import HnswOptions
from mxp_agents.memory._vectors._store import (
    DEFAULT_HNSW_THRESHOLD,
    EmbeddedVectorStore,
    VectorStoreStats,
)

__all__ = ["DEFAULT_HNSW_THRESHOLD", "EmbeddedVectorStore", "HnswOptions", "VectorStoreStats"]
