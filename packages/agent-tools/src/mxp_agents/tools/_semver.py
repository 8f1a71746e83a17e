"""Semantic versions (https://semver.org) of tools: checking and precedence order."""

from __future__ import annotations

import re
from typing import Final, TypeAlias

__all__ = ["VersionKey", "is_prerelease", "version_key"]

_SEMVER: Final = re.compile(
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)

_Identifier: TypeAlias = tuple[int, int, str]
VersionKey: TypeAlias = tuple[int, int, int, int, tuple[_Identifier, ...], str]


def version_key(version: str) -> VersionKey:
    """A sort key giving semantic-version precedence (``1.0.0-rc.1 < 1.0.0 < 1.2.0 < 1.10.0``).

    Versions that differ only in build metadata have equal precedence; their text breaks the tie
    so that the order stays total and stable.

    Raises:
        ValueError: ``version`` is not ``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``.

    Example:
        >>> sorted(["1.10.0", "1.2.0", "1.2.0-rc.1"], key=version_key)
        ['1.2.0-rc.1', '1.2.0', '1.10.0']
    """
    match = _SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(
            f"version must be a semantic version MAJOR.MINOR.PATCH such as '1.0.0', got {version!r}"
        )
    pre = match["pre"]
    identifiers: tuple[_Identifier, ...] = ()
    if pre is not None:
        identifiers = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")
        )
    return (
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
        0 if pre is not None else 1,
        identifiers,
        version,
    )


def is_prerelease(version: str) -> bool:
    """Whether ``version`` (already checked) has a pre-release part (``2.0.0-beta.1``).

    Example:
        >>> is_prerelease("2.0.0-beta.1"), is_prerelease("2.0.0+build.5")
        (True, False)
    """
    return version_key(version)[3] == 0
