"""The vector store conformance suite against EmbeddedVectorStore, exact and HNSW modes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from mxp_agents.memory import EmbeddedVectorStore, Metric, VectorStore
from mxp_agents.memory.testing._vector_suite import (
    VECTOR_CHECKS,
    VectorConformanceFailure,
    run_vector_check,
    vector_check_names,
)

Opener = Callable[[int], AbstractAsyncContextManager[VectorStore]]

OPENERS: dict[str, Opener] = {
    "exact": lambda dimensions: EmbeddedVectorStore(dimensions),
    "hnsw": lambda dimensions: EmbeddedVectorStore(dimensions, hnsw_threshold=2),
    "dot-hnsw": lambda dimensions: EmbeddedVectorStore(
        dimensions, metric=Metric.DOT, hnsw_threshold=2
    ),
}


@pytest.mark.parametrize("mode", sorted(OPENERS))
@pytest.mark.parametrize("name", vector_check_names())
async def test_vector_conformance(name: str, mode: str) -> None:
    await run_vector_check(name, OPENERS[mode])


def test_the_suite_names_its_checks() -> None:
    assert vector_check_names()[0] == "round_trip"
    assert all(check.description for check in VECTOR_CHECKS.values())


async def test_the_suite_catches_a_broken_store() -> None:
    """A store that forgets tags fails the round trip (the checks can fail)."""

    class Forgetful(EmbeddedVectorStore):
        async def upsert(self, points):  # type: ignore[override]
            from mxp_agents.memory import VectorPoint

            await super().upsert([VectorPoint(p.id, p.vector) for p in points])

    with pytest.raises(VectorConformanceFailure, match="round_trip: a: tags"):
        await run_vector_check("round_trip", Forgetful)
    with pytest.raises(KeyError):
        await run_vector_check("no_such_check", Forgetful)
