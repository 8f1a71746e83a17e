"""One process per store directory: an exclusive ``flock`` on its ``LOCK`` file."""

from __future__ import annotations

import fcntl
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from mxp_agents.memory._errors import AgentMemoryError

__all__ = ["lock_directory", "unlock"]


def lock_directory(directory: Path, what: str, error: type[AgentMemoryError]) -> int:
    """Take ``directory``'s lock (creating the directory) and return its fd; raise ``error``
    naming ``what`` when another process (or another open store) holds it. Blocking, but only
    a mkdir, an open and a non-blocking flock.

    Example:
        >>> fd = lock_directory(Path("memory/vectors"), "vector store", VectorStoreError)
        >>> unlock(fd)
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as problem:
        raise error(f"cannot use {what} directory {str(directory)!r}: {problem}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise error(f"{what} {str(directory)!r} is already open (LOCK is held)") from None
    return fd


def unlock(fd: int) -> None:
    """Release a lock taken by `lock_directory`.

    Example:
        >>> unlock(fd)  # doctest: +SKIP
    """
    os.close(fd)
