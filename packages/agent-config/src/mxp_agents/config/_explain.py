"""`ExplainedConfig`: a loaded config plus the layer every value came from."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from mxp_agents.config._errors import UnknownConfigKey
from mxp_agents.config._hooks import config_enc_hook
from mxp_agents.config._paths import KeyPath, dotted
from mxp_agents.config._schema import fields_of
from mxp_agents.config._source import Source
from mxp_agents.config._types import section_of

__all__ = ["ConfigEntry", "ExplainedConfig", "explain_values"]

T = TypeVar("T", bound=msgspec.Struct)

_encoder = msgspec.json.Encoder(enc_hook=config_enc_hook)


class ConfigEntry(msgspec.Struct, frozen=True):
    """One value of a loaded config: its dotted key, the value and its `Source`.

    Example:
        >>> ConfigEntry("kernel.workers", 4, Source.env("MXP_AGENTS_KERNEL__WORKERS")).key
        'kernel.workers'
    """

    key: str
    value: Any
    source: Source


class ExplainedConfig(msgspec.Struct, Generic[T], frozen=True):
    """A loaded config (``value``) and, for every leaf value, which layer set it (``entries``).

    Example:
        >>> env = {"MXP_AGENTS_KERNEL__WORKERS": "2"}
        >>> print(explain_config(AppConfig, env=env).render())  # doctest: +SKIP
        kernel.workers = 2  # env MXP_AGENTS_KERNEL__WORKERS
        kernel.api_key = "**********"  # defaults
    """

    value: T
    entries: tuple[ConfigEntry, ...]

    @property
    def sources(self) -> dict[str, Source]:
        """The `Source` of every leaf value, by dotted key.

        Example:
            >>> explain_config(AppConfig, env={}).sources["kernel.workers"].layer  # doctest: +SKIP
            'defaults'
        """
        return {entry.key: entry.source for entry in self.entries}

    def source_of(self, key: str) -> Source:
        """The `Source` of the value at dotted ``key`` (``"kernel.workers"``).

        Raises:
            UnknownConfigKey: ``key`` names no leaf value.

        Example:
            >>> str(explain_config(AppConfig, env={}).source_of("kernel.workers"))  # doctest: +SKIP
            'defaults'
        """
        for entry in self.entries:
            if entry.key == key:
                return entry.source
        known = ", ".join(entry.key for entry in self.entries[:12])
        raise UnknownConfigKey(f"unknown key {key!r}", hint=f"known keys: {known}")

    def render(self) -> str:
        """One line per value, ``key = <JSON value>  # <source>``, secrets masked.

        Example:
            >>> print(explain_config(AppConfig, env={}).render())  # doctest: +SKIP
            kernel.workers = 4  # defaults
        """
        return "\n".join(
            f"{entry.key} = {_show(entry.value)}  # {entry.source}" for entry in self.entries
        )


def explain_values(
    value: msgspec.Struct, schema: type[msgspec.Struct], at: KeyPath, set_by: dict[KeyPath, Source]
) -> tuple[ConfigEntry, ...]:
    """Every leaf of ``value`` (an instance of ``schema`` at ``at``) with the layer that set it.

    Example:
        >>> explain_values(KernelConfig(), KernelConfig, ("kernel",), {})  # doctest: +SKIP
        (ConfigEntry(key='kernel.workers', value=4, source=Source(layer='defaults', ...)),)
    """
    entries: list[ConfigEntry] = []
    defaults = Source.defaults()
    for name, info in fields_of(schema).items():
        path = (*at, name)
        field_value: object = getattr(value, name)
        section = section_of(info.type)
        if section is not None and isinstance(field_value, msgspec.Struct):
            entries.extend(explain_values(field_value, section, path, set_by))
        else:
            entries.append(ConfigEntry(dotted(path), field_value, set_by.get(path, defaults)))
    return tuple(entries)


def _show(value: object) -> str:
    try:
        return _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)
