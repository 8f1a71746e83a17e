"""Remembering secret values seen while loading, to scrub them from any error text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, cast

import msgspec

from mxp_agents.config._secret import MASK, Secret

__all__ = ["SecretMasker"]

_MIN_MASKED_LEN: Final = 4


class SecretMasker:
    """Collects secret strings and replaces them in text with ``**********``.

    Values shorter than 4 characters are not masked (masking them would garble the message
    while hiding nothing that matters).

    Example:
        >>> masker = SecretMasker()
        >>> masker.collect(Secret("sk-123"))
        >>> masker.mask("bad key sk-123")
        'bad key **********'
    """

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: set[str] = set()

    def collect(self, value: object) -> None:
        """Remember every `Secret` inside ``value`` (containers and Structs are searched).

        Example:
            >>> SecretMasker().collect([Secret("sk-123")])
        """
        if isinstance(value, Secret):
            self.add(value.reveal())
        elif isinstance(value, msgspec.Struct):
            for name in value.__struct_fields__:
                self.collect(getattr(value, name))
        elif isinstance(value, Mapping):
            for item in cast("Mapping[object, object]", value).values():
                self.collect(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in cast("Iterable[object]", value):
                self.collect(item)

    def collect_text(self, value: object) -> None:
        """Remember every string inside raw input ``value`` meant for a Secret-typed field.

        Example:
            >>> SecretMasker().collect_text({"token": "sk-123"})
        """
        if isinstance(value, str):
            self.add(value)
        elif isinstance(value, Mapping):
            for item in cast("Mapping[object, object]", value).values():
                self.collect_text(item)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in cast("Iterable[object]", value):
                self.collect_text(item)

    def add(self, text: str) -> None:
        """Remember one secret string.

        Example:
            >>> SecretMasker().add("sk-123")
        """
        if len(text) >= _MIN_MASKED_LEN:
            self._values.add(text)

    def mask(self, text: str) -> str:
        """``text`` with every remembered secret replaced by ``**********``.

        Example:
            >>> SecretMasker().mask("nothing to hide")
            'nothing to hide'
        """
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text
