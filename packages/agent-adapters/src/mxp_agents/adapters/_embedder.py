"""`HostedEmbedder`: what the OpenAI, Gemini and Ollama embedders share — input checks,
batching, the dimension rule, and the provider adapter's client, retries, timeout and errors.

The embedders satisfy ``mxp_agents.memory.Embedder`` by shape (``name``, ``dimensions``,
``remote``, ``max_batch``, ``embed``); this package does not import the memory package.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Self

from mxp_agents.adapters._errors import InvalidModelValue, MalformedResponseError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from mxp_agents.adapters._provider import ProviderModel

__all__ = ["HostedEmbedder", "check_texts", "positive_int"]


def positive_int(value: object, path: str) -> int:
    """``value`` if it is an int >= 1, else `InvalidModelValue` at ``path``.

    Example:
        >>> positive_int(8, "$.max_batch")
        8
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidModelValue(f"expected int, got {type(value).__name__}", path)
    if value < 1:
        raise InvalidModelValue(f"must be >= 1, got {value}", path)
    return value


def check_texts(texts: object) -> list[str]:
    """``texts`` as a list of str; `InvalidModelValue` with the path of the first bad item.

    Example:
        >>> check_texts(["a", 2])
        Traceback (most recent call last):
        ...
        mxp_agents.adapters._errors.InvalidModelValue: expected str, got int - at $[1]
    """
    if isinstance(texts, str | bytes):
        kind = type(texts).__name__
        raise InvalidModelValue(
            f"expected a sequence of texts, got a lone {kind} (wrap one text in a list)", "$"
        )
    if not isinstance(texts, Sequence):
        raise InvalidModelValue(f"expected a sequence of str, got {type(texts).__name__}", "$")
    items: Sequence[object] = texts  # pyright: ignore[reportUnknownVariableType]
    checked: list[str] = []
    for index, text in enumerate(items):
        if not isinstance(text, str):
            raise InvalidModelValue(f"expected str, got {type(text).__name__}", f"$[{index}]")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise InvalidModelValue(
                    f"text is not valid Unicode: {error.reason} at character {error.start}",
                    f"$[{index}]",
                ) from None
        checked.append(text)
    return checked


_UNKNOWN: Final = 0


class HostedEmbedder(abc.ABC):
    """Base of the hosted embedders: a subclass sends one batch (`_embed_once`); this class
    checks the input, splits it into batches of ``max_batch``, runs each batch through the
    provider adapter's `ProviderModel.call_with_retries` (timeout, retries with retry-after,
    errors mapped to `ModelError` with the key masked) and checks every answer.

    ``dimensions``: the value given (then also asked of the API, which shortens the vectors),
    else the model's entry in the subclass's table of known models, else learned from the
    first answer — until then reading ``dimensions`` raises `InvalidModelValue` saying so. An
    answer with another length raises `MalformedResponseError` (not retryable).

    Example:
        >>> async with OpenAIEmbedder("text-embedding-3-small") as embedder:  # doctest: +SKIP
        ...     vectors = await embedder.embed(["hello", "world"])
    """

    known_dimensions: Mapping[str, int]
    """Vector lengths of the provider's models, by name (a subclass attribute)."""

    def __init__(
        self, connection: ProviderModel, *, dimensions: int | None, max_batch: int
    ) -> None:
        if dimensions is not None:
            positive_int(dimensions, "$.dimensions")
        self._connection = connection
        self._requested = dimensions
        self._dimensions = dimensions or self._lookup(connection.model_name) or _UNKNOWN
        self._max_batch = positive_int(max_batch, "$.max_batch")

    def _lookup(self, model: str) -> int | None:
        table = self.known_dimensions
        return table.get(model) or table.get(model.split(":", 1)[0].removeprefix("models/"))

    @property
    def provider(self) -> str:
        """The provider's short name (``"openai"``, ``"gemini"``, ``"ollama"``)."""
        return self._connection.provider

    @property
    def name(self) -> str:
        """The model's name, as the provider knows it."""
        return self._connection.model_name

    @property
    def dimensions(self) -> int:
        """The length of each vector (see the class docstring for where it comes from)."""
        if self._dimensions == _UNKNOWN:
            raise InvalidModelValue(
                f"the vector length of {self.provider} model {self.name!r} is not known yet: "
                "pass dimensions=..., or embed once first (it is learned from the answer)",
                "$.dimensions",
            )
        return self._dimensions

    @property
    def remote(self) -> bool:
        """True: the texts are sent to the provider."""
        return True

    @property
    def max_batch(self) -> int:
        """Texts per request (`embed` takes more and sends several requests)."""
        return self._max_batch

    @property
    def connection(self) -> ProviderModel:
        """The provider adapter whose client, retries, timeout and error mapping are used."""
        return self._connection

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.name!r})"

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order; ``max_batch`` texts per request.

        Raises:
            InvalidModelValue: ``texts`` is a lone str or holds a non-str (with its path).
            ModelError: the provider failed (after the retries allowed), or answered with the
                wrong number or length of vectors (`MalformedResponseError`).

        Example:
            >>> [len(v) for v in await embedder.embed(["a", "b"])]  # doctest: +SKIP
            [1536, 1536]
        """
        checked = check_texts(texts)
        vectors: list[list[float]] = []
        size = self._max_batch
        for start in range(0, len(checked), size):
            batch = checked[start : start + size]
            answer = await self._connection.call_with_retries(lambda b=batch: self._embed_once(b))
            vectors.extend(self._checked(answer, len(batch), start))
        return vectors

    def _checked(self, answer: list[list[float]], count: int, offset: int) -> list[list[float]]:
        if len(answer) != count:
            raise self._malformed(f"{len(answer)} vectors for {count} texts")
        for index, vector in enumerate(answer):
            wanted = self._dimensions or len(vector)
            if len(vector) != wanted or not vector:
                raise self._malformed(
                    f"a vector of {len(vector)} floats for text {offset + index}, expected "
                    f"{wanted} (the model's dimensions)"
                )
            if not all(math.isfinite(x) for x in vector):
                raise self._malformed(f"a non-finite value in the vector of text {offset + index}")
            self._dimensions = wanted
        return answer

    def _malformed(self, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"the embeddings answer has {what}",
            provider=self.provider,
            model=self.name,
            retryable=False,
        )

    @abc.abstractmethod
    async def _embed_once(self, texts: list[str]) -> list[list[float]]:
        """One request for ``texts`` (at most ``max_batch``): the vectors, in order."""

    async def aclose(self) -> None:
        """Close the SDK client the embedder owns (one passed in stays open).

        Example:
            >>> await embedder.aclose()  # doctest: +SKIP
        """
        await self._connection.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def requested_dimensions(self) -> int | None:
        """The ``dimensions`` given to the constructor (sent to the API), or None."""
        return self._requested
