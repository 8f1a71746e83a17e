"""SIGKILL crash loop: every append acknowledged before the kill survives, intact."""

from __future__ import annotations

import signal
import sys
import uuid
from pathlib import Path

import pytest
import trio

from mxp_agents.memory import Durability, FileJournal, MemoryChannel, MemoryRecord

WRITER = Path(__file__).with_name("_journal_writer.py")


async def run_and_kill(directory: Path, mode: str, tasks: int, acks: int) -> dict[int, str]:
    """Start the writer, wait for ``acks`` acknowledged appends, SIGKILL it mid-flight."""
    acked: dict[int, str] = {}
    process = await trio.lowlevel.open_process(
        [sys.executable, str(WRITER), str(directory), mode, str(tasks)],
        stdout=-1,  # subprocess.PIPE
    )
    assert process.stdout is not None
    buffer = b""
    try:
        with trio.fail_after(30):
            while len(acked) < acks:
                chunk = await process.stdout.receive_some(65536)
                if not chunk:
                    raise AssertionError(f"the writer exited early with {await process.wait()}")
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    offset, record_id = line.decode().split()
                    acked[int(offset)] = record_id
    finally:
        process.send_signal(signal.SIGKILL)
        with trio.fail_after(10):
            await process.wait()
        await process.stdout.aclose()
    assert process.returncode == -signal.SIGKILL
    return acked


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "tasks"), [("always", 1), ("batch", 6)])
async def test_acknowledged_appends_survive_sigkill(mode: str, tasks: int, tmp_path: Path) -> None:
    directory = tmp_path / "journal"
    acked: dict[int, str] = {}
    for acks in (3, 60, 400, 150):
        round_acks = await run_and_kill(directory, mode, tasks, acks)
        assert not set(round_acks) & set(acked), "an offset was handed out twice"
        acked.update(round_acks)

    async with FileJournal.opened(directory, durability=Durability(mode)) as journal:
        report = journal.recovery
        assert report.next_offset > max(acked)
        found = {entry.offset: entry.record async for entry in journal.read()}
        assert sorted(found) == list(range(report.next_offset)), "offsets have gaps"
        for offset, record_id in acked.items():
            assert offset in found, f"acknowledged offset {offset} was lost"
            assert str(found[offset].id) == record_id, f"offset {offset} holds another record"
        assert await journal.verify() == report.next_offset
        assert report.segments > 1  # rolls happened under the kills too
        record = MemoryRecord(MemoryChannel.INPUT, "after the crashes")
        assert await journal.append(record) == report.next_offset
    async with FileJournal.opened(directory) as journal:
        assert journal.recovery.clean
        last = [entry async for entry in journal.read(start=report.next_offset)]
        assert [entry.record.id for entry in last] == [record.id]
        assert uuid.UUID(acked[max(acked)]) == found[max(acked)].id
