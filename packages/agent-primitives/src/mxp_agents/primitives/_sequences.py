"""Normalising sequence fields of frozen Structs to tuples, with typed errors for non-sequences."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.primitives._checks import kind_of

if TYPE_CHECKING:
    from mxp_agents.primitives._errors import InvalidValue

__all__ = ["as_tuple", "store"]


def as_tuple(value: object, path: str, error: type[InvalidValue]) -> tuple[object, ...]:
    """``value`` as a tuple if it is an array-like iterable (not text, bytes or a mapping).

    Example:
        >>> as_tuple(["a", "b"], "$.tags", InvalidValue)
        ('a', 'b')
    """
    kind = kind_of(value)
    if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(value, Iterable):
        raise error(f"expected array, got {kind}", path)
    items: Iterable[object] = value  # pyright: ignore[reportUnknownVariableType]
    return tuple(items)


def store(struct: msgspec.Struct, name: str, value: object) -> None:
    """Set a field of a frozen Struct from its ``__post_init__`` (only to normalise a value).

    Example:
        >>> store(capability, "scopes", ("read",))  # doctest: +SKIP
    """
    if getattr(struct, name) is not value:
        msgspec.structs.force_setattr(struct, name, value)
