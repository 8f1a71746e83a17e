"""`OpenAIModel`: the OpenAI Chat Completions API (and compatible servers) as a model adapter."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import openai

from mxp_agents.adapters._errors import AuthenticationError, InvalidModelValue
from mxp_agents.adapters._openai._errors import map_openai_error
from mxp_agents.adapters._openai._request import chat_params
from mxp_agents.adapters._openai._response import response_of
from mxp_agents.adapters._openai._stream import ChunkMapper
from mxp_agents.adapters._provider import ProviderModel
from mxp_agents.config import Secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import httpx
    import httpx2

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._errors import ModelError
    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["NO_KEY", "OpenAIModel"]

NO_KEY: Final = "no-key"
"""The placeholder key sent to a compatible server (``base_url``) when no key is configured."""

_KEY_VARIABLE: Final = "OPENAI_API_KEY"
_MIN_MASKED: Final = 12  # characters: shorter keys are placeholders, not credentials
_BASE_URL_VARIABLE: Final = "OPENAI_BASE_URL"


class OpenAIModel(ProviderModel):
    """An OpenAI chat model through the official ``openai`` SDK (Chat Completions API).

    ``api_key`` defaults to the ``OPENAI_API_KEY`` environment variable and is kept as a
    `Secret`; without a key and without ``base_url`` the constructor raises
    `AuthenticationError`. ``base_url`` aims the adapter at any OpenAI-compatible server
    (vLLM, llama.cpp ``llama-server``, LM Studio, Ollama's ``/v1``...), which needs no key:
    a placeholder is sent then. ``client`` uses your own ``openai.AsyncOpenAI`` (its
    ``with_options(max_retries=0, timeout=timeout)`` copy, so retries stay with ``retry``;
    you keep closing it); ``http_client`` an ``httpx2.AsyncClient`` (or legacy
    ``httpx.AsyncClient``) of yours, which stays open too. ``extra_body`` adds fields to every
    request body (e.g. vLLM's ``{"top_k": 20}``). ``timeout``, ``retry`` and ``prices`` are
    `ProviderModel`'s.

    Example:
        >>> from mxp_agents.adapters import ModelRequest
        >>> from mxp_agents.primitives import Message
        >>> async with OpenAIModel("gpt-4o-mini") as model:  # doctest: +SKIP
        ...     response = await model.complete(ModelRequest((Message.user("Hi"),)))
        >>> local = OpenAIModel("qwen2.5", base_url="http://127.0.0.1:8000/v1")
        >>> local.model_name
        'qwen2.5'
    """

    provider = "openai"

    def __init__(
        self,
        model: str = "gpt-4o-mini",
        *,
        api_key: Secret | str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        client: openai.AsyncOpenAI | None = None,
        http_client: httpx2.AsyncClient | httpx.AsyncClient | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(model, timeout=timeout, retry=retry, prices=prices)
        if extra_body is not None and not isinstance(extra_body, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            kind = type(extra_body).__name__
            raise InvalidModelValue(f"extra_body must be a mapping, got {kind}", "$.extra_body")
        self._extra_body: dict[str, Any] = dict(extra_body or {})
        if client is not None:
            given = [
                name
                for name, value in (
                    ("api_key", api_key),
                    ("base_url", base_url),
                    ("organization", organization),
                    ("http_client", http_client),
                )
                if value is not None
            ]
            if given:
                raise InvalidModelValue(
                    f"pass either client or {', '.join(given)}: a client brings its own",
                    "$.client",
                )
            self._secret = Secret(client.api_key or "")
            self._client = client.with_options(max_retries=0, timeout=timeout)
            self._owns_client = False
            return
        self._secret = self._resolve_key(api_key, base_url)
        self._client = openai.AsyncOpenAI(
            api_key=self._secret.reveal(),
            base_url=base_url,
            organization=organization,
            timeout=timeout,
            max_retries=0,
            http_client=http_client,  # pyright: ignore[reportArgumentType] - SDK takes httpx too
        )
        self._owns_client = http_client is None

    def _resolve_key(self, api_key: Secret | str | None, base_url: str | None) -> Secret:
        if isinstance(api_key, Secret):
            key = api_key
        elif isinstance(api_key, str):
            key = Secret(api_key)
        elif api_key is None:
            key = Secret(os.environ.get(_KEY_VARIABLE, ""))
        else:
            kind = type(api_key).__name__
            raise InvalidModelValue(f"api_key must be a Secret or str, got {kind}", "$.api_key")
        if key.reveal().strip():
            return key
        if base_url or os.environ.get(_BASE_URL_VARIABLE):
            return Secret(NO_KEY)
        raise AuthenticationError(
            f"no OpenAI API key: pass api_key=... or set the {_KEY_VARIABLE} environment "
            "variable (or give base_url=... for a compatible server that needs no key)",
            provider=self.provider,
            model=self.model_name,
        )

    @property
    def client(self) -> openai.AsyncOpenAI:
        """The SDK client the adapter calls (SDK retries off).

        Example:
            >>> OpenAIModel(api_key="sk-example").client.max_retries
            0
        """
        return self._client

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        params = chat_params(request, self.model_name, self._extra_body)
        completion = await self._client.chat.completions.create(**params)
        return response_of(completion, model=self.model_name, provider=self.provider)

    async def _stream_once(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        params = chat_params(request, self.model_name, self._extra_body)
        stream = await self._client.chat.completions.create(
            **params, stream=True, stream_options={"include_usage": True}
        )
        mapper = ChunkMapper(model=self.model_name, provider=self.provider)
        try:
            async for chunk in stream:
                for event in mapper.events(chunk):
                    yield event
            yield mapper.finish()
        finally:
            await stream.close()

    def _map_error(self, error: Exception) -> ModelError | None:
        key = self._secret.reveal()
        # Mask the key wherever a message echoes it; a placeholder or a toy key of a local
        # server ("x", "lm-studio") is no secret, and masking it would garble messages.
        secret = key if len(key) >= _MIN_MASKED and key != NO_KEY else None
        return map_openai_error(error, provider=self.provider, model=self.model_name, secret=secret)

    async def _close(self) -> None:
        if self._owns_client:
            await self._client.close()
