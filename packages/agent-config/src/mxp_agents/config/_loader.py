"""`load_config`, `load_section` and `explain_config`: layering defaults, file, env, overrides."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Final, TypeVar

import msgspec

from mxp_agents.config._build import build
from mxp_agents.config._context import Leaves, Loading
from mxp_agents.config._env import env_layer
from mxp_agents.config._errors import ConfigError
from mxp_agents.config._explain import ExplainedConfig, explain_values
from mxp_agents.config._layers import file_layer, overrides_layer
from mxp_agents.config._toml import read_toml
from mxp_agents.config._types import is_struct_type

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mxp_agents.config._paths import KeyPath

__all__ = ["DEFAULT_ENV_PREFIX", "explain_config", "load_config", "load_section"]

T = TypeVar("T", bound=msgspec.Struct)

DEFAULT_ENV_PREFIX: Final = "MXP_AGENTS_"
"""Prefix of the environment variables the loader reads."""

_SECTION: Final = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")


def load_config(
    schema: type[T],
    *,
    file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = os.environ,
    overrides: Mapping[str, object] | None = None,
    env_prefix: str = DEFAULT_ENV_PREFIX,
) -> T:
    """Load the config ``schema`` (a Struct whose fields are sections or values) by layers.

    Each layer overrides the one before: the schema's defaults, then the TOML ``file``, then
    the ``env`` variables (``MXP_AGENTS_<SECTION>__<KEY>``, case-insensitive, converted by
    field type), then ``overrides`` (nested mappings and/or dotted keys such as
    ``"kernel.workers"``). Pass ``env=None`` to ignore the environment. Lists and maps are
    replaced whole, never merged. Unknown keys in any layer are errors.

    Raises:
        ConfigFileError: the file is missing, unreadable or not valid TOML.
        ConfigValueError: a value does not fit its field, e.g.
            ``expected int, got str - at $.kernel.workers (from env MXP_AGENTS_KERNEL__WORKERS)``.
        UnknownConfigKey: a key or env variable names no field (with a did-you-mean hint).
        MissingConfigValue: a field without a default was set by no layer.

    Example:
        >>> class Kernel(msgspec.Struct, frozen=True):
        ...     workers: int = 4
        >>> class App(msgspec.Struct, frozen=True):
        ...     kernel: Kernel = Kernel()
        >>> load_config(App, env={"MXP_AGENTS_KERNEL__WORKERS": "8"}).kernel.workers
        8
    """
    return _load(schema, (), file, env, overrides, env_prefix).value


def load_section(
    schema: type[T],
    section: str,
    *,
    file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = os.environ,
    overrides: Mapping[str, object] | None = None,
    env_prefix: str = DEFAULT_ENV_PREFIX,
) -> T:
    """Load one section: the ``[section]`` table of the file (dotted for nested tables), the
    ``MXP_AGENTS_<SECTION>__*`` variables, and ``overrides`` relative to the section.

    Other tables and other sections' variables are left alone (they belong to other
    components). Errors are those of `load_config`, with full paths (``$.kernel.workers``).

    Example:
        >>> class Kernel(msgspec.Struct, frozen=True):
        ...     workers: int = 4
        >>> load_section(Kernel, "kernel", env={}, overrides={"workers": 2}).workers
        2
    """
    if not _SECTION.fullmatch(section):
        raise ConfigError(
            f"invalid section name {section!r}",
            hint="use lower-case field names joined by dots, such as 'kernel' or 'tools.http'",
        )
    return _load(schema, tuple(section.split(".")), file, env, overrides, env_prefix).value


def explain_config(
    schema: type[T],
    *,
    section: str | None = None,
    file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = os.environ,
    overrides: Mapping[str, object] | None = None,
    env_prefix: str = DEFAULT_ENV_PREFIX,
) -> ExplainedConfig[T]:
    """Like `load_config` (or `load_section` with ``section``), and report where each value
    came from.

    Example:
        >>> class Kernel(msgspec.Struct, frozen=True):
        ...     workers: int = 4
        >>> class App(msgspec.Struct, frozen=True):
        ...     kernel: Kernel = Kernel()
        >>> print(explain_config(App, overrides={"kernel.workers": 1}).render())
        kernel.workers = 1  # overrides
    """
    if section is None:
        return _load(schema, (), file, env, overrides, env_prefix)
    if not _SECTION.fullmatch(section):
        raise ConfigError(
            f"invalid section name {section!r}",
            hint="use lower-case field names joined by dots, such as 'kernel' or 'tools.http'",
        )
    return _load(schema, tuple(section.split(".")), file, env, overrides, env_prefix)


def _load(
    schema: type[T],
    at: KeyPath,
    file: str | os.PathLike[str] | None,
    env: Mapping[str, str] | None,
    overrides: Mapping[str, object] | None,
    env_prefix: str,
) -> ExplainedConfig[T]:
    if not is_struct_type(schema):
        raise ConfigError(
            f"a config schema must be a msgspec.Struct class, got {schema!r}",
            hint="declare it as `class AppConfig(msgspec.Struct, frozen=True): ...`",
        )
    if not env_prefix:
        raise ConfigError("env_prefix cannot be empty", hint="use e.g. 'MXP_AGENTS_'")
    loading = Loading(env_prefix)
    leaves: Leaves = {}
    if file is not None:
        leaves.update(file_layer(loading, read_toml(file), schema, at))
    if env is not None:
        leaves.update(env_layer(loading, env, schema, at))
    if overrides is not None:
        leaves.update(overrides_layer(loading, overrides, schema, at))
    value = build(loading, schema, at, leaves)
    set_by = {path: leaf.source for path, leaf in leaves.items()}
    return ExplainedConfig(value=value, entries=explain_values(value, schema, at, set_by))
