"""Reading text files confined to one folder: no absolute paths, no ``..``, no symlinks out."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Final

from mxp_agents.cli._errors import ToolInputError

__all__ = ["DEFAULT_MAX_BYTES", "read_confined", "resolve_confined"]

DEFAULT_MAX_BYTES: Final = 64 * 1024
"""Largest file `read_confined` returns, in bytes."""
_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
"""No symlink at the last step; a FIFO opens at once (then is refused) instead of blocking."""


def resolve_confined(root: Path, relative: str) -> Path:
    """The real path of ``relative`` inside ``root``, refusing anything that escapes it.

    Refused: empty paths, absolute paths (``/etc/passwd``, ``C:\\x``, ``\\\\server\\share``),
    any ``..`` component, NUL bytes, and paths whose real location (all symlinks followed)
    lies outside the real ``root``. Symlinks that stay inside ``root`` are fine.

    Example:
        >>> resolve_confined(Path("/srv/docs"), "../etc/passwd")
        Traceback (most recent call last):
        ...
        mxp_agents.cli._errors.ToolInputError: the path '../etc/passwd' leaves the folder ...
    """
    if not relative or "\x00" in relative:
        raise ToolInputError("give a relative file path like 'notes/todo.txt'")
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise ToolInputError(
            f"the path {relative!r} is absolute; give a path relative to the folder"
        )
    if ".." in posix.parts or ".." in windows.parts:
        raise ToolInputError(f"the path {relative!r} leaves the folder ('..' is not allowed)")
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(real_root / relative))
    if not real.is_relative_to(real_root):
        raise ToolInputError(
            f"the path {relative!r} leaves the folder (it resolves outside it through a symlink)"
        )
    return real


def read_confined(root: Path, relative: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of the file ``relative`` inside ``root`` (UTF-8; bad bytes replaced).

    Besides the checks of `resolve_confined`: the file must exist, be a regular file and hold
    at most ``max_bytes`` bytes. The resolved file is opened without following a symlink, so a
    link swapped in after the check is refused too.

    Example:
        >>> read_confined(Path("/srv/docs"), "hello.txt")
        'Hello, MXP!\\n'
    """
    real = resolve_confined(root, relative)
    try:
        descriptor = os.open(real, _OPEN_FLAGS)
    except FileNotFoundError:
        raise ToolInputError(f"no file {relative!r} in the folder") from None
    except OSError as error:
        raise ToolInputError(f"cannot open {relative!r}: {error.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ToolInputError(f"{relative!r} is not a regular file")
        if info.st_size > max_bytes:
            raise ToolInputError(
                f"{relative!r} has {info.st_size} bytes; at most {max_bytes} can be read"
            )
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        raise ToolInputError(f"{relative!r} has more than {max_bytes} bytes")
    return data.decode("utf-8", errors="replace")
