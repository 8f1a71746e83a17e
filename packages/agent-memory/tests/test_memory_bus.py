"""MemoryBus: ring, journal and index together; recall; the gate before remote embedders."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxp_agents.config import load_section
from mxp_agents.memory import (
    AgentMemoryError,
    Destination,
    EmbeddedVectorStore,
    FileJournal,
    InvalidRecord,
    MemoryBus,
    MemoryChannel,
    MemoryRecord,
    MemorySettings,
    RingBuffer,
    open_memory,
)
from mxp_agents.memory.testing import HashEmbedder

DIMS = 128


def bus_with(
    *, remote: bool = False, journal: FileJournal | None = None, gate: object = None
) -> tuple[MemoryBus, HashEmbedder]:
    embedder = HashEmbedder(DIMS, remote=remote, name="hash" + ("-remote" if remote else ""))
    bus = MemoryBus(
        journal=journal,
        vectors=EmbeddedVectorStore(DIMS),
        embedder=embedder,
        gate=gate,  # type: ignore[arg-type]
    )
    return bus, embedder


async def test_write_goes_to_ring_journal_and_index(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path / "journal") as journal:
        bus, embedder = bus_with(journal=journal)
        first = await bus.write(
            MemoryRecord(
                MemoryChannel.INPUT,
                "the spare key is under the blue flower pot",
                run_id="r1",
                step=0,
                metadata={"who": "ann"},
            )
        )
        second = await bus.write(MemoryRecord(MemoryChannel.TOOL, {"n": 1}, run_id="r1", step=1))
        third = await bus.write(MemoryRecord(MemoryChannel.OUTPUT, "trains leave at noon"))
        assert (first.offset, second.offset, third.offset) == (0, 1, 2)
        assert (first.indexed, second.indexed, third.indexed) == (True, False, True)
        assert embedder.texts == 2  # the tool record is not indexed by default
        assert [r.channel for r in bus.recent()] == [
            MemoryChannel.INPUT,
            MemoryChannel.TOOL,
            MemoryChannel.OUTPUT,
        ]
        matches = await bus.recall("where is the spare key?", top_k=1)
        assert [m.id for m in matches] == [str(first.record.id)]
        metadata = matches[0].metadata
        assert metadata["text"] == "the spare key is under the blue flower pot"
        assert (metadata["channel"], metadata["run_id"], metadata["step"], metadata["who"]) == (
            "input",
            "r1",
            0,
            "ann",
        )
        assert [e.offset for e in await bus.run("r1")] == [0, 1]
        only_output = await bus.recall("where is the spare key?", channel="output")
        assert [m.id for m in only_output] == [str(third.record.id)]
        assert await bus.recall("key", run_id="nope") == []


async def test_records_with_their_own_embedding_skip_the_embedder() -> None:
    bus, embedder = bus_with()
    vector = [0.0] * DIMS
    vector[3] = 1.0
    receipt = await bus.write(MemoryRecord(MemoryChannel.INPUT, "x", embedding=tuple(vector)))
    assert receipt.indexed
    assert embedder.calls == 0
    assert [m.id for m in await bus.recall(vector, top_k=1)] == [str(receipt.record.id)]


async def test_sensitive_records_never_reach_a_remote_embedder() -> None:
    bus, embedder = bus_with(remote=True)
    kept = await bus.write(MemoryRecord(MemoryChannel.INPUT, "my pin is 1234", tags=("sensitive",)))
    assert (kept.indexed, kept.blocked) == (False, "record is tagged 'sensitive'")
    assert embedder.texts == 0
    assert bus.recent() == [kept.record]  # kept locally
    sent = await bus.write(MemoryRecord(MemoryChannel.INPUT, "the weather is nice"))
    assert sent.indexed
    assert embedder.texts == 1


async def test_the_gate_check_decides_for_remote_parts_only() -> None:
    asked: list[Destination] = []

    def no(record: MemoryRecord, destination: Destination) -> bool:
        asked.append(destination)
        return False

    remote, _ = bus_with(remote=True, gate=no)
    receipt = await remote.write(MemoryRecord(MemoryChannel.INPUT, "hello"))
    assert (receipt.indexed, receipt.blocked) == (False, "the gate check refused it")
    assert asked == [Destination("embedder", "hash-remote")]
    local, _ = bus_with(gate=no)
    assert (await local.write(MemoryRecord(MemoryChannel.INPUT, "hello"))).indexed
    assert len(asked) == 1  # a local embedder and store keep everything inside: no question


async def test_indexing_failure_says_where_the_record_was_kept(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path / "j") as journal:
        bus = MemoryBus(journal=journal, vectors=EmbeddedVectorStore(4))
        with pytest.raises(InvalidRecord, match=r"expected 4 values, got 2") as caught:
            await bus.write(MemoryRecord(MemoryChannel.INPUT, "x", embedding=(1.0, 2.0)))
        assert "was kept at journal offset 0 before indexing failed" in "".join(
            getattr(caught.value, "__notes__", [])
        )
        assert [e.offset async for e in journal.read()] == [0]


async def test_bad_parts_and_queries() -> None:
    with pytest.raises(InvalidRecord, match="journal must be a Journal"):
        MemoryBus(journal="journal.log")  # type: ignore[arg-type]
    with pytest.raises(InvalidRecord, match="an embedder needs a vector store"):
        MemoryBus(embedder=HashEmbedder(8))
    with pytest.raises(InvalidRecord, match="makes 8-dimensional vectors but the store holds 4"):
        MemoryBus(vectors=EmbeddedVectorStore(4), embedder=HashEmbedder(8))
    with pytest.raises(InvalidRecord, match=r"channel must be one of .* - at \$\.indexed\[1\]"):
        MemoryBus(indexed=("input", "nope"))
    with pytest.raises(InvalidRecord, match="expected a MemoryRecord, got str"):
        await MemoryBus().write("text")  # type: ignore[arg-type]
    with pytest.raises(AgentMemoryError, match="recall needs a vector store"):
        await MemoryBus().recall("x")
    with pytest.raises(AgentMemoryError, match="recall by text needs an embedder"):
        await MemoryBus(vectors=EmbeddedVectorStore(4)).recall("x")
    with pytest.raises(AgentMemoryError, match="reading a run needs a journal"):
        await MemoryBus().run("r1")
    bus = MemoryBus(ring=RingBuffer(capacity=2))
    assert bus.ring.capacity == 2
    assert "RingBuffer(0/2 records)" in repr(bus)


async def test_settings_build_the_bus_and_reopen_it(tmp_path: Path) -> None:
    settings = load_section(
        MemorySettings,
        "memory",
        env={
            "MXP_AGENTS_MEMORY__PATH": str(tmp_path),
            "MXP_AGENTS_MEMORY__VECTORS": "embedded",
            "MXP_AGENTS_MEMORY__DURABILITY": "always",
        },
    )
    embedder = HashEmbedder(DIMS)
    async with open_memory(settings, embedder=embedder) as bus:
        await bus.write(MemoryRecord(MemoryChannel.INPUT, "the spare key is under the pot"))
        assert bus.journal is not None
        assert bus.journal.durability.value == "always"
    async with open_memory(settings, embedder=embedder) as bus:
        assert bus.vectors is not None
        assert await bus.vectors.count() == 1  # the store was saved and reopened
        assert bus.journal is not None
        assert [e.offset async for e in bus.journal.read()] == [0]
        hit = await bus.recall("spare key", top_k=1)
        assert hit[0].metadata["text"] == "the spare key is under the pot"


async def test_settings_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidRecord, match=r"needs postgres_dsn .* - at \$\.memory\.postgres_dsn"):
        async with open_memory(MemorySettings(path=tmp_path, journal="postgres")):
            pass
    with pytest.raises(InvalidRecord, match="needs an embedder or dimensions"):
        async with open_memory(MemorySettings(path=tmp_path, vectors="embedded")):
            pass
    settings = MemorySettings(journal="none", vectors="embedded", dimensions=8, path=tmp_path)
    async with open_memory(settings) as bus:
        assert bus.journal is None
        assert bus.vectors is not None
        assert bus.vectors.dimensions == 8
