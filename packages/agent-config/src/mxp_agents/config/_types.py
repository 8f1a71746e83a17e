"""Looking through field annotations: wrappers, optionals, sections and what a type mentions."""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import types
import typing
from typing import Annotated, Any, TypeGuard, Union, get_args, get_origin

import msgspec

from mxp_agents.primitives import kind_of

__all__ = [
    "is_struct_type",
    "json_kind",
    "kind_of",
    "mentions",
    "section_of",
    "split_optional",
    "strip_wrappers",
]

_NONE_TYPE = type(None)
_ARRAY_TYPES: frozenset[object] = frozenset(
    {
        list,
        tuple,
        set,
        frozenset,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Set,
        collections.abc.MutableSet,
        collections.abc.Collection,
        collections.abc.Iterable,
    }
)
_OBJECT_TYPES: frozenset[object] = frozenset(
    {dict, collections.abc.Mapping, collections.abc.MutableMapping}
)


def strip_wrappers(tp: object) -> object:
    """``tp`` without ``Annotated[...]`` and `typing.NewType` layers.

    Example:
        >>> strip_wrappers(Annotated[int, msgspec.Meta(ge=1)])
        <class 'int'>
    """
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        supertype: object = getattr(tp, "__supertype__", None)
        if supertype is None:
            return tp
        tp = supertype


def split_optional(tp: object) -> tuple[object, bool]:
    """``(inner type, True)`` for ``X | None`` (wrappers stripped), else ``(tp stripped, False)``.

    Example:
        >>> split_optional(int | None)
        (<class 'int'>, True)
    """
    base = strip_wrappers(tp)
    if get_origin(base) not in (Union, types.UnionType):
        return base, False
    members = get_args(base)
    rest = [member for member in members if member is not _NONE_TYPE]
    if len(rest) == len(members):
        return base, False
    inner: object = functools.reduce(_union, rest)
    return strip_wrappers(inner), True


def _union(left: Any, right: Any) -> Any:
    return left | right


def is_struct_type(tp: object) -> TypeGuard[type[msgspec.Struct]]:
    """Whether ``tp`` is a `msgspec.Struct` subclass.

    Example:
        >>> is_struct_type(int)
        False
    """
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def section_of(tp: object) -> type[msgspec.Struct] | None:
    """The Struct type if a field of type ``tp`` is a section (a plain Struct, not optional).

    Example:
        >>> section_of(int) is None
        True
    """
    base = strip_wrappers(tp)
    return base if is_struct_type(base) else None


def json_kind(tp: object) -> str | None:
    """``"array"`` or ``"object"`` when values of ``tp`` are written as JSON text in env variables.

    Example:
        >>> json_kind(list[int]), json_kind(dict[str, int]), json_kind(int)
        ('array', 'object', None)
    """
    base = strip_wrappers(tp)
    origin: object = get_origin(base) or base
    if origin in _ARRAY_TYPES:
        return "array"
    if (
        origin in _OBJECT_TYPES
        or is_struct_type(base)
        or typing.is_typeddict(base)
        or (isinstance(base, type) and dataclasses.is_dataclass(base))
    ):
        return "object"
    return None


def mentions(tp: object, target: type[Any]) -> bool:
    """Whether ``target`` appears anywhere in the annotation ``tp`` (in unions, containers...).

    Example:
        >>> mentions(list[int] | None, int)
        True
    """
    if tp is target:
        return True
    return any(mentions(arg, target) for arg in get_args(tp) if not isinstance(arg, msgspec.Meta))
