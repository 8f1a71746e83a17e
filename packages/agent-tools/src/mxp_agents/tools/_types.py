"""Which annotations a tool parameter may have: JSON-shaped types that a model can produce."""

from __future__ import annotations

from typing import Any, Final

import msgspec.inspect as mi

__all__ = ["SUPPORTED_TYPES", "unsupported_part"]

SUPPORTED_TYPES: Final = (
    "str, int, float, bool, None, X | None, Literal, Enum, list/tuple/set/frozenset, "
    "dict[str, X], msgspec Struct, dataclass, TypedDict, NamedTuple, Annotated[X, msgspec.Meta], "
    "datetime, date, time, timedelta, UUID, Decimal, Any"
)

_LEAVES: Final = (
    mi.AnyType, mi.NoneType, mi.BoolType, mi.IntType, mi.FloatType, mi.StrType, mi.DateTimeType,
    mi.DateType, mi.TimeType, mi.TimeDeltaType, mi.UUIDType, mi.DecimalType, mi.EnumType,
    mi.LiteralType,
)  # fmt: skip


def unsupported_part(annotation: Any) -> str | None:
    """The name of the part of ``annotation`` a tool cannot take from JSON, or None if all fit.

    Bytes (base64 is not something to ask a model for), dict keys other than str, and classes
    msgspec cannot build are refused; Structs, dataclasses and TypedDicts are checked field by
    field, so a bad type deep inside is found too.

    Raises:
        TypeError: ``annotation`` is not a type at all (msgspec cannot read it).

    Example:
        >>> unsupported_part(dict[int, str]), unsupported_part(list[str] | None)
        ('dict key int (only str keys)', None)
    """
    return _check(mi.type_info(annotation), set())


def _check(node: mi.Type, seen: set[int]) -> str | None:
    if isinstance(node, _LEAVES):
        return None
    if isinstance(node, mi.Metadata):
        return _check(node.type, seen)
    if isinstance(node, mi.UnionType):
        return _first(node.types, seen)
    if isinstance(node, mi.TupleType):
        return _first(node.item_types, seen)
    if isinstance(node, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return _check(node.item_type, seen)
    if isinstance(node, mi.DictType):
        key = node.key_type.type if isinstance(node.key_type, mi.Metadata) else node.key_type
        if not isinstance(key, mi.StrType):
            return f"dict key {_describe(key)} (only str keys)"
        return _check(node.value_type, seen)
    if isinstance(node, mi.StructType | mi.DataclassType | mi.TypedDictType | mi.NamedTupleType):
        if id(node) in seen:  # a recursive type: its fields are being checked already
            return None
        seen.add(id(node))
        return _first(tuple(field.type for field in node.fields), seen)
    return _describe(node)


def _first(nodes: tuple[mi.Type, ...], seen: set[int]) -> str | None:
    for node in nodes:
        problem = _check(node, seen)
        if problem is not None:
            return problem
    return None


def _describe(node: mi.Type) -> str:
    if isinstance(node, mi.CustomType):
        return node.cls.__qualname__
    names = {
        mi.BytesType: "bytes",
        mi.ByteArrayType: "bytearray",
        mi.MemoryViewType: "memoryview",
        mi.RawType: "msgspec.Raw",
        mi.ExtType: "msgspec.msgpack.Ext",
    }
    for kind, name in names.items():
        if isinstance(node, kind):
            return name
    return type(node).__name__.removesuffix("Type").lower()
