"""RingBuffer: capacity, byte budget, order, stats, concurrent tasks."""

from __future__ import annotations

import msgspec
import pytest
import trio

from mxp_agents.memory import (
    InvalidRecord,
    MemoryChannel,
    MemoryRecord,
    RingBuffer,
    RingBufferError,
)


def record(text: str) -> MemoryRecord:
    return MemoryRecord(MemoryChannel.INPUT, text)


def test_default_capacity_is_256_and_oldest_go_first() -> None:
    ring = RingBuffer()
    for index in range(300):
        ring.push(record(str(index)))
    assert ring.capacity == 256
    assert len(ring) == 256
    assert [r.payload for r in ring.recent()] == [str(i) for i in range(44, 300)]
    assert [r.payload for r in ring.recent(3)] == ["297", "298", "299"]
    stats = ring.stats()
    assert (stats.records, stats.pushed, stats.evicted, stats.bytes) == (256, 300, 44, 0)


def test_recent_bounds() -> None:
    ring = RingBuffer(capacity=4)
    assert ring.recent() == []
    ring.push(record("a"))
    assert [r.payload for r in ring.recent(10)] == ["a"]
    assert ring.recent(0) == []
    with pytest.raises(InvalidRecord, match="n must be an int >= 0"):
        ring.recent(-1)


def test_byte_budget_evicts_by_encoded_size() -> None:
    size = len(msgspec.msgpack.encode(record("x" * 100)))
    ring = RingBuffer(capacity=100, max_bytes=size * 3)
    for index in range(5):
        ring.push(record(f"{index}" + "x" * 99))
    assert len(ring) == 3
    stats = ring.stats()
    assert stats.bytes == size * 3
    assert stats.max_bytes == size * 3
    assert stats.evicted == 2


def test_a_record_bigger_than_the_budget_is_refused_and_nothing_changes() -> None:
    ring = RingBuffer(max_bytes=200)
    ring.push(record("small"))
    with pytest.raises(RingBufferError, match=r"more than the ring buffer's whole budget"):
        ring.push(record("x" * 500))
    assert [r.payload for r in ring.recent()] == ["small"]
    with pytest.raises(InvalidRecord, match=r"cannot be encoded: .*object.* - at \$\.payload"):
        ring.push(MemoryRecord(MemoryChannel.INPUT, object()))
    assert len(ring) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity": 0}, "capacity must be an int >= 1"),
        ({"capacity": True}, "capacity must be an int >= 1"),
        ({"max_bytes": 0}, "max_bytes must be an int >= 1"),
        ({"max_bytes": 1.5}, "max_bytes must be an int >= 1"),
    ],
)
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        RingBuffer(**kwargs)  # type: ignore[arg-type]


def test_only_records_go_in() -> None:
    with pytest.raises(InvalidRecord, match="expected a MemoryRecord, got str"):
        RingBuffer().push("text")  # type: ignore[arg-type]


def test_clear_keeps_counting() -> None:
    ring = RingBuffer()
    ring.push(record("a"))
    ring.clear()
    assert (len(ring), ring.stats().evicted, ring.stats().pushed) == (0, 1, 1)


async def test_concurrent_tasks_push_and_read_safely() -> None:
    ring = RingBuffer(capacity=50)

    async def writer(name: str) -> None:
        for index in range(200):
            ring.push(record(f"{name}-{index}"))
            if index % 7 == 0:
                await trio.lowlevel.checkpoint()

    async def reader() -> None:
        for _ in range(100):
            held = ring.recent()
            assert len(held) <= 50
            await trio.lowlevel.checkpoint()

    async with trio.open_nursery() as nursery:
        for name in "abcd":
            nursery.start_soon(writer, name)
        nursery.start_soon(reader)
    stats = ring.stats()
    assert (stats.pushed, stats.records, stats.evicted) == (800, 50, 750)
    for name in "abcd":  # each writer's records stay in its own order
        mine = [int(r.payload.split("-")[1]) for r in ring.recent() if r.payload.startswith(name)]
        assert mine == sorted(mine)
