"""Masking credentials (API keys, bearer tokens) in text that goes into error messages."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MASK", "redact"]

MASK: Final = "**********"
"""What a credential is replaced with (the same mask as ``mxp_agents.config.Secret``)."""

_PATTERNS: Final = (
    # OpenAI / Anthropic style keys: sk-..., sk-proj-..., sk-ant-...
    re.compile(r"()\bsk-[A-Za-z0-9_\-]{8,}"),
    # Google API keys.
    re.compile(r"()\bAIza[0-9A-Za-z_\-]{20,}"),
    # Authorization headers: "Bearer <token>".
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/\-]{8,}=*"),
    # key=..., api_key: ..., "x-api-key": "...", token=... (query strings, headers, JSON bodies).
    re.compile(
        r"(?i)(\b(?:api[_-]?key|x-api-key|access[_-]?token|token|key|secret|password)"
        r"[\"']?\s{0,3}[:=]\s{0,3}[\"']?)"
        r"[^\s\"'&,;]{6,}"
    ),
)

_MASKED: Final = r"\g<1>" + MASK


def redact(text: str) -> str:
    """``text`` with anything that looks like an API key or token replaced by ``**********``.

    A safety net for messages built from provider responses (which sometimes echo the key);
    adapters still never put a key into a message themselves.

    Example:
        >>> redact("Incorrect API key provided: sk-proj-abcdefgh1234")
        'Incorrect API key provided: **********'
        >>> redact("GET /v1/models?key=AIzaSyA-1234567890abcdefghij")
        'GET /v1/models?key=**********'
    """
    for pattern in _PATTERNS:
        text = pattern.sub(_MASKED, text)
    return text
