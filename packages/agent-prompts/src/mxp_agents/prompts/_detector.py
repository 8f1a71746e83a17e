"""`Detector`: one kind of sensitive text — a regex, a pre-filter and a check of each match."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mxp_agents.prompts._errors import InvalidArgument

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = ["Detector"]


class Detector:
    """A kind of sensitive text: a regex, an optional check of each match, and a category.

    * ``group``: the part of the match that is the hit (``Bearer <token>`` reports the token).
    * ``requires``: substrings of which at least one must occur for the regex to run at all —
      a cheap pre-filter (``"@"`` for e-mail addresses).
    * ``lowercase``: match the regex (written in lower case) and ``requires`` against the
      lowercased text — much faster than ``re.IGNORECASE``; text whose length changes when
      lowercased is matched with ``re.IGNORECASE`` instead.
    * ``validate``: called with each candidate's text; False rejects it.

    Example:
        >>> ticket = Detector("ticket", r"\\bTCK-\\d{6}\\b", category="internal", requires="TCK-")
        >>> list(ticket.find("see TCK-123456"))
        [(4, 14)]
    """

    __slots__ = (
        "_fallback",
        "category",
        "group",
        "kind",
        "lowercase",
        "pattern",
        "requires",
        "validate",
    )

    def __init__(
        self,
        kind: str,
        pattern: str | re.Pattern[str],
        *,
        category: str = "custom",
        validate: Callable[[str], bool] | None = None,
        group: int = 0,
        requires: str | Iterable[str] | None = None,
        lowercase: bool = False,
    ) -> None:
        if not kind.strip() or not category.strip():
            raise InvalidArgument("a detector needs a non-blank kind and category")
        try:
            compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        except re.error as error:
            raise InvalidArgument(f"detector {kind!r}: invalid regex ({error})") from None
        if not 0 <= group <= compiled.groups:
            raise InvalidArgument(f"detector {kind!r}: the regex has no group {group}")
        self.kind = kind
        self.category = category
        self.pattern = compiled
        self.validate = validate
        self.group = group
        self.requires = (requires,) if isinstance(requires, str) else tuple(requires or ())
        self.lowercase = lowercase
        # Compiled on first use: most detectors never need it, and compiling costs import time.
        self._fallback: re.Pattern[str] | None = None

    def find(
        self, text: str, lowered: str | None = None, *, prefilter: bool = True
    ) -> Iterator[tuple[int, int]]:
        """The ``(start, end)`` spans of this detector's hits in ``text``.

        ``lowered`` may pass ``text.lower()`` when the caller already has it;
        ``prefilter=False`` skips the ``requires`` check (the caller has done it).

        Example:
            >>> list(Detector("digits", r"\\d+", validate=lambda s: len(s) > 2).find("1 22 333"))
            [(5, 8)]
        """
        subject, pattern = text, self.pattern
        if self.lowercase:
            lowered = text.lower() if lowered is None else lowered
            if len(lowered) == len(text):
                subject = lowered
            else:  # lower() changed the length: match the original text case-insensitively
                pattern = self._fallback or self._case_insensitive()
        if prefilter and not self.applies(text, lowered):
            return
        for match in pattern.finditer(subject):
            span = self.span(text, match)
            if span is not None:
                yield span

    def _case_insensitive(self) -> re.Pattern[str]:
        fallback = re.compile(self.pattern.pattern, self.pattern.flags | re.IGNORECASE)
        self._fallback = fallback
        return fallback

    def applies(self, text: str, lowered: str | None = None) -> bool:
        """True when ``requires`` is empty or one of its substrings occurs in the text.

        Example:
            >>> Detector("mail", r"\\S+@\\S+", requires="@").applies("no mail here")
            False
        """
        if not self.requires:
            return True
        haystack = (text.lower() if lowered is None else lowered) if self.lowercase else text
        return any(needle in haystack for needle in self.requires)

    def span(self, text: str, match: re.Match[str]) -> tuple[int, int] | None:
        """The hit of one regex match, or None when ``validate`` rejects it.

        Example:
            >>> detector = Detector("n", r"#(\\d+)", group=1)
            >>> detector.span("#42", detector.pattern.match("#42"))
            (1, 3)
        """
        start, end = match.span(self.group)
        if start < end and (self.validate is None or self.validate(text[start:end])):
            return start, end
        return None

    def __repr__(self) -> str:
        return f"Detector({self.kind!r}, {self.pattern.pattern!r}, category={self.category!r})"
