"""Building the config Structs from the layered values and the schema's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import msgspec

from mxp_agents.config._errors import MissingConfigValue
from mxp_agents.config._paths import KeyPath, render
from mxp_agents.config._schema import default_of, fields_of
from mxp_agents.config._source import Source
from mxp_agents.config._types import section_of
from mxp_agents.primitives import MxpAgentsError

if TYPE_CHECKING:
    from mxp_agents.config._context import Leaves, Loading

__all__ = ["build"]

S = TypeVar("S", bound=msgspec.Struct)


def build(
    loading: Loading, schema: type[S], at: KeyPath, leaves: Leaves, base: S | None = None
) -> S:
    """An instance of ``schema`` (sitting at ``at``) from ``leaves``, falling back to ``base``
    (the parent's default for this section) and then to the schema's own defaults.

    Raises:
        MissingConfigValue: a field without a default was set by no layer.
        ConfigValueError: the Struct (its ``__post_init__``) rejected the values.

    Example:
        >>> build(Loading("A_"), KernelConfig, ("kernel",), {})  # doctest: +SKIP
        KernelConfig(workers=4)
    """
    arguments: dict[str, object] = {}
    for name, info in fields_of(schema).items():
        path = (*at, name)
        section = section_of(info.type)
        if section is not None:
            inherited = getattr(base, name) if base is not None else default_of(info)
            section_base = inherited if isinstance(inherited, section) else None
            if section_base is not None and not _touched(leaves, path):
                arguments[name] = section_base
            else:
                arguments[name] = build(loading, section, path, leaves, section_base)
        elif (leaf := leaves.get(path)) is not None:
            arguments[name] = leaf.value
        elif base is not None:
            arguments[name] = getattr(base, name)
        elif info.required:
            raise MissingConfigValue(
                "missing required value",
                render(path),
                hint=(
                    f"set it in the config file, with env {loading.env_name(path)}, or in overrides"
                ),
            )
    failure: str | None = None
    try:
        return schema(**arguments)
    except (ValueError, TypeError, MxpAgentsError) as error:
        failure = str(error)
    sources = tuple(dict.fromkeys(leaf.source for key, leaf in leaves.items() if _under(key, at)))
    raise loading.value_error(failure, render(at), sources or (Source.defaults(),))


def _under(path: KeyPath, prefix: KeyPath) -> bool:
    return path[: len(prefix)] == prefix


def _touched(leaves: Leaves, prefix: KeyPath) -> bool:
    return any(_under(path, prefix) for path in leaves)
