"""Tag and metadata filters: an inverted index from filter terms to the slots that carry them."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mxp_agents.memory._errors import InvalidRecord
from mxp_agents.primitives import kind_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["Term", "TermIndex", "filter_terms"]

Term = tuple[Any, ...]
"""("t", tag) for a tag; ("m", key, kind, value) for a metadata key equal to a scalar."""


def filter_terms(tags: tuple[str, ...], metadata: Mapping[str, Any]) -> list[Term]:
    """The terms a query's filters require (all of them), checking the metadata values.

    Values compare by type as well as by value: ``True`` does not match ``1``, ``"1"`` does not
    match ``1`` (but ``1`` matches ``1.0``).

    Example:
        >>> filter_terms(("faq",), {"lang": "en"})
        [('t', 'faq'), ('m', 'lang', 's', 'en')]
    """
    terms: list[Term] = [("t", tag) for tag in dict.fromkeys(tags)]
    for key, value in metadata.items():
        if not isinstance(key, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"metadata keys must be str, got {kind_of(key)}", "$.metadata")
        term = _term(key, value)
        if term is None:
            raise InvalidRecord(
                f"a metadata filter value must be a str, a finite number, a bool or null, "
                f"got {kind_of(value)}",
                f"$.metadata.{key}",
            )
        terms.append(term)
    return terms


def _term(key: str, value: object) -> Term | None:
    if value is None:
        return ("m", key, "z", None)
    if isinstance(value, bool):
        return ("m", key, "b", value)
    if isinstance(value, str):
        return ("m", key, "s", value)
    if isinstance(value, int):
        return ("m", key, "n", value)
    if isinstance(value, float) and math.isfinite(value):
        return ("m", key, "n", value)
    return None


def point_terms(tags: Iterable[str], metadata: Mapping[str, Any]) -> list[Term]:
    """The terms a point carries: its tags and its scalar metadata values."""
    terms: list[Term] = [("t", tag) for tag in dict.fromkeys(tags)]
    for key, value in metadata.items():
        term = _term(key, value)
        if term is not None:
            terms.append(term)
    return terms


class TermIndex:
    """For each term, the set of slots whose point carries it.

    Example:
        >>> index = TermIndex()
        >>> index.add(0, ("faq",), {"lang": "en"})
        >>> index.matching(filter_terms(("faq",), {}))
        {0}
    """

    def __init__(self) -> None:
        self._slots: dict[Term, set[int]] = {}

    def add(self, slot: int, tags: Iterable[str], metadata: Mapping[str, Any]) -> None:
        """Index the point at ``slot``."""
        for term in point_terms(tags, metadata):
            self._slots.setdefault(term, set()).add(slot)

    def discard(self, slot: int, tags: Iterable[str], metadata: Mapping[str, Any]) -> None:
        """Forget the point at ``slot`` (with the tags and metadata it was indexed with)."""
        for term in point_terms(tags, metadata):
            slots = self._slots.get(term)
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._slots[term]

    def estimate(self, terms: list[Term]) -> int:
        """An upper bound of how many slots pass: the size of the rarest term's set."""
        return min(len(self._slots.get(term, ())) for term in terms)

    def matching(self, terms: list[Term]) -> set[int]:
        """Exactly the slots that carry every term."""
        sets = sorted((self._slots.get(term, set()) for term in terms), key=len)
        if not sets[0]:
            return set()
        return sets[0].intersection(*sets[1:])

    def passes(self, slot: int, terms: list[Term]) -> bool:
        """Whether the point at ``slot`` carries every term."""
        return all(slot in self._slots.get(term, ()) for term in terms)
