"""The built-in PII and secret detectors, compiled at import.

Each regex starts with a literal or a character class (boundary checks are lookbehinds placed
after the first character), so the regex engine can skip ahead quickly, and each has a
``requires`` pre-filter.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Final

from mxp_agents.prompts._checks import (
    iban_length,
    iban_valid,
    ipv4_valid,
    ipv6_valid,
    looks_random,
    payment_card_valid,
    phone_international_valid,
    phone_national_valid,
)
from mxp_agents.prompts._detector import Detector

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["DEFAULT_DETECTORS", "DIGITS", "PII_KINDS", "SECRET_KINDS"]


class _IbanDetector(Detector):
    """IBAN candidates are cut to their country's length before the mod-97 check."""

    __slots__ = ()

    def span(self, text: str, match: re.Match[str]) -> tuple[int, int] | None:
        start, candidate = match.start(), match.group()
        length = iban_length(candidate)
        if length is None:
            return None
        end, seen = start, 0
        for char in candidate:
            end += 1
            if char != " ":
                seen += 1
                if seen == length:
                    break
        if seen != length or (end < len(text) and text[end].isalnum()):
            return None
        return (start, end) if iban_valid(text[start:end]) else None


_EMAIL_LOCAL: Final = frozenset(string.ascii_letters + string.digits + "._%+-")
_EMAIL_FIRST: Final = frozenset(string.ascii_letters + string.digits)
_EMAIL_DOMAIN: Final = re.compile(
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}(?![A-Za-z0-9_-])"
)
_EMAIL_LOCAL_MAX: Final = 64


class _EmailDetector(Detector):
    """E-mail addresses, found from each ``@`` outwards (faster than a regex scan)."""

    __slots__ = ()

    def find(
        self, text: str, lowered: str | None = None, *, prefilter: bool = True
    ) -> Iterator[tuple[int, int]]:
        if prefilter and not self.applies(text, lowered):
            return
        at = text.find("@")
        while at >= 0:
            start = at
            floor = max(0, at - _EMAIL_LOCAL_MAX)
            while start > floor and text[start - 1] in _EMAIL_LOCAL:
                start -= 1
            domain = _EMAIL_DOMAIN.match(text, at + 1)
            if (
                domain is not None
                and start < at
                and text[start] in _EMAIL_FIRST
                and (start == 0 or text[start - 1] not in _EMAIL_LOCAL)
            ):
                yield start, domain.end()
                at = text.find("@", domain.end())
            else:
                at = text.find("@", at + 1)


def _has_digit_and_letter(text: str) -> bool:
    return any(char.isdigit() for char in text) and any(char.isalpha() for char in text)


DIGITS: Final = tuple("0123456789")
"""A ``requires`` pre-filter for detectors of numbers: the text has at least one digit."""

PII_KINDS: Final = ("email", "phone", "credit_card", "iban", "ipv4", "ipv6")
"""The kinds of the built-in personal-data detectors (category ``pii``)."""

SECRET_KINDS: Final = (
    "private_key",
    "jwt",
    "anthropic_key",
    "openai_key",
    "github_token",
    "slack_token",
    "google_api_key",
    "aws_access_key",
    "bearer_token",
)
"""The kinds of the built-in credential detectors (category ``secret``)."""


def _secret(
    kind: str,
    pattern: str,
    *,
    validate: Callable[[str], bool] | None = None,
    group: int = 0,
    requires: str | tuple[str, ...],
    lowercase: bool = False,
) -> Detector:
    return Detector(
        kind,
        pattern,
        category="secret",
        validate=validate,
        group=group,
        requires=requires,
        lowercase=lowercase,
    )


def _pii(
    kind: str,
    pattern: str,
    *,
    validate: Callable[[str], bool] | None = None,
    requires: str | tuple[str, ...],
) -> Detector:
    return Detector(kind, pattern, category="pii", validate=validate, requires=requires)


