"""The test kit of ``mxp_agents.memory``: conformance suites for every seam and test helpers.

- Conformance suites a backend runs against itself: `run_journal_check` /
  `journal_check_names` (a `Journal`), `run_vector_check` / `vector_check_names` (a
  `VectorStore`), `run_embedder_check` / `embedder_check_names` (an `Embedder`).
- `HashEmbedder`: a deterministic embedder without a model (feature hashing), for tests.
- `TemporaryPostgres`: a throwaway PostgreSQL server on 127.0.0.1 from the system's binaries.

Example:
    >>> import pytest
    >>> from mxp_agents.memory.testing import journal_check_names, run_journal_check
    >>> @pytest.mark.parametrize("check", journal_check_names())
    ... async def test_my_journal(check, tmp_path):
    ...     await run_journal_check(check, lambda: MyJournal.opened(tmp_path))
"""

from typing import TYPE_CHECKING

from mxp_agents.primitives import lazy_exports
from mxp_agents.primitives.testing import TemporaryPostgres, TemporaryPostgresError

if TYPE_CHECKING:
    from mxp_agents.memory.testing._embedder_suite import (
        EmbedderCheckFailed,
        embedder_check_names,
        run_embedder_check,
    )
    from mxp_agents.memory.testing._hash_embedder import HashEmbedder
    from mxp_agents.memory.testing._journal_suite import (
        JournalConformanceFailure,
        check_journal,
        journal_check_names,
        run_journal_check,
    )
    from mxp_agents.memory.testing._vector_suite import (
        VectorConformanceFailure,
        check_vector_store,
        run_vector_check,
        vector_check_names,
    )

__all__ = [
    "EmbedderCheckFailed",
    "JournalConformanceFailure",
    "VectorConformanceFailure",
    "check_journal",
    "check_vector_store",
    "HashEmbedder",
    "TemporaryPostgres",
    "TemporaryPostgresError",
    "embedder_check_names",
    "journal_check_names",
    "run_embedder_check",
    "run_journal_check",
    "run_vector_check",
    "vector_check_names",
]

_LAZY: dict[str, tuple[str, str | None]] = {
    "EmbedderCheckFailed": ("_embedder_suite", None),
    "JournalConformanceFailure": ("_journal_suite", None),
    "VectorConformanceFailure": ("_vector_suite", None),
    "check_journal": ("_journal_suite", None),
    "check_vector_store": ("_vector_suite", None),
    "HashEmbedder": ("_hash_embedder", None),
    "embedder_check_names": ("_embedder_suite", None),
    "journal_check_names": ("_journal_suite", None),
    "run_embedder_check": ("_embedder_suite", None),
    "run_journal_check": ("_journal_suite", None),
    "run_vector_check": ("_vector_suite", None),
    "vector_check_names": ("_vector_suite", None),
}


__getattr__ = lazy_exports(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)
