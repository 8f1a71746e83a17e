"""`OpenAIEmbedder`: OpenAI's (or a compatible server's) ``/v1/embeddings`` through the SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from mxp_agents.adapters._embedder import HostedEmbedder
from mxp_agents.adapters._errors import MalformedResponseError
from mxp_agents.adapters._openai._model import OpenAIModel

if TYPE_CHECKING:
    import httpx
    import httpx2
    import openai

    from mxp_agents.adapters._retry import RetryPolicy
    from mxp_agents.config import Secret

__all__ = ["OPENAI_EMBEDDING_DIMENSIONS", "OpenAIEmbedder"]

OPENAI_EMBEDDING_DIMENSIONS: Final = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""The vector length of OpenAI's embedding models (without ``dimensions=``)."""


class OpenAIEmbedder(HostedEmbedder):
    """Embeddings from OpenAI (``POST /v1/embeddings``) or an OpenAI-compatible server.

    The client is built as for `OpenAIModel` (``api_key`` / ``OPENAI_API_KEY``, ``base_url``,
    ``organization``, ``client``, ``http_client``), with its ``timeout`` and ``retry``
    (429s wait for ``retry-after``). ``dimensions`` is sent to the API when given (the
    ``text-embedding-3`` models shorten their vectors to it); otherwise the table of OpenAI's
    models gives it, or the first answer does (compatible servers). The SDK asks for base64
    vectors and decodes them. ``max_batch`` texts go in one request (OpenAI takes up to 2048,
    and 300,000 tokens in all).

    Example:
        >>> embedder = OpenAIEmbedder("text-embedding-3-small", api_key="sk-example")
        >>> embedder.dimensions, embedder.remote
        (1536, True)
        >>> vectors = await embedder.embed(["hello", "world"])  # doctest: +SKIP
    """

    known_dimensions = OPENAI_EMBEDDING_DIMENSIONS

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: Secret | str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        dimensions: int | None = None,
        max_batch: int = 256,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        client: openai.AsyncOpenAI | None = None,
        http_client: httpx2.AsyncClient | httpx.AsyncClient | None = None,
    ) -> None:
        self._openai = OpenAIModel(
            model,
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            timeout=timeout,
            retry=retry,
            client=client,
            http_client=http_client,
        )
        super().__init__(self._openai, dimensions=dimensions, max_batch=max_batch)

    async def _embed_once(self, texts: list[str]) -> list[list[float]]:
        extra: dict[str, Any] = {}
        if self.requested_dimensions is not None:
            extra["dimensions"] = self.requested_dimensions
        try:
            answer = await self._openai.client.embeddings.create(
                model=self.name, input=texts, **extra
            )
        except ValueError as error:  # the SDK's "No embedding data received"
            raise MalformedResponseError(
                str(error), provider=self.provider, model=self.name, retryable=False
            ) from None
        ordered = sorted(answer.data, key=lambda item: item.index)
        if [item.index for item in ordered] != list(range(len(ordered))):
            raise MalformedResponseError(
                f"the embeddings answer has indexes {[item.index for item in answer.data]}, "
                f"expected 0..{len(ordered) - 1}",
                provider=self.provider,
                model=self.name,
                retryable=False,
            )
        return [list(item.embedding) for item in ordered]
