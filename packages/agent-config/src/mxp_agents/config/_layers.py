"""Reading the file and override layers: mappings walked against the schema, leaf by leaf."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mxp_agents.config._context import Leaf, Leaves, Loading
from mxp_agents.config._errors import UnknownConfigKey
from mxp_agents.config._leaf import convert_leaf
from mxp_agents.config._paths import KeyPath, render
from mxp_agents.config._schema import field_named, unknown_key
from mxp_agents.config._source import Source
from mxp_agents.config._types import kind_of, section_of

if TYPE_CHECKING:
    import msgspec

    from mxp_agents.config._toml import TomlFile

__all__ = ["file_layer", "overrides_layer"]


def file_layer(
    loading: Loading, toml: TomlFile, schema: type[msgspec.Struct], at: KeyPath
) -> Leaves:
    """The values a TOML file sets for ``schema``, which sits at ``at`` (``()`` for the root).

    Example:
        >>> file_layer(Loading("A_"), read_toml("agent.toml"), AppConfig, ())  # doctest: +SKIP
        {('kernel', 'workers'): Leaf(value=4, source=Source(layer='file', ...))}
    """
    table: Mapping[str, object] = toml.data
    for depth in range(1, len(at) + 1):
        node = table.get(at[depth - 1])
        if node is None:
            return {}
        if not isinstance(node, Mapping):
            raise loading.value_error(
                f"expected table, got {kind_of(node)}",
                render(at[:depth]),
                (toml.source_of(at[:depth]),),
            )
        table = node  # pyright: ignore[reportUnknownVariableType]
    leaves: Leaves = {}
    _collect(loading, table, schema, at, leaves, toml.source_of, "table", dotted=False)
    return leaves


def overrides_layer(
    loading: Loading, overrides: Mapping[str, object], schema: type[msgspec.Struct], at: KeyPath
) -> Leaves:
    """The values an overrides mapping sets; keys may be nested mappings or dotted strings.

    Example:
        >>> overrides_layer(Loading("A_"), {"kernel.workers": 2}, AppConfig, ())  # doctest: +SKIP
        {('kernel', 'workers'): Leaf(value=2, source=Source(layer='overrides', ...))}
    """
    leaves: Leaves = {}
    _collect(
        loading, overrides, schema, at, leaves, lambda _: Source.overrides(), "mapping", dotted=True
    )
    return leaves


def _collect(
    loading: Loading,
    data: Mapping[Any, object],
    schema: type[msgspec.Struct],
    at: KeyPath,
    leaves: Leaves,
    source_of: Callable[[KeyPath], Source],
    container: str,
    *,
    dotted: bool,
) -> None:
    for raw_key, value in data.items():
        if not isinstance(raw_key, str):
            raise loading.value_error(
                f"keys must be str, got {kind_of(raw_key)}", render(at), (source_of(at),)
            )
        parts = raw_key.split(".") if dotted else [raw_key]
        if not all(parts):
            raise UnknownConfigKey(
                f"malformed key {raw_key!r}: empty part between dots", render(at), (source_of(at),)
            )
        owner, path = schema, at
        for index, part in enumerate(parts):
            info = field_named(owner, part)
            if info is None:
                raise unknown_key(part, owner, path, (source_of((*path, part)),))
            path = (*path, part)
            section = section_of(info.type)
            if index < len(parts) - 1:
                if section is None:
                    raise _not_a_section(part, parts[index + 1], path, source_of(path))
                owner = section
                continue
            if section is None:
                if path in leaves:
                    raise loading.value_error(
                        "key set more than once", render(path), (source_of(path),)
                    )
                source = source_of(path)
                leaves[path] = Leaf(
                    convert_leaf(loading, value, info.type, path, source, text=False), source
                )
                continue
            mapping = _as_mapping(value, section)
            if mapping is None:
                raise loading.value_error(
                    f"expected {container}, got {kind_of(value)}",
                    render(path),
                    (source_of(path),),
                    hint=f"{part!r} is a section; set its keys inside a {container}",
                )
            _collect(loading, mapping, section, path, leaves, source_of, container, dotted=dotted)


def _as_mapping(value: object, section: type[msgspec.Struct]) -> Mapping[Any, object] | None:
    if isinstance(value, section):
        return {name: getattr(value, name) for name in value.__struct_fields__}
    if isinstance(value, Mapping):
        mapping: Mapping[Any, object] = value  # pyright: ignore[reportUnknownVariableType]
        return mapping
    return None


def _not_a_section(part: str, child: str, path: KeyPath, source: Source) -> UnknownConfigKey:
    return UnknownConfigKey(
        f"unknown key {child!r}: {part!r} is a value, not a section",
        render((*path, child)),
        (source,),
    )
