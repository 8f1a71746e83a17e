"""Reading the environment layer: ``<PREFIX><SECTION>__<KEY>`` variables, converted by type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.config._context import Leaf, Leaves, Loading
from mxp_agents.config._errors import ConfigValueError, UnknownConfigKey
from mxp_agents.config._leaf import convert_leaf
from mxp_agents.config._paths import KeyPath, render
from mxp_agents.config._schema import field_named, unknown_key
from mxp_agents.config._source import Source
from mxp_agents.config._types import section_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import msgspec

__all__ = ["env_layer"]


def env_layer(
    loading: Loading, env: Mapping[str, str], schema: type[msgspec.Struct], at: KeyPath
) -> Leaves:
    """The values env variables set for ``schema`` (at ``at``); names are case-insensitive.

    With a section (``at`` not empty), variables of other sections are left alone; at the
    root, every variable with the prefix must name a field.

    Example:
        >>> env = {"MXP_AGENTS_KERNEL__WORKERS": "2"}
        >>> env_layer(Loading("MXP_AGENTS_"), env, AppConfig, ())  # doctest: +SKIP
        {('kernel', 'workers'): Leaf(value=2, source=Source(layer='env', ...))}
    """
    prefix = loading.env_prefix
    leaves: Leaves = {}
    setters: dict[KeyPath, str] = {}
    for name in sorted(env):
        if not name.upper().startswith(prefix.upper()):
            continue
        source = Source.env(name)
        keys = [segment.lower() for segment in name[len(prefix) :].split("__")]
        if not all(keys):
            raise UnknownConfigKey(
                f"cannot map {name} to a key: it has an empty part",
                None,
                (source,),
                f"name variables {prefix}<SECTION>__<KEY>, with '__' between keys",
            )
        if keys[: len(at)] != list(at):
            continue
        path, info = _resolve(loading, schema, at, keys[len(at) :], name, source)
        if path in setters:
            raise loading.value_error(
                f"set by two env variables, {setters[path]} and {name}",
                render(path),
                (source,),
                hint="keep one of them",
            )
        setters[path] = name
        leaves[path] = Leaf(
            convert_leaf(loading, env[name], info.type, path, source, text=True), source
        )
    return leaves


def _resolve(
    loading: Loading,
    schema: type[msgspec.Struct],
    at: KeyPath,
    keys: list[str],
    name: str,
    source: Source,
) -> tuple[KeyPath, msgspec.structs.FieldInfo]:
    owner, path = schema, at
    if not keys:
        raise _names_a_section(loading, name, path, source)
    for index, key in enumerate(keys):
        info = field_named(owner, key, ignore_case=True)
        if info is None:
            raise unknown_key(key, owner, path, (source,), spell=_env_spelling(loading, path))
        path = (*path, info.name)
        section = section_of(info.type)
        if index < len(keys) - 1:
            if section is None:
                raise UnknownConfigKey(
                    f"unknown key {keys[index + 1]!r}: {info.name!r} is a value, not a section",
                    render((*path, keys[index + 1])),
                    (source,),
                )
            owner = section
        elif section is not None:
            raise _names_a_section(loading, name, path, source)
        else:
            return path, info
    raise _names_a_section(loading, name, path, source)


def _env_spelling(loading: Loading, parent: KeyPath) -> Callable[[str], str]:
    return lambda field: loading.env_name((*parent, field))


def _names_a_section(
    loading: Loading, name: str, path: KeyPath, source: Source
) -> ConfigValueError:
    return loading.value_error(
        f"{name} names a section, not a value",
        render(path),
        (source,),
        hint=f"set its keys one by one, as {loading.env_name(path)}__<KEY>",
    )
