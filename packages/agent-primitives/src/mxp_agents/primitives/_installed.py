"""Finding files shipped inside installed packages, without importing those packages."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

__all__ = ["installed_file", "package_dirs"]


def package_dirs(package: str) -> list[Path]:
    """The directories of the installed top-level ``package`` ([] when it is not installed).

    ``find_spec`` locates a package without running its ``__init__``, which matters for
    packages installed ``--no-deps`` whose ``__init__`` imports what was left out.

    Example:
        >>> package_dirs("no_such_package_here")
        []
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(location) for location in spec.submodule_search_locations]


def installed_file(package: str, relative: str, *, distribution: str | None = None) -> Path | None:
    """The file ``relative`` inside the installed ``package``, or None: looked up in the file
    list of ``distribution`` (when given) first, then in the package's directories.

    Example:
        >>> installed_file("no_such_package_here", "model.onnx") is None
        True
    """
    if distribution is not None:
        try:
            files = importlib.metadata.distribution(distribution).files
        except importlib.metadata.PackageNotFoundError:
            files = None
        wanted = f"{package}/{relative}"
        for file in files or ():
            if file.as_posix() == wanted:
                located = Path(str(file.locate()))
                if located.is_file():
                    return located
    for directory in package_dirs(package):
        candidate = directory / relative
        if candidate.is_file():
            return candidate
    return None
