"""FileJournal: torn tails, corruption, retention, the index, reopen, options."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
import trio

from mxp_agents.memory import (
    Durability,
    FileJournal,
    InvalidRecord,
    JournalCorrupted,
    JournalError,
    MemoryChannel,
    MemoryRecord,
    RecoveryReport,
    Retention,
)

T0 = 1_700_000_000.0


def rec(n: int, run: str = "r", at: float | None = None) -> MemoryRecord:
    return MemoryRecord(
        MemoryChannel.INPUT, {"n": n, "pad": "p" * 40}, run_id=run, timestamp=at or T0 + n
    )


async def fill(directory: Path, n: int, *, segment_bytes: int = 2048) -> None:
    async with FileJournal.opened(
        directory, segment_bytes=segment_bytes, durability="none"
    ) as journal:
        for i in range(n):
            await journal.append(rec(i, run=f"run-{i % 4}"))


def segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"))


async def all_entries(journal: FileJournal) -> list[int]:
    return [entry.record.payload["n"] async for entry in journal.read()]


async def test_torn_tail_is_truncated_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await fill(tmp_path, 10, segment_bytes=1 << 20)
    last = segments(tmp_path)[-1]
    size = last.stat().st_size
    os.truncate(last, size - 7)  # cut the last frame in the middle
    (tmp_path / last.name.replace(".seg", ".idx")).unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING, logger="mxp_agents.memory.journal"):
        async with FileJournal.opened(tmp_path) as journal:
            report = journal.recovery
            assert isinstance(report, RecoveryReport)
            assert not report.clean
            assert report.torn_at is not None
            assert report.torn_at.startswith(last.name + "@")
            position = int(report.torn_at.split("@")[1])
            assert report.torn_bytes == size - 7 - position
            assert report.next_offset == 9
            assert await all_entries(journal) == list(range(9))
            assert await journal.append(rec(9)) == 9
    assert "truncated a torn tail" in caplog.text
    assert last.stat().st_size > position


async def test_garbage_after_the_last_frame_is_truncated(tmp_path: Path) -> None:
    await fill(tmp_path, 5, segment_bytes=1 << 20)
    last = segments(tmp_path)[-1]
    size = last.stat().st_size
    with last.open("ab") as file:
        file.write(b"\x00" * 100 + os.urandom(300))
    async with FileJournal.opened(tmp_path) as journal:
        assert journal.recovery.torn_bytes == 400
        assert journal.recovery.torn_at == f"{last.name}@{size}"
        assert await all_entries(journal) == list(range(5))
    async with FileJournal.opened(tmp_path) as journal:
        assert journal.recovery.clean


async def test_corruption_in_the_active_segment_before_valid_frames_is_not_skipped(
    tmp_path: Path,
) -> None:
    await fill(tmp_path, 6, segment_bytes=1 << 20)
    last = segments(tmp_path)[-1]
    (tmp_path / last.name.replace(".seg", ".idx")).unlink()  # as after a crash
    data = bytearray(last.read_bytes())
    data[32 + 20] ^= 0xFF  # inside the first frame's payload
    last.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupted) as caught:
        await FileJournal.open(tmp_path)
    assert caught.value.location == f"{last.name}@32"
    assert "valid records follow" in caught.value.reason
    assert last.stat().st_size == len(data), "a corrupt segment must never be truncated"


async def test_corruption_in_a_sealed_segment_is_reported_with_its_position(tmp_path: Path) -> None:
    await fill(tmp_path, 60)
    first = segments(tmp_path)[0]
    async with FileJournal.opened(tmp_path) as journal:
        ok = [entry async for entry in journal.read(start=0)]
        assert len(ok) == 60
        victim = ok[3]
    data = bytearray(first.read_bytes())
    data[-10] ^= 0x55  # in the segment's last frame
    first.write_bytes(bytes(data))
    async with FileJournal.opened(tmp_path) as journal:
        seen: list[int] = []

        async def read_all() -> None:
            async for entry in journal.read():
                seen.append(entry.offset)

        with pytest.raises(JournalCorrupted) as caught:
            await read_all()
        assert caught.value.location.startswith(first.name + "@")
        assert seen == list(range(len(seen)))  # the entries before the damage came out
        assert len(seen) >= 4
        with pytest.raises(JournalCorrupted) as verified:
            await journal.verify()
        assert verified.value.location == caught.value.location
        later = [entry.offset async for entry in journal.read(start=victim.offset + 30)]
        assert later == list(range(victim.offset + 30, 60))


async def test_a_sealed_segment_without_index_is_rebuilt_or_refused(tmp_path: Path) -> None:
    await fill(tmp_path, 60)
    first = segments(tmp_path)[0]
    first.with_suffix(".idx").unlink()
    async with FileJournal.opened(tmp_path) as journal:
        assert journal.recovery.segments_scanned == 1  # the rest load their index
        assert await all_entries(journal) == list(range(60))
    assert first.with_suffix(".idx").exists()
    first.with_suffix(".idx").unlink()
    data = bytearray(first.read_bytes())
    data[40] ^= 1
    first.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupted, match=first.name + "@32"):
        await FileJournal.open(tmp_path)


async def test_reading_one_run_opens_only_its_segments(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path, segment_bytes=2048, durability="none") as journal:
        for i in range(40):
            await journal.append(rec(i, run="early"))
        for i in range(40, 80):
            await journal.append(rec(i, run="late"))
        stats = journal.stats()
        assert stats.segments > 3
        before = journal.stats().segment_opens
        late = [entry.offset async for entry in journal.read(run_id="late")]
        assert late == list(range(40, 80))
        late_segments = journal.stats().segment_opens - before
        assert late_segments < stats.segments - 1
        ranged = [e.offset async for e in journal.read(since=T0 + 70, until=T0 + 75)]
        assert ranged == list(range(70, 75))
    # Damage a segment holding only "early" records: reading "late" never touches it.
    first = segments(tmp_path)[0]
    data = bytearray(first.read_bytes())
    data[-5] ^= 0xFF
    first.write_bytes(bytes(data))
    async with FileJournal.opened(tmp_path) as journal:
        assert [e.offset async for e in journal.read(run_id="late")] == list(range(40, 80))
        with pytest.raises(JournalCorrupted):
            [e async for e in journal.read(run_id="early")]


async def test_retention_by_bytes_removes_whole_old_segments(tmp_path: Path) -> None:
    limit = 6000
    async with FileJournal.opened(
        tmp_path, segment_bytes=2048, durability="none", retention=Retention(max_bytes=limit)
    ) as journal:
        for i in range(200):
            await journal.append(rec(i))
        stats = journal.stats()
        assert stats.bytes <= limit + 2048
        assert stats.first_offset > 0
        assert stats.next_offset == 200
        offsets = [entry.offset async for entry in journal.read()]
        assert offsets == list(range(stats.first_offset, 200))  # never renumbered
    assert sum(p.stat().st_size for p in segments(tmp_path)) <= limit + 2048
    async with FileJournal.opened(tmp_path) as journal:
        assert journal.recovery.first_offset == stats.first_offset
    indexes = {p.stem for p in tmp_path.glob("*.idx")}  # noqa: ASYNC240 - a test's small listing
    assert indexes <= {p.stem for p in segments(tmp_path)}


async def test_retention_by_age_uses_record_timestamps(tmp_path: Path) -> None:
    day = 86400.0
    now = time.time()
    base = now - 2.5 * day  # 30 records on each of three days: 2.5, 1.5 and 0.5 days ago
    retention = Retention(max_age=2 * day)
    async with FileJournal.opened(
        tmp_path, segment_bytes=2048, durability="none", retention=retention
    ) as journal:
        for i in range(90):
            await journal.append(rec(i, at=base + (i // 30) * day))
        first = journal.stats().first_offset  # removed after each seal: day-0-only segments
        assert 0 < first <= 30
        kept = [entry async for entry in journal.read()]
        assert [e.offset for e in kept] == list(range(first, 90))
        mixed = [e for e in kept if e.record.timestamp < now - 2 * day]
        assert all(e.offset < 30 for e in mixed)  # only day-0 records sharing a day-1 segment
        assert await journal.apply_retention() == 0
        # Two days later everything sealed is too old; the active segment always stays.
        removed = await journal.apply_retention(now=now + 2 * day)
        assert removed > 0
        stats = journal.stats()
        assert stats.segments == 1
        assert stats.first_offset > 30
        assert stats.next_offset == 90
        assert await journal.append(rec(90, at=now)) == 90


async def test_reopen_after_many_segments_loads_indexes(tmp_path: Path) -> None:
    await fill(tmp_path, 2000)
    count = len(segments(tmp_path))
    assert count > 50
    async with FileJournal.opened(tmp_path, segment_bytes=2048) as journal:
        report = journal.recovery
        assert report.segments == count
        assert report.records == 2000
        assert report.indexes_loaded == count
        assert report.segments_scanned == 0
        assert await journal.verify() == 2000
        assert [e.offset async for e in journal.read(run_id="run-3", start=1990)] == [
            1991,
            1995,
            1999,
        ]


async def test_a_directory_is_opened_once(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path):
        with pytest.raises(JournalError, match="already open"):
            await FileJournal.open(tmp_path)
    async with FileJournal.opened(tmp_path) as journal:
        assert journal.recovery.clean


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"durability": "sometimes"}, "$.durability"),
        ({"segment_bytes": 10}, "$.segment_bytes"),
        ({"segment_bytes": True}, "$.segment_bytes"),
        ({"retention": {"max_bytes": 1}}, "$.retention"),
        ({"batch_delay": -1}, "$.batch_delay"),
        ({"batch_delay": 5}, "$.batch_delay"),
    ],
)
async def test_bad_options_are_refused(
    kwargs: dict[str, object], path: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidRecord) as caught:
        await FileJournal.open(tmp_path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.path == path
    assert not list(tmp_path.iterdir())  # noqa: ASYNC240 - nothing was created


async def test_flush_and_stats_under_none(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path, durability=Durability.NONE) as journal:
        await journal.append(rec(0))
        assert journal.stats().durable_offset == 0
        await journal.flush()
        assert journal.stats().durable_offset == 1
        assert "next_offset=1" in repr(journal)


async def test_cancelled_appends_leave_no_gap(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path, durability="batch") as journal:
        with trio.CancelScope() as scope:
            scope.cancel()
            await journal.append(rec(0))
        assert await journal.append(rec(1)) == 0
        assert [e.record.payload["n"] async for e in journal.read()] == [1]
