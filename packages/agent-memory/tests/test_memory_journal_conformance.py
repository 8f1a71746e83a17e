"""The Journal conformance suite, run against `FileJournal` in each durability mode."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest

from mxp_agents.memory import Durability, FileJournal, MemoryRecord
from mxp_agents.memory.testing._journal_suite import (
    JOURNAL_CHECKS,
    JournalConformanceFailure,
    journal_check_names,
    run_journal_check,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

MODES = [Durability.NONE, Durability.BATCH, Durability.ALWAYS]


@pytest.mark.parametrize("mode", MODES, ids=[mode.value for mode in MODES])
@pytest.mark.parametrize("name", journal_check_names())
async def test_file_journal_conformance(name: str, mode: Durability, tmp_path: Path) -> None:
    # Small segments so that the checks also cross segment boundaries.
    await run_journal_check(
        name,
        lambda: FileJournal.opened(tmp_path / "journal", durability=mode, segment_bytes=2048),
    )


def test_every_check_is_described() -> None:
    assert journal_check_names() == list(JOURNAL_CHECKS)
    assert all(check.description for check in JOURNAL_CHECKS.values())


async def test_unknown_check_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="no journal check 'nope'"):
        await run_journal_check("nope", lambda: FileJournal.opened(tmp_path))


class SkippingJournal(FileJournal):
    """A broken backend: every odd offset is followed by an extra copy of the record."""

    async def append(self, record: MemoryRecord) -> int:
        offset = await super().append(record)
        if offset % 2:
            await super().append(record)
        return offset


@contextlib.asynccontextmanager
async def skipping(directory: Path) -> AsyncIterator[FileJournal]:
    journal = await SkippingJournal.open(directory, durability="none")
    try:
        yield journal
    finally:
        await journal.aclose()


async def test_a_broken_journal_fails_the_suite(tmp_path: Path) -> None:
    """The suite can fail: a journal whose offsets skip does not pass."""
    with pytest.raises(JournalConformanceFailure, match="offsets_contiguous: offsets"):
        await run_journal_check("offsets_contiguous", lambda: skipping(tmp_path / "j"))
