"""Benchmark of the file journal: appends/s per durability mode and reopen time.

Each figure is the median of several runs and comes with a baseline measured in the same
process: raw ``os.write`` of the same encoded frames (NONE), the same plus one ``fdatasync``
per 64 frames shared by 64 writers (BATCH), write + ``fdatasync`` per frame (ALWAYS).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

from mxp_agents.memory import Durability, MemoryChannel, MemoryRecord
from mxp_agents.memory._file import FileJournal
from mxp_agents.memory._file._format import FrameEncoder

WRITERS = 64


def _records(n: int) -> list[MemoryRecord]:
    return [
        MemoryRecord(
            MemoryChannel.TOOL,
            {"text": f"tool result number {i}", "value": i},
            tags=("bench",),
            run_id=f"run-{i % 100}",
            step=i,
        )
        for i in range(n)
    ]


async def _journal_rate(
    path: Path, mode: Durability, records: list[MemoryRecord], writers: int
) -> float:
    shutil.rmtree(path, ignore_errors=True)
    async with FileJournal.opened(path, durability=mode) as journal:
        share = len(records) // writers

        async def writer(part: list[MemoryRecord]) -> None:
            for record in part:
                await journal.append(record)

        started = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for w in range(writers):
                nursery.start_soon(writer, records[w * share : (w + 1) * share])
        elapsed = time.perf_counter() - started
    return share * writers / elapsed


def _raw_rate(path: Path, frames: list[bytes], sync_every: int) -> float:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    fd = os.open(path / "raw", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        started = time.perf_counter()
        for i, frame in enumerate(frames, 1):
            os.write(fd, frame)
            if sync_every and i % sync_every == 0:
                os.fdatasync(fd)
        return len(frames) / (time.perf_counter() - started)
    finally:
        os.close(fd)


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


async def _reopen(path: Path, count: int) -> tuple[float, float, float]:
    """Seconds to reopen ``count`` records after a clean close and after a crash."""
    shutil.rmtree(path, ignore_errors=True)
    records = _records(10_000)
    async with FileJournal.opened(path, durability="none", segment_bytes=16 << 20) as journal:
        for i in range(count):
            await journal.append(records[i % len(records)])
    started = time.perf_counter()
    async with FileJournal.opened(path) as journal:
        clean = time.perf_counter() - started
        assert journal.recovery.next_offset == count
    _drop_last_index(path)
    started = time.perf_counter()
    async with FileJournal.opened(path) as journal:
        crashed = time.perf_counter() - started
        one_run = time.perf_counter()
        found = [entry async for entry in journal.read(run_id="run-7")]
        one_run = time.perf_counter() - one_run
        assert len(found) == count // 100
    return clean, crashed, one_run


def _drop_last_index(path: Path) -> None:
    """As after a crash: the active segment has no saved index, so reopening scans it."""
    sorted(path.glob("*.idx"))[-1].unlink()


def measure(*, quick: bool) -> dict[str, Any]:
    """Figures for `scripts/bench/memory.py` (see the module docstring)."""
    repeat = 3 if quick else 5
    n_none = 20_000 if quick else 200_000
    n_sync = 6_400 if quick else 64_000
    n_always = 1_280 if quick else 12_800
    n_reopen = 100_000 if quick else 1_000_000
    root = Path(tempfile.mkdtemp(prefix="mxp-journal-bench-"))
    encoder = FrameEncoder()
    try:
        rows: list[list[Any]] = []
        figures: dict[str, Any] = {}
        cases = [
            ("none", Durability.NONE, n_none, 1, 0),
            ("batch", Durability.BATCH, n_sync, WRITERS, WRITERS),
            ("always", Durability.ALWAYS, n_always, WRITERS, 1),
        ]
        for name, mode, n, writers, sync_every in cases:
            records = _records(n)
            frames = [bytes(encoder.encode(r)) for r in records]
            ours = _median(
                [
                    trio.run(_journal_rate, root / name, mode, records, writers)
                    for _ in range(repeat)
                ]
            )
            base = _median([_raw_rate(root / "raw", frames, sync_every) for _ in range(repeat)])
            baseline = "os.write" + ("" if not sync_every else f" + fdatasync/{sync_every}")
            rows.append(
                [
                    f"append ({name}, {writers} task(s))",
                    round(ours),
                    baseline,
                    round(base),
                    round(ours / base, 2),
                ]
            )
            figures[f"appends_per_s_{name}"] = ours
            figures[f"baseline_per_s_{name}"] = base
        clean, crashed, one_run = trio.run(_reopen, root / "reopen", n_reopen)
        rows.append([f"reopen {n_reopen:,} records (clean close), s", round(clean, 3), "", "", ""])
        rows.append(
            [f"reopen {n_reopen:,} records (after crash), s", round(crashed, 3), "", "", ""]
        )
        rows.append(
            [f"read one run of 100 ({n_reopen // 100:,} records), s", round(one_run, 3), "", "", ""]
        )
        figures.update(
            reopen_clean_s=clean,
            reopen_crash_s=crashed,
            read_one_run_s=one_run,
            reopen_records=n_reopen,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "title": "File journal (FileJournal): appends/s by durability, reopen",
        "header": ["operation", "ours", "baseline", "baseline figure", "ratio"],
        "rows": rows,
        "json": figures,
        "goals": [
            (">= 100,000 appends/s (none)", figures["appends_per_s_none"] >= 100_000),
            (">= 20,000 appends/s (batch, 64 tasks)", figures["appends_per_s_batch"] >= 20_000),
        ],
    }


if __name__ == "__main__":
    import sys

    result = measure(quick="--quick" in sys.argv)
    print(result["title"])
    for row in result["rows"]:
        print("  ", row)
    for goal, ok in result["goals"]:
        print("  ", goal, "met" if ok else "NOT met")
