"""File plumbing shared by the audit log and the outbox: an exclusive ``flock``, directory
fsync, and group commit (one ``fdatasync`` serves every append waiting for it)."""

from __future__ import annotations

import fcntl
import os
from typing import TYPE_CHECKING

import trio

from mxp_agents.policy._errors import AuditError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["GroupCommit", "fsync_directory", "lock_file", "write_all"]


def lock_file(path: Path, what: str) -> int:
    """Open ``path`` (created if missing) for appending and take an exclusive ``flock``;
    raise `AuditError` when another process or another open object holds it.

    Example:
        >>> fd = lock_file(Path("audit.log"), "audit log")  # doctest: +SKIP
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    except OSError as problem:
        raise AuditError(f"cannot open {what} {str(path)!r}: {problem}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AuditError(f"{what} {str(path)!r} is already open (locked by a writer)") from None
    if created:
        fsync_directory(path.parent)
    return fd


def fsync_directory(directory: Path) -> None:
    """Make the names in ``directory`` (a new or renamed file) durable.

    Example:
        >>> fsync_directory(Path("."))
    """
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` at the end of ``fd`` (``O_APPEND``).

    A direct write: it copies into the page cache and does not wait for the disk, so it is
    kept on the trio thread, where it also keeps appends in order without a lock.

    Example:
        >>> write_all(fd, b"line\\n")  # doctest: +SKIP
    """
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class GroupCommit:
    """Durability of appends to one file: `commit(n)` returns once the first ``n`` bytes are
    on stable storage. While one ``fdatasync`` runs (in a worker thread), later appends queue
    behind it and the next ``fdatasync`` covers all of them.

    Example:
        >>> commit = GroupCommit(fd, "audit.log", written=0)
        >>> await commit.commit(128)  # doctest: +SKIP
    """

    def __init__(self, fd: int, name: str, *, written: int) -> None:
        self.fd = fd
        self.name = name
        self.written = written
        self.synced = written
        self.failed: OSError | None = None
        self._lock = trio.Lock()

    def check(self) -> None:
        """Raise `AuditError` when an earlier write or fsync failed (durability unknown).

        Example:
            >>> commit.check()  # doctest: +SKIP
        """
        if self.failed is not None:
            raise AuditError(
                f"{self.name}: an earlier write or fsync failed ({self.failed}); "
                "reopen it to recover"
            )

    async def commit(self, upto: int) -> None:
        """Return once bytes ``[0, upto)`` are durable.

        Example:
            >>> await commit.commit(commit.written)  # doctest: +SKIP
        """
        while self.synced < upto:
            self.check()
            async with self._lock:
                if self.synced >= upto:
                    return
                target = self.written
                try:
                    await trio.to_thread.run_sync(os.fdatasync, self.fd)
                except OSError as error:
                    self.failed = error  # the page cache state is unknown after a failed fsync
                    raise AuditError(f"fsync of {self.name} failed: {error}") from None
                self.synced = max(self.synced, target)
