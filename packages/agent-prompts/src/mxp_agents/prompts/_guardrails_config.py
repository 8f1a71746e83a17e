"""`GuardrailsConfig`: the settings of `Guardrails` as a config section."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.prompts._errors import InvalidArgument
from mxp_agents.prompts._hits import Policy

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_MARKER", "DEFAULT_POLICIES", "GuardrailsConfig"]

DEFAULT_MARKER = "[REDACTED:{kind}]"
"""What replaces a redacted hit; ``{kind}`` becomes the hit's kind."""

DEFAULT_POLICIES: Mapping[str, Policy] = MappingProxyType(
    {"pii": Policy.REDACT, "secret": Policy.REDACT, "injection": Policy.FLAG}
)
"""Policies by category; any other category (custom detectors) defaults to ``flag``."""


class GuardrailsConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Settings of `Guardrails` (a config section; load it with ``mxp_agents.config``).

    * ``policies``: policy by kind (``email``) or category (``pii``, ``secret``,
      ``injection``), over `DEFAULT_POLICIES`; a kind's entry wins over its category's.
    * ``allow``: literals never flagged (compared case-insensitively with a hit's text);
      ``allow_patterns``: regexes a hit's whole text may match to be allowed.
    * ``deny_patterns``: extra injection regexes (case-insensitive), added to
      `DEFAULT_DENY_PATTERNS` unless ``default_deny`` is false.
    * ``disabled``: kinds of built-in detectors to turn off.
    * ``marker``: the redaction marker.

    Raises:
        InvalidArgument: a regex that does not compile, or a blank marker.

    Example:
        >>> config = GuardrailsConfig(policies={"secret": Policy.BLOCK}, allow=("help@acme.io",))
        >>> Guardrails.from_config(config).redact("write to help@acme.io").text
        'write to help@acme.io'
    """

    policies: dict[str, Policy] = {}
    allow: tuple[str, ...] = ()
    allow_patterns: tuple[str, ...] = ()
    deny_patterns: tuple[str, ...] = ()
    default_deny: bool = True
    disabled: tuple[str, ...] = ()
    marker: str = DEFAULT_MARKER

    def __post_init__(self) -> None:
        for field, patterns in (
            ("allow_patterns", self.allow_patterns),
            ("deny_patterns", self.deny_patterns),
        ):
            for index, pattern in enumerate(patterns):
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise InvalidArgument(
                        f"{field}[{index}] {pattern!r} is not a valid regex ({error})"
                    ) from None
        if not self.marker.strip():
            raise InvalidArgument("marker cannot be blank")