DEFAULT_DETECTORS: Final[tuple[Detector, ...]] = (
    _secret(
        "private_key",
        # up to the matching END line; when there is none (a truncated key), the base64 lines
        # that follow. Possessive quantifiers keep it linear on text with many BEGIN lines.
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:(?:[^-]|-(?!----))*+-----END[A-Z0-9 ]*"
        r"PRIVATE KEY-----|(?:\s*+[A-Za-z0-9+/=]{16,}+)*+)",
        requires="PRIVATE KEY-----",
    ),
    _secret(
        "jwt",
        r"eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        requires="eyJ",
    ),
    _secret(
        "anthropic_key",
        r"sk-ant-(?<![A-Za-z0-9_-]sk-ant-)[A-Za-z0-9_-]{20,}",
        validate=looks_random,
        requires="sk-ant-",
    ),
    _secret(
        "openai_key",
        r"sk-(?<![A-Za-z0-9_-]sk-)(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
        validate=looks_random,
        requires="sk-",
    ),
    _secret(
        "github_token",
        r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{22,255})"
        r"(?![A-Za-z0-9_])",
        requires=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _secret(
        "slack_token",
        r"xox[abposr]-(?<![A-Za-z0-9_-]xox.-)[A-Za-z0-9-]{10,}",
        validate=_has_digit_and_letter,
        requires="xox",
    ),
    _secret(
        "google_api_key",
        r"AIza(?<![A-Za-z0-9_-]AIza)[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])",
        requires="AIza",
    ),
    _secret(
        "aws_access_key",
        r"A(?:KIA|SIA)(?<![A-Za-z0-9]....)[A-Z0-9]{16}(?![A-Za-z0-9])",
        requires=("AKIA", "ASIA"),
    ),
    _secret(
        "bearer_token",
        r"bearer(?<![a-z0-9_]bearer)[ \t]+([a-z0-9._~+/-]{16,}=*)(?![a-z0-9._~+/=-])",
        validate=_has_digit_and_letter,
        group=1,
        requires="bearer",
        lowercase=True,
    ),
    _EmailDetector(
        "email",
        r"[A-Za-z0-9](?<![A-Za-z0-9._%+-].)[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
        r"\.[A-Za-z]{2,63}(?![A-Za-z0-9_-])",
        category="pii",
        requires="@",
    ),
    _pii(
        "credit_card",
        r"[2-6](?<![0-9-].)(?<![0-9][ -].)(?:[ -]?[0-9]){12,18}(?![ -]?[0-9])",
        validate=payment_card_valid,
        requires=DIGITS,
    ),
    _IbanDetector(
        "iban",
        r"[A-Z](?<![A-Za-z0-9].)[A-Z][0-9]{2}(?: ?[A-Z0-9]){11,30}",
        category="pii",
        requires=DIGITS,
    ),
    _pii(
        "ipv6",
        r"[0-9A-Fa-f:](?<![\w:.].)[0-9A-Fa-f:.]{1,44}(?<=[0-9A-Fa-f])(?![\w:]|\.[0-9])",
        validate=ipv6_valid,
        requires=":",
    ),
    _pii(
        "ipv4",
        r"[0-9](?<![0-9.].)[0-9]{0,2}\.(?:[0-9]{1,3}\.){2}[0-9]{1,3}(?![0-9]|\.[0-9])",
        validate=ipv4_valid,
        requires=DIGITS,
    ),
    _pii(
        "phone",
        r"\+(?<![\w+]\+)[1-9][0-9 ().-]{6,22}[0-9](?![0-9])",
        validate=phone_international_valid,
        requires="+",
    ),
    _pii(
        "phone",
        r"[(0-9](?<![\w+.-].)(?<![0-9][ .-].)"
        r"(?:(?<=\()[0-9]{2,5}\)[ .-]?|(?<=[0-9])[0-9]{1,4}[ .-])"
        r"[0-9]{2,8}(?:[ .-][0-9]{2,5}){0,3}(?![\w:-]|[ .-][0-9])",
        validate=phone_national_valid,
        requires=DIGITS,
    ),
)
"""The built-in detectors, in tie-break order: secrets, then personal data."""
