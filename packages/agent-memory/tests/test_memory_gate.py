"""BoundaryGate: sensitive records never leave; the check decides the rest."""

from __future__ import annotations

import pytest

from mxp_agents.memory import (
    AgentMemoryError,
    BoundaryGate,
    Destination,
    GateBlocked,
    InvalidRecord,
    MemoryChannel,
    MemoryRecord,
)

EMBEDDER = Destination("embedder", "openai/text-embedding-3-small")
PEER = Destination("peer", "memory.vectors")


def record(*tags: str) -> MemoryRecord:
    return MemoryRecord(MemoryChannel.INPUT, "text", tags=tags)


async def test_sensitive_never_leaves_even_when_the_check_says_yes() -> None:
    gate = BoundaryGate(lambda r, d: True)
    assert await gate.reason(record("sensitive"), EMBEDDER) == "record is tagged 'sensitive'"
    assert not await gate.allows(record("x", "sensitive"), PEER)
    assert await gate.allows(record("x"), PEER)
    with pytest.raises(GateBlocked, match="blocked sending to embedder 'openai/") as caught:
        await gate.require(record("sensitive"), EMBEDDER)
    assert caught.value.destination == str(EMBEDDER)


async def test_the_check_decides_per_destination_sync_or_async() -> None:
    async def only_embedders(r: MemoryRecord, d: Destination) -> bool:
        return d.kind == "embedder"

    for check in (only_embedders, lambda r, d: d.kind == "embedder"):
        gate = BoundaryGate(check)
        assert await gate.allows(record(), EMBEDDER)
        assert await gate.reason(record(), PEER) == "the gate check refused it"


async def test_custom_sensitive_tags() -> None:
    gate = BoundaryGate(sensitive_tags=("pii", "secret"))
    assert not await gate.allows(record("pii"), EMBEDDER)
    assert await gate.allows(record("sensitive"), EMBEDDER)
    assert gate.sensitive_tags == frozenset({"pii", "secret"})


async def test_a_non_bool_answer_is_an_error_not_a_yes() -> None:
    gate = BoundaryGate(lambda r, d: "yes")  # type: ignore[arg-type,return-value]
    with pytest.raises(AgentMemoryError, match="must return a bool, got str"):
        await gate.allows(record(), EMBEDDER)


async def test_an_exception_in_the_check_propagates() -> None:
    def broken(r: MemoryRecord, d: Destination) -> bool:
        raise RuntimeError("policy engine down")

    with pytest.raises(RuntimeError, match="policy engine down"):
        await BoundaryGate(broken).allows(record(), EMBEDDER)


def test_bad_options() -> None:
    with pytest.raises(InvalidRecord, match="check must be callable"):
        BoundaryGate("yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidRecord, match="not a str"):
        BoundaryGate(sensitive_tags="pii")
    with pytest.raises(InvalidRecord, match="non-blank"):
        BoundaryGate(sensitive_tags=("",))
