"""The default deny list: prompt-injection phrases, matched case-insensitively."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from mxp_agents.prompts._detector import Detector
from mxp_agents.prompts._errors import InvalidArgument

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["DEFAULT_DENY_PATTERNS", "PRECOMPILED_DENY", "deny_detectors"]

_LIMITS: Final = r"(?:restrictions|rules|limits|limitations|filters|guidelines|censorship)"
_UNBOUND: Final = rf"(?:unrestricted|unfiltered|uncensored|jailbroken|no\s+{_LIMITS})"

# Each default pattern is written in lower case and runs on the lowercased text, only when one
# of its trigger words occurs in it.
_DEFAULTS: Final[dict[str, tuple[str, ...]]] = {
    # "ignore all previous instructions", "disregard the system prompt", "forget prior rules"
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|every|the|your|my|these|of)"
    r"\s+)*(?:previous|prior|above|earlier|preceding|foregoing|system|original|initial|existing)"
    r"\s+(?:instructions?|prompts?|rules?|directions?|guidelines?|messages?|context|commands?)\b": (
        "ignore",
        "disregard",
        "forget",
        "override",
        "bypass",
    ),
    # "ignore your instructions", "disregard all the rules"
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?(?:your|the)\s+"
    r"(?:instructions|rules|guidelines|system\s+prompt)\b": ("ignore", "disregard", "forget"),
    # "you are now dan", "you are now an unrestricted ai", "you are now in developer mode"
    r"\byou\s+are\s+now\s+(?:an?\s+|the\s+|my\s+)?(?:dan\b|unrestricted|unfiltered|uncensored"
    r"|jailbroken|evil|free\s+(?:from|of)|no\s+longer|in\s+\w+\s+mode|a\s+different|a\s+new)": (
        "now",
    ),
    # "reveal your system prompt", "print the hidden instructions"
    r"\b(?:reveal|show|print|display|output|repeat|leak|dump|expose|tell\s+me|give\s+me)\s+"
    r"(?:me\s+|us\s+)?(?:your|the)\s+(?:(?:full|entire|exact|complete|original|initial|hidden"
    r"|secret)\s+)*(?:system\s+(?:prompt|message|instructions)|(?:hidden|initial|original"
    r"|secret)\s+(?:prompt|instructions))\b": ("prompt", "message", "instructions"),
    r"\b(?:reveal|repeat|leak|dump|expose)\s+(?:all\s+)?your\s+(?:instructions|prompt|rules)\b": (
        "your",
    ),
    # role-play jailbreaks
    r"\b(?:dan|jailbreak|god)\s+mode\b|\bdeveloper\s+mode\s+(?:is\s+)?(?:enabled|activated)\b": (
        "mode",
    ),
    r"\bdo\s+anything\s+now\b": ("anything",),
    rf"\bpretend\s+(?:that\s+)?(?:you\s+(?:are|have)|to\s+be)\s+(?:an?\s+)?{_UNBOUND}": (
        "pretend",
    ),
    rf"\b(?:act|behave|respond)\s+as\s+(?:if\s+you\s+(?:are|were|have)\s+)?(?:an?\s+)?{_UNBOUND}": (
        "unrestricted",
        "unfiltered",
        "uncensored",
        "jailbroken",
        "no ",
    ),
    r"\b(?:bypass|disable|turn\s+off|override)\s+(?:your\s+|the\s+|all\s+)?(?:safety|content"
    r"|security)\s+(?:filters?|guidelines|polic(?:y|ies)|measures|rules)\b": (
        "safety",
        "content",
        "security",
    ),
    # fake role headers and chat-template markers
    r"\bnew\s+(?:system\s+)?instructions\s*:": ("instructions",),
    r"(?m)^[ \t]*#{0,3}[ \t]*system\s+(?:prompt|instructions?)\s*:": ("system",),
    r"<\|(?:im_start|im_end|system|endoftext|start_header_id|end_header_id|eot_id)\|>": ("<|",),
    r"\[/?inst\]|<</?sys>>": ("inst]", "sys>>"),
}

DEFAULT_DENY_PATTERNS: Final[tuple[str, ...]] = tuple(_DEFAULTS)
"""Regex sources of the default deny list (case-insensitive); extend it with
``Guardrails(deny=(*DEFAULT_DENY_PATTERNS, r"my phrase"))``."""


def deny_detectors(patterns: Iterable[str | re.Pattern[str]]) -> tuple[Detector, ...]:
    """One ``injection`` detector per pattern; a str is compiled with ``re.IGNORECASE``.

    The default patterns run on the lowercased text behind their trigger words (faster).

    Raises:
        InvalidArgument: a pattern that is not a valid regex.

    Example:
        >>> [detector.kind for detector in deny_detectors([r"\\bsudo\\s+mode\\b"])]
        ['injection']
    """
    detectors: list[Detector] = []
    for pattern in patterns:
        if isinstance(pattern, str) and pattern in _DEFAULTS:
            detector = Detector(
                "injection",
                pattern,
                category="injection",
                requires=_DEFAULTS[pattern],
                lowercase=True,
            )
        else:
            if isinstance(pattern, str):
                try:
                    pattern = re.compile(pattern, re.IGNORECASE)
                except re.error as error:
                    raise InvalidArgument(
                        f"deny pattern {pattern!r} is not a valid regex ({error})"
                    ) from None
            detector = Detector("injection", pattern, category="injection")
        detectors.append(detector)
    return tuple(detectors)


PRECOMPILED_DENY: Final = deny_detectors(DEFAULT_DENY_PATTERNS)
"""The detectors of `DEFAULT_DENY_PATTERNS`, compiled once at import."""
