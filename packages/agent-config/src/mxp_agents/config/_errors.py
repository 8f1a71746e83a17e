"""Errors of ``mxp_agents.config``: each names the value's path and the layer it came from.

``str(error)`` reads ``<reason> - at <path> (from <source>)[; <hint>]``, for example::

    expected int, got str - at $.kernel.max_concurrency
    (from env MXP_AGENTS_KERNEL__MAX_CONCURRENCY)

(on one line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from mxp_agents.primitives import MxpAgentsError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp_agents.config._source import Source

__all__ = [
    "ConfigError",
    "ConfigFileError",
    "ConfigValueError",
    "MissingConfigValue",
    "SecretError",
    "UnknownConfigKey",
]


class ConfigError(MxpAgentsError):
    """Base class of every configuration error.

    Attributes: ``reason`` (what is wrong), ``path`` (``$.kernel.max_concurrency``, or None),
    ``sources`` (the layers that supplied the value) and ``hint`` (how to fix it, or None).

    Example:
        >>> str(ConfigError("expected int, got str", "$.kernel.workers", (Source.overrides(),)))
        'expected int, got str - at $.kernel.workers (from overrides)'
    """

    def __init__(
        self,
        reason: str,
        path: str | None = None,
        sources: Sequence[Source] = (),
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.path = path
        self.sources = tuple(sources)
        self.hint = hint
        text = reason
        if path is not None:
            text += f" - at {path}"
        if self.sources:
            text += " (from " + "; ".join(str(source) for source in self.sources) + ")"
        if hint is not None:
            text += f"; {hint}"
        super().__init__(text)

    @property
    def source(self) -> Source | None:
        """The first (usually the only) source of the value, or None.

        Example:
            >>> print(ConfigError("bad", "$.a", (Source.env("MXP_AGENTS_A"),)).source)
            env MXP_AGENTS_A
        """
        return self.sources[0] if self.sources else None

    def __reduce__(
        self,
    ) -> tuple[type[Self], tuple[str, str | None, tuple[Source, ...], str | None]]:
        return (type(self), (self.reason, self.path, self.sources, self.hint))


class ConfigFileError(ConfigError):
    """The config file is missing, unreadable, not UTF-8 or not valid TOML.

    Example:
        >>> load_config(AppConfig, file="missing.toml")  # doctest: +SKIP
        ConfigFileError: config file not found (from file /srv/missing.toml); check the path...
    """


class ConfigValueError(ConfigError, ValueError):
    """A value that does not convert to its field's type or breaks a section's rules.

    Example:
        >>> load_config(AppConfig, env={"MXP_AGENTS_KERNEL__WORKERS": "many"})  # doctest: +SKIP
        ConfigValueError: expected int, got str - at $.kernel.workers (from env MXP_AGENTS_...)
    """


class UnknownConfigKey(ConfigError):
    """A key in a file, env variable or override that names no field (input is never dropped).

    Example:
        >>> load_config(AppConfig, overrides={"kernel.wrokers": 2})  # doctest: +SKIP
        UnknownConfigKey: unknown key 'wrokers' - at $.kernel.wrokers (from overrides); did you ...
    """


class MissingConfigValue(ConfigError):
    """A field without a default that no layer set.

    Example:
        >>> load_config(NeedsModel, env={})  # doctest: +SKIP
        MissingConfigValue: missing required value - at $.model.name; set it in the config file, ...
    """


class SecretError(ConfigError, TypeError):
    """A `Secret` misused: built from a non-str, or pickled (which would write the value out).

    Example:
        >>> Secret(1234)  # doctest: +SKIP
        SecretError: a Secret holds a str, got int
    """
