"""`Source`: which layer (and which file line or env variable) supplied a config value."""

from typing import Literal

import msgspec

__all__ = ["Layer", "Source"]

Layer = Literal["defaults", "file", "env", "overrides"]
"""The four configuration layers, lowest precedence first."""


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """Where a config value came from: a layer, plus the file (line, column) or env variable.

    ``str(source)`` is the text used in errors after ``from``: ``defaults``,
    ``file /srv/agent.toml, line 3``, ``env MXP_AGENTS_KERNEL__WORKERS`` or ``overrides``.

    Example:
        >>> str(Source.file("/srv/agent.toml", line=3))
        'file /srv/agent.toml, line 3'
    """

    layer: Layer
    name: str | None = None
    line: int | None = None
    column: int | None = None

    @classmethod
    def defaults(cls) -> "Source":
        """The schema's defaults.

        Example:
            >>> str(Source.defaults())
            'defaults'
        """
        return cls(layer="defaults")

    @classmethod
    def file(cls, path: str, *, line: int | None = None, column: int | None = None) -> "Source":
        """A TOML file, optionally with the line (and column) of the value.

        Example:
            >>> str(Source.file("/srv/agent.toml", line=2, column=7))
            'file /srv/agent.toml, line 2, column 7'
        """
        return cls(layer="file", name=path, line=line, column=column)

    @classmethod
    def env(cls, variable: str) -> "Source":
        """An environment variable.

        Example:
            >>> str(Source.env("MXP_AGENTS_KERNEL__WORKERS"))
            'env MXP_AGENTS_KERNEL__WORKERS'
        """
        return cls(layer="env", name=variable)

    @classmethod
    def overrides(cls) -> "Source":
        """The explicit overrides mapping.

        Example:
            >>> str(Source.overrides())
            'overrides'
        """
        return cls(layer="overrides")

    def __str__(self) -> str:
        text = self.layer if self.name is None else f"{self.layer} {self.name}"
        if self.line is not None:
            text += f", line {self.line}"
        if self.column is not None:
            text += f", column {self.column}"
        return text
