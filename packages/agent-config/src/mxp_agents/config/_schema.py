"""Looking up config keys in a schema, with did-you-mean help for unknown ones."""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.config._errors import UnknownConfigKey
from mxp_agents.config._paths import KeyPath, render

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mxp_agents.config._source import Source

__all__ = ["default_of", "field_named", "fields_of", "unknown_key"]

_MAX_LISTED = 12


@functools.cache
def fields_of(schema: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """The fields of ``schema`` by name.

    Example:
        >>> list(fields_of(Source))
        ['layer', 'name', 'line', 'column']
    """
    return {info.name: info for info in msgspec.structs.fields(schema)}


def field_named(
    schema: type[msgspec.Struct], key: str, *, ignore_case: bool = False
) -> msgspec.structs.FieldInfo | None:
    """The field of ``schema`` called ``key`` (compared case-insensitively if asked), or None.

    Example:
        >>> field_named(Source, "LAYER", ignore_case=True).name
        'layer'
    """
    fields = fields_of(schema)
    if not ignore_case:
        return fields.get(key)
    wanted = key.lower()
    return next((info for name, info in fields.items() if name.lower() == wanted), None)


def default_of(info: msgspec.structs.FieldInfo) -> object | None:
    """The default value of a field (calling its factory), or None when it has none.

    Example:
        >>> default_of(fields_of(Source)["line"]) is None
        True
    """
    if info.default is not msgspec.NODEFAULT:
        return info.default
    if info.default_factory is not msgspec.NODEFAULT:
        factory: Callable[[], object] = info.default_factory
        return factory()
    return None


def unknown_key(
    key: str,
    schema: type[msgspec.Struct],
    path: KeyPath,
    sources: Sequence[Source],
    *,
    spell: Callable[[str], str] = repr,
) -> UnknownConfigKey:
    """The error for ``key``, which names no field of ``schema`` at ``path`` (the key's parent).

    The hint suggests the closest field name (written with ``spell``, e.g. as an env variable)
    or lists the known ones.

    Example:
        >>> str(unknown_key("nme", Source, (), ()))
        "unknown key 'nme' - at $.nme; did you mean 'name'?"
    """
    names = list(fields_of(schema))
    lowered = {name.lower(): name for name in names}
    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        hint = f"did you mean {spell(lowered[close[0]])}?"
    elif names:
        listed = ", ".join(spell(name) for name in names[:_MAX_LISTED])
        more = ", ..." if len(names) > _MAX_LISTED else ""
        hint = f"known keys here: {listed}{more}"
    else:
        hint = "this section has no keys"
    return UnknownConfigKey(f"unknown key {key!r}", render((*path, key)), sources, hint)
