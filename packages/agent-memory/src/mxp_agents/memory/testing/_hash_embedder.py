"""`HashEmbedder`: a deterministic, dependency-free `Embedder` for tests."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Final

import xxhash

from mxp_agents.memory._cached_embedder import check_texts
from mxp_agents.memory._errors import InvalidRecord

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["HashEmbedder"]

_WORD: Final = re.compile(r"\w+")
_WORD_WEIGHT: Final = 1.0
_GRAM_WEIGHT: Final = 0.35
_EMPTY: Final = "\x00empty"


class HashEmbedder:
    """Feature-hashed bag of words and character trigrams, L2-normalised: texts that share
    words are closer than unrelated ones, and the same text always gives the same vector.

    Each lower-cased word adds 1.0 and each of its character trigrams (with word boundaries)
    0.35 to a slot chosen by its xxh3 hash, with a hash-chosen sign. A text without words
    maps to a fixed vector, so every vector has unit length. ``calls`` counts `embed` calls,
    ``texts`` the texts embedded, ``batches`` the size of each call.

    Example:
        >>> import trio
        >>> embedder = HashEmbedder(dimensions=64)
        >>> a, b, c = trio.run(embedder.embed, ["reset my password", "password reset", "trains"])
        >>> dot = lambda x, y: sum(p * q for p, q in zip(x, y))
        >>> dot(a, b) > dot(a, c), embedder.calls
        (True, 1)
    """

    def __init__(
        self,
        dimensions: int = 256,
        *,
        name: str = "hash-embedder",
        remote: bool = False,
        max_batch: int = 64,
    ) -> None:
        for field, value in (("dimensions", dimensions), ("max_batch", max_batch)):
            if isinstance(value, bool) or not isinstance(value, int):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidRecord(f"expected int, got {type(value).__name__}", f"$.{field}")
            if value < 1:
                raise InvalidRecord(f"must be >= 1, got {value}", f"$.{field}")
        if not isinstance(name, str) or not name.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"name must be a non-empty str, got {name!r}", "$.name")
        if not isinstance(remote, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"expected bool, got {type(remote).__name__}", "$.remote")
        self._dimensions = dimensions
        self._name = name
        self._remote = remote
        self._max_batch = max_batch
        self.calls = 0
        """`embed` calls so far."""
        self.texts = 0
        """Texts embedded so far."""
        self.batches: list[int] = []
        """The number of texts of each `embed` call, in order."""

    @property
    def name(self) -> str:
        """The name given (``"hash-embedder"`` by default)."""
        return self._name

    @property
    def dimensions(self) -> int:
        """The vector length given."""
        return self._dimensions

    @property
    def remote(self) -> bool:
        """As given (False by default): set True to test the boundary gate."""
        return self._remote

    @property
    def max_batch(self) -> int:
        """The most texts one `embed` call takes (more raise `InvalidRecord`)."""
        return self._max_batch

    def __repr__(self) -> str:
        return f"HashEmbedder(dimensions={self._dimensions}, name={self._name!r})"

    def vector(self, text: str) -> list[float]:
        """The vector of one text, without counting a call.

        Example:
            >>> len(HashEmbedder(dimensions=8).vector("hello"))
            8
        """
        slots = [0.0] * self._dimensions
        words = _WORD.findall(text.lower())
        if not words:
            self._add(slots, _EMPTY + text.strip(), _WORD_WEIGHT)
        for word in words:
            self._add(slots, word, _WORD_WEIGHT)
            padded = f"<{word}>"
            for start in range(len(padded) - 2):
                self._add(slots, "#" + padded[start : start + 3], _GRAM_WEIGHT)
        norm = math.sqrt(sum(value * value for value in slots))
        return [value / norm for value in slots]

    def _add(self, slots: list[float], feature: str, weight: float) -> None:
        hashed = xxhash.xxh3_64_intdigest(feature.encode())
        sign = 1.0 if hashed & 1 else -1.0
        slots[(hashed >> 1) % self._dimensions] += sign * weight

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One unit vector per text, in order.

        Raises:
            InvalidRecord: ``texts`` is not a sequence of str (with the path of the bad item),
                or holds more than ``max_batch`` texts.

        Example:
            >>> import trio
            >>> [len(v) for v in trio.run(HashEmbedder(dimensions=4).embed, ["a", "b"])]
            [4, 4]
        """
        checked = check_texts(texts)
        if len(checked) > self._max_batch:
            raise InvalidRecord(
                f"{len(checked)} texts in one call, max_batch is {self._max_batch}", "$"
            )
        self.calls += 1
        self.texts += len(checked)
        self.batches.append(len(checked))
        return [self.vector(text) for text in checked]
