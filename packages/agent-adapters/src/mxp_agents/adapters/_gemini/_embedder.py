"""`GeminiEmbedder`: the Gemini API's ``batchEmbedContents`` through the ``google-genai`` SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from google.genai import types

from mxp_agents.adapters._embedder import HostedEmbedder
from mxp_agents.adapters._errors import InvalidModelValue
from mxp_agents.adapters._gemini._model import GeminiModel

if TYPE_CHECKING:
    import httpx

    from mxp_agents.adapters._retry import RetryPolicy
    from mxp_agents.config import Secret

__all__ = ["GEMINI_EMBEDDING_DIMENSIONS", "GeminiEmbedder"]

GEMINI_EMBEDDING_DIMENSIONS: Final = {
    "gemini-embedding-001": 3072,
    "text-embedding-004": 768,
    "embedding-001": 768,
}
"""The vector length of Gemini's embedding models (without ``dimensions=``)."""


class GeminiEmbedder(HostedEmbedder):
    """Embeddings from the Gemini Developer API (``models/{model}:batchEmbedContents``).

    The client is built as for `GeminiModel` (``api_key`` / ``GEMINI_API_KEY`` /
    ``GOOGLE_API_KEY``, ``base_url``, ``http_client``), with its ``timeout`` and ``retry``.
    ``dimensions`` is sent as ``outputDimensionality`` when given (gemini-embedding-001
    takes 128 to 3072; only its 3072-float vectors come normalised); ``task_type`` (e.g.
    ``"RETRIEVAL_DOCUMENT"``, ``"RETRIEVAL_QUERY"``, ``"SEMANTIC_SIMILARITY"``) tunes the
    vectors for a use. ``max_batch`` is 100 texts, the API's limit per request.

    Example:
        >>> embedder = GeminiEmbedder(api_key="AIza-example", dimensions=768)
        >>> embedder.name, embedder.dimensions
        ('gemini-embedding-001', 768)
        >>> vectors = await embedder.embed(["hello"])  # doctest: +SKIP
    """

    known_dimensions = GEMINI_EMBEDDING_DIMENSIONS

    def __init__(
        self,
        model: str = "gemini-embedding-001",
        *,
        api_key: Secret | str | None = None,
        base_url: str | None = None,
        dimensions: int | None = None,
        task_type: str | None = None,
        max_batch: int = 100,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if task_type is not None and (not isinstance(task_type, str) or not task_type.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(
                f"task_type must be a non-empty str, got {task_type!r}", "$.task_type"
            )
        self._gemini = GeminiModel(
            model,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            http_client=http_client,
        )
        super().__init__(self._gemini, dimensions=dimensions, max_batch=max_batch)
        self._config = types.EmbedContentConfig(
            output_dimensionality=dimensions, task_type=task_type
        )

    async def _embed_once(self, texts: list[str]) -> list[list[float]]:
        models = self._gemini.client.aio.models
        answer = await models.embed_content(  # pyright: ignore[reportUnknownMemberType]
            model=self.name,
            contents=list(texts),  # pyright: ignore[reportArgumentType]
            config=self._config,
        )
        return [list(item.values or []) for item in answer.embeddings or []]
