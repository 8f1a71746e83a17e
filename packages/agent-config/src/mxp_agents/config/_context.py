"""State of one load: the env prefix, the secrets seen so far, and the values each layer set."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from mxp_agents.config._errors import ConfigValueError
from mxp_agents.config._masking import SecretMasker
from mxp_agents.config._paths import KeyPath

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp_agents.config._source import Source

__all__ = ["Leaf", "Leaves", "Loading"]


class Leaf(NamedTuple):
    """A converted value and the layer that set it."""

    value: object
    source: Source


Leaves = dict[KeyPath, Leaf]
"""Values set by layers, by the path of their field."""


class Loading:
    """Context of one `load_config` call, shared by the layer readers and the builder.

    Example:
        >>> Loading("MXP_AGENTS_").env_name(("kernel", "workers"))
        'MXP_AGENTS_KERNEL__WORKERS'
    """

    __slots__ = ("env_prefix", "masker")

    def __init__(self, env_prefix: str) -> None:
        self.env_prefix = env_prefix
        self.masker = SecretMasker()

    def env_name(self, path: KeyPath) -> str:
        """The env variable that sets the value at ``path``.

        Example:
            >>> Loading("APP_").env_name(("debug",))
            'APP_DEBUG'
        """
        return self.env_prefix + "__".join(part.upper() for part in path)

    def value_error(
        self, reason: str, path: str, sources: Sequence[Source], hint: str | None = None
    ) -> ConfigValueError:
        """A `ConfigValueError` whose text has every secret seen so far masked.

        Example:
            >>> str(Loading("A_").value_error("bad", "$.x", ()))
            'bad - at $.x'
        """
        masked_hint = None if hint is None else self.masker.mask(hint)
        return ConfigValueError(self.masker.mask(reason), path, sources, masked_hint)
