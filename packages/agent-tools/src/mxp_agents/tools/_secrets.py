"""Secrets an executor holds: checked on the way in, masked in every message on the way out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.config import MASK, Secret
from mxp_agents.tools._errors import ToolsError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["check_secrets", "mask_secrets"]


def check_secrets(secrets: Mapping[str, Secret]) -> dict[str, Secret]:
    """A copy of ``secrets`` after checking every value is a `Secret` (never a plain str).

    Raises:
        ToolsError: a value is not a `Secret`; the message names its key, never the value.

    Example:
        >>> check_secrets({"token": Secret("t")})
        {'token': Secret('**********')}
    """
    for name, value in secrets.items():
        if not isinstance(value, Secret):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ToolsError(
                f"secret {name!r} must be a mxp_agents.config.Secret, got {type(value).__name__}"
            )
    return dict(secrets)


def mask_secrets(text: str, secrets: Iterable[Secret]) -> str:
    """``text`` with the value of each of ``secrets`` replaced by ``**********``.

    Used on error messages a tool produced, which may quote a secret it was given.

    Example:
        >>> mask_secrets("login failed for hunter2", [Secret("hunter2")])
        'login failed for **********'
    """
    for secret in secrets:
        value = secret.reveal()
        if value and value in text:
            text = text.replace(value, MASK)
    return text
