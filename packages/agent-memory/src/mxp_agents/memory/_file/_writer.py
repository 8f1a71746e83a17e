"""The write side of a file journal: framing, writing, group commit and segment rolls.

Appends are serialized by trio itself: between the size check and ``os.write`` there is no
checkpoint, so a frame is written whole, at the offset recorded for it, with no lock on the hot
path. Rolls to a new segment and fsyncs hold ``_sync_lock`` (one at a time); appenders that find
a roll under way wait for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import trio

from mxp_agents.memory._errors import JournalClosed, JournalError
from mxp_agents.memory._file._format import SEGMENT_HEADER, FrameEncoder
from mxp_agents.memory._file._recovery import create_segment
from mxp_agents.memory._journal_api import Durability

if TYPE_CHECKING:
    from pathlib import Path

    from mxp_agents.memory._file._segment import Segment
    from mxp_agents.memory._record import MemoryRecord

__all__ = ["Writer"]

_YIELD_EVERY = 16  # appends under NONE between full schedule points


class Writer:
    """Appends frames to the active segment and makes them as durable as the mode promises."""

    def __init__(
        self,
        directory: Path,
        segments: list[Segment],
        *,
        durability: Durability,
        segment_bytes: int,
        batch_delay: float,
    ) -> None:
        self.directory = directory
        self.segments = segments
        self.durability = durability
        self.segment_bytes = segment_bytes
        self.batch_delay = batch_delay
        self.rolls = 0  # segments sealed since open (the journal applies retention after one)
        self._encoder = FrameEncoder()
        self.active = segments[-1]
        self._fd = os.open(self.active.path, os.O_WRONLY | os.O_APPEND)
        self.next_offset: int = self.active.end_offset
        self.synced: int = self.next_offset  # every offset below this is on stable storage
        self._sync_lock = trio.Lock()
        self._rolling: trio.Event | None = None
        self._committing: trio.Event | None = None
        self._unyielded = 0
        self.closed = False
        self.failed: BaseException | None = None

    def check(self) -> None:
        """Raise if the journal can no longer be written."""
        if self.closed:
            raise JournalClosed("the journal is closed")
        if self.failed is not None:
            raise JournalError(f"the journal failed earlier and refuses writes: {self.failed}")

    async def append(self, record: MemoryRecord) -> int:
        if self.closed or self.failed is not None:
            self.check()
        frame = self._encoder.encode(record)
        await trio.lowlevel.checkpoint_if_cancelled()
        while self._rolling is not None or (
            self.active.size + len(frame) > self.segment_bytes and self.active.count > 0
        ):
            if self._rolling is not None:
                await self._rolling.wait()
            else:
                await self._roll()
            self.check()
        offset = self._write(frame, record)
        if self.durability is Durability.NONE:
            self._unyielded += 1
            if self._unyielded >= _YIELD_EVERY:
                self._unyielded = 0
                await trio.lowlevel.cancel_shielded_checkpoint()
            return offset
        await self.commit(offset, self.batch_delay if self.durability is Durability.BATCH else 0.0)
        return offset

    def _write(self, frame: bytearray, record: MemoryRecord) -> int:
        # A synchronous write of one small frame into the page cache (a few µs): going through
        # a thread would cost ~100x more and would open a window where two frames interleave.
        position = self.active.size
        try:
            written = os.write(self._fd, frame)
            if written != len(frame):  # a short write (disk full, a signal): finish or fail
                view = memoryview(frame)[written:]
                while view:
                    view = view[os.write(self._fd, view) :]
        except OSError as error:
            self._undo(position, error)
            raise JournalError(f"cannot write to {self.active.name}: {error}") from None
        offset = self.next_offset
        self.active.add(position, record.run_id, record.timestamp)
        self.active.size = position + len(frame)
        self.next_offset = offset + 1
        return offset

    def _undo(self, position: int, error: OSError) -> None:
        try:
            os.ftruncate(self._fd, position)  # drop a partial frame so later ones stay readable
        except OSError:
            self.failed = error

    async def commit(self, offset: int, delay: float) -> None:
        """Return once ``offset`` is on stable storage; one fsync serves every waiter."""
        while self.synced <= offset:
            if self.failed is not None:
                raise JournalError(f"fsync failed; durability is unknown: {self.failed}")
            if self._committing is not None:
                await self._committing.wait()
                continue
            done = self._committing = trio.Event()
            try:
                if delay > 0:
                    await self._gather(delay)
                async with self._sync_lock:
                    await self._sync()
            finally:
                self._committing = None
                done.set()

    async def _gather(self, delay: float) -> None:
        """Let concurrent appenders write (until they stop or ``delay`` passes) before fsync."""
        deadline = trio.current_time() + delay
        while trio.current_time() < deadline:
            seen = self.next_offset
            await trio.lowlevel.checkpoint()
            if self.next_offset == seen:
                return

    async def _sync(self) -> None:
        target, fd = self.next_offset, self._fd
        if self.synced >= target:
            return
        if self.closed:
            raise JournalClosed("the journal was closed before this append became durable")
        try:
            await trio.to_thread.run_sync(os.fdatasync, fd)
        except OSError as error:
            self.failed = error  # after a failed fsync the page cache state is unknown
            raise JournalError(f"fsync of {self.active.name} failed: {error}") from None
        self.synced = max(self.synced, target)

    async def _roll(self) -> None:
        """Seal the active segment (fsync, save its index) and start the next one."""
        self._rolling = rolling = trio.Event()
        try:
            async with self._sync_lock:
                with trio.CancelScope(
                    shield=True
                ):  # a bounded disk operation; state must stay whole
                    old, fd = self.active, self._fd
                    base = self.next_offset
                    new, new_fd = await trio.to_thread.run_sync(
                        self._seal_and_create, old, fd, base
                    )
                    old.sealed = True
                    self.segments.append(new)
                    self.active, self._fd = new, new_fd
                    self.synced = max(self.synced, base)
        finally:
            self._rolling = None
            rolling.set()
        self.rolls += 1

    def _seal_and_create(self, old: Segment, fd: int, base: int) -> tuple[Segment, int]:
        try:
            os.fdatasync(fd)
            old.save_index()
            new = create_segment(self.directory, base)
            new_fd = os.open(new.path, os.O_WRONLY | os.O_APPEND)
        except OSError as error:
            self.failed = error
            raise JournalError(f"cannot roll to a new segment after {old.name}: {error}") from None
        os.close(fd)
        return new, new_fd

    async def aclose(self) -> None:
        """Wait for a roll, fsync, save the active segment's index (fast reopen), close."""
        if self.closed:
            return
        while self._rolling is not None:
            await self._rolling.wait()
        self.closed = True
        with trio.CancelScope(shield=True):
            async with self._sync_lock:
                await trio.to_thread.run_sync(self._close_files)

    def _close_files(self) -> None:
        try:
            if self.failed is None:
                os.fdatasync(self._fd)
                self.synced = self.next_offset
                if self.active.size > SEGMENT_HEADER:
                    self.active.save_index()
        finally:
            os.close(self._fd)
