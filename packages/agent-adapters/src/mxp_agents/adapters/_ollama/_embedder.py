"""`OllamaEmbedder`: Ollama's ``POST /api/embed`` through the ``ollama`` SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mxp_agents.adapters._embedder import HostedEmbedder
from mxp_agents.adapters._ollama._model import OllamaModel

if TYPE_CHECKING:
    import ollama

    from mxp_agents.adapters._retry import RetryPolicy
    from mxp_agents.config import Secret

__all__ = ["OLLAMA_EMBEDDING_DIMENSIONS", "OllamaEmbedder"]

OLLAMA_EMBEDDING_DIMENSIONS: Final = {
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "all-minilm": 384,
    "snowflake-arctic-embed": 1024,
    "bge-m3": 1024,
    "embeddinggemma": 768,
}
"""The vector length of common Ollama embedding models (a ``:tag`` is ignored)."""


class OllamaEmbedder(HostedEmbedder):
    """Embeddings from an Ollama server (``POST /api/embed``), local or hosted.

    The client is built as for `OllamaModel` (``host`` / ``OLLAMA_HOST``, ``api_key`` for
    hosted Ollama, ``client``), with its ``timeout`` and ``retry``; ``keep_alive`` is how long
    Ollama keeps the model loaded. ``dimensions`` is sent when given (models that support it
    shorten their vectors); otherwise the table of common models gives it, or the first answer
    does. Ollama returns unit-length vectors. ``remote`` is True even for a local server: the
    texts leave the agent's process.

    Example:
        >>> embedder = OllamaEmbedder("nomic-embed-text")
        >>> embedder.dimensions
        768
        >>> vectors = await embedder.embed(["hello"])  # doctest: +SKIP
    """

    known_dimensions = OLLAMA_EMBEDDING_DIMENSIONS

    def __init__(
        self,
        model: str = "nomic-embed-text",
        *,
        host: str | None = None,
        api_key: Secret | str | None = None,
        dimensions: int | None = None,
        keep_alive: str | float | None = None,
        max_batch: int = 64,
        timeout: float | None = 120.0,
        retry: RetryPolicy | None = None,
        client: ollama.AsyncClient | None = None,
    ) -> None:
        self._ollama = OllamaModel(
            model,
            host=host,
            api_key=api_key,
            keep_alive=keep_alive,
            timeout=timeout,
            retry=retry,
            client=client,
        )
        self._keep_alive = keep_alive
        super().__init__(self._ollama, dimensions=dimensions, max_batch=max_batch)

    async def _embed_once(self, texts: list[str]) -> list[list[float]]:
        answer = await self._ollama.client.embed(
            model=self.name,
            input=texts,
            keep_alive=self._keep_alive,
            dimensions=self.requested_dimensions,
        )
        return [list(vector) for vector in answer.embeddings]
