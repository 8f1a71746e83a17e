"""`HashChainLog`: the local append-only audit log; every entry carries the SHA-256 of the
previous one, so `verify` finds any edited, removed, inserted or reordered entry."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Self

import trio

from mxp_agents.policy._audit._chain_format import GENESIS, digest, encode_entry, parse_line
from mxp_agents.policy._audit._durable import GroupCommit, lock_file, write_all
from mxp_agents.policy._errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from mxp_agents.policy._audit_api import AuditEvent

__all__ = ["HashChainLog"]

_log = logging.getLogger("mxp_agents.policy.audit")
_CHUNK = 1 << 16


class HashChainLog:
    """An `AuditSink` writing one hash-chained JSON line per event to ``path``.

    ``record`` returns once the line is on stable storage (``sync=True``, the default: one
    ``fdatasync`` shared by concurrent appends) or in the OS page cache (``sync=False``: a
    process crash loses nothing, a power loss may). Reopening continues the chain; a torn last
    line left by a crash (an append that never returned) is cut off and reported in
    ``recovered_torn_bytes``. One writer at a time (``flock``); a damaged last entry refuses
    to open (run `verify`).

    Example:
        >>> async with HashChainLog("state/audit.log") as log:
        ...     await log.record(AuditEvent.of(request, PolicyDecision.deny("no"), timestamp=0.0))
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.sync = sync
        self.recovered_torn_bytes = 0
        self._clock = clock
        self._commit: GroupCommit | None = None
        self._seq = 0
        self._prev = GENESIS

    @property
    def next_seq(self) -> int:
        """The ``seq`` the next entry gets (the number of entries so far).

        Example:
            >>> log.next_seq  # doctest: +SKIP
            0
        """
        return self._seq

    @property
    def head(self) -> str:
        """SHA-256 of the last line (`GENESIS` when empty): keep it elsewhere to anchor the log.

        Example:
            >>> len(log.head)  # doctest: +SKIP
            64
        """
        return self._prev

    async def open(self) -> Self:
        """Open (or create) the log, cut a torn tail, and find where the chain continues.

        Example:
            >>> log = await HashChainLog("audit.log").open()  # doctest: +SKIP
        """
        if self._commit is not None:
            raise AuditError(f"audit log {str(self.path)!r} is already open")
        fd = await trio.to_thread.run_sync(lock_file, self.path, "audit log")
        try:
            size, torn, last = await trio.to_thread.run_sync(_recover, fd)
            if last is not None:
                self._seq, self._prev = self._continue_after(last)
        except BaseException:
            os.close(fd)
            raise
        if torn:
            self.recovered_torn_bytes = torn
            _log.warning(
                "audit log %s: cut a torn last line of %d bytes (an append interrupted by a "
                "crash, never acknowledged)",
                self.path,
                torn,
            )
        self._commit = GroupCommit(fd, str(self.path), written=size)
        return self

    async def append(self, event: AuditEvent) -> int:
        """Append ``event`` and return its ``seq`` once durable (see ``sync``).

        Example:
            >>> await log.append(event)  # doctest: +SKIP
            0
        """
        commit = self._opened()
        commit.check()
        seq = self._seq
        line = encode_entry(seq, self._clock(), event, self._prev)
        try:
            write_all(commit.fd, line + b"\n")
        except OSError as error:
            try:
                os.ftruncate(commit.fd, commit.written)  # drop a partial line
            except OSError:
                commit.failed = error
            raise AuditError(f"cannot append to audit log {str(self.path)!r}: {error}") from None
        self._seq, self._prev = seq + 1, digest(line)
        commit.written += len(line) + 1
        if self.sync:
            await commit.commit(commit.written)
        return seq

    async def record(self, event: AuditEvent) -> None:
        """`AuditSink.record`: `append` ``event``.

        Example:
            >>> await log.record(event)  # doctest: +SKIP
        """
        await self.append(event)

    async def aclose(self) -> None:
        """Flush (``fdatasync``) and close; idempotent.

        Example:
            >>> await log.aclose()  # doctest: +SKIP
        """
        commit, self._commit = self._commit, None
        if commit is None:
            return
        try:
            if commit.failed is None:
                await trio.to_thread.run_sync(os.fdatasync, commit.fd)
        finally:
            os.close(commit.fd)

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _continue_after(self, last: bytes) -> tuple[int, str]:
        parsed = parse_line(last)
        if parsed.entry is None or not parsed.hash_ok:
            why = parsed.problem or "its hash does not match its content"
            raise AuditError(
                f"audit log {str(self.path)!r}: the last entry is damaged ({why}); "
                f"run 'mxp-agents audit verify {self.path}'"
            )
        return parsed.entry.seq + 1, digest(last)

    def _opened(self) -> GroupCommit:
        if self._commit is None:
            raise AuditError(f"audit log {str(self.path)!r} is not open; use 'async with'")
        return self._commit


def _recover(fd: int) -> tuple[int, int, bytes | None]:
    """(size after cutting a torn tail, torn bytes cut, the last complete line or None)."""
    size = os.fstat(fd).st_size
    end, torn = size, 0
    if size and os.pread(fd, 1, size - 1) != b"\n":
        cut = _last_newline(fd, size) + 1
        torn, end = size - cut, cut
        os.ftruncate(fd, end)
        os.fdatasync(fd)
    if end == 0:
        return 0, torn, None
    start = _last_newline(fd, end - 1) + 1
    return end, torn, os.pread(fd, end - 1 - start, start)


def _last_newline(fd: int, before: int) -> int:
    """Position of the last ``\\n`` in ``[0, before)``, -1 when none."""
    position = before
    while position > 0:
        start = max(0, position - _CHUNK)
        found = os.pread(fd, position - start, start).rfind(b"\n")
        if found >= 0:
            return start + found
        position = start
    return -1
