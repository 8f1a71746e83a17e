"""Config key paths: tuples of field names, shown as ``$.kernel.workers`` or ``kernel.workers``."""

from __future__ import annotations

__all__ = ["KeyPath", "dotted", "join", "render"]

KeyPath = tuple[str, ...]


def render(path: KeyPath) -> str:
    """The path as it appears in errors.

    Example:
        >>> render(("kernel", "workers"))
        '$.kernel.workers'
    """
    return "$" + "".join(f".{part}" for part in path)


def join(path: KeyPath, relative: str) -> str:
    """``path`` followed by a msgspec-style relative path such as ``$[1]`` or ``$.name``.

    Example:
        >>> join(("kernel", "ports"), "$[1]")
        '$.kernel.ports[1]'
    """
    return render(path) + relative.removeprefix("$")


def dotted(path: KeyPath) -> str:
    """The path as a dotted key, the form overrides and `ExplainedConfig` use.

    Example:
        >>> dotted(("kernel", "workers"))
        'kernel.workers'
    """
    return ".".join(path)
