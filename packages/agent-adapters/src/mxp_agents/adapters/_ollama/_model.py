"""`OllamaModel`: the `ProviderModel` for Ollama's native ``/api/chat`` through the ollama SDK."""

from __future__ import annotations

import math
import os
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx
import ollama

from mxp_agents.adapters._errors import InvalidModelValue, MalformedResponseError
from mxp_agents.adapters._ollama._errors import ErrorContext, map_error
from mxp_agents.adapters._ollama._request import ChatBody, chat_body
from mxp_agents.adapters._ollama._response import StreamMapper, response_of
from mxp_agents.adapters._provider import ProviderModel
from mxp_agents.config import Secret

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._errors import ModelError
    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["DEFAULT_HOST", "OllamaModel"]

DEFAULT_HOST: Final = "http://127.0.0.1:11434"
"""Where a local Ollama listens when neither ``host=`` nor ``OLLAMA_HOST`` says otherwise."""

_CHAT_PATH: Final = "/api/chat"
_THINK_LEVELS: Final = ("low", "medium", "high", "max")


class OllamaModel(ProviderModel):
    """A model served by Ollama (local, or hosted at ollama.com), via the ``ollama`` SDK.

    ``host`` defaults to the ``OLLAMA_HOST`` environment variable, else
    ``http://127.0.0.1:11434``; ``api_key`` (a `Secret` or str) is sent as a bearer token,
    for hosted Ollama only. ``options`` are Ollama model options sent with every call
    (``num_ctx``, ``seed``, ``top_p``...; a request's temperature, output limit and stop
    sequences override theirs); ``keep_alive`` is how long Ollama keeps the model loaded
    (``"5m"``, seconds, ``-1`` forever). ``think`` switches a thinking model's reasoning on
    or off, or sets its level (``"low"`` ... ``"max"``); the reasoning text is not part of
    the answer, its tokens count as output. ``client`` uses your own ``ollama.AsyncClient``
    (then ``host`` and ``api_key`` must be left out, and the client stays open on `aclose`).
    ``timeout``, ``retry`` and ``prices`` are as for every `ProviderModel`; the SDK itself
    never retries. Local models cost nothing in the default `PriceTable`.

    Example:
        >>> import trio
        >>> from mxp_agents.adapters import ModelRequest
        >>> from mxp_agents.primitives import Message
        >>> async def main() -> str:
        ...     async with OllamaModel("llama3.2", options={"num_ctx": 8192}) as model:
        ...         response = await model.complete(ModelRequest((Message.user("Hi!"),)))
        ...     return response.text
        >>> trio.run(main)  # doctest: +SKIP
        'Hello! How can I help you today?'
    """

    provider = "ollama"

    def __init__(
        self,
        model: str = "llama3.2",
        *,
        host: str | None = None,
        timeout: float | None = 120.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        client: ollama.AsyncClient | None = None,
        keep_alive: str | float | None = None,
        options: Mapping[str, Any] | None = None,
        api_key: Secret | str | None = None,
        think: bool | Literal["low", "medium", "high", "max"] | None = None,
    ) -> None:
        super().__init__(model, timeout=timeout, retry=retry, prices=prices)
        self._options: dict[str, Any] = _checked_options(options)
        self._keep_alive = _checked_keep_alive(keep_alive)
        self._think = _checked_think(think)
        key = _checked_key(api_key)
        if client is not None:
            if not isinstance(client, ollama.AsyncClient):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidModelValue(
                    f"expected ollama.AsyncClient, got {type(client).__name__}", "$.client"
                )
            if host is not None or key is not None:
                raise InvalidModelValue(
                    "pass either client= or host= / api_key=, not both: a client brings its own",
                    "$.client",
                )
            self._client = client
            self._owns_client = False
            self._host = _base_url(client) or host or DEFAULT_HOST
        else:
            if host is not None and (not isinstance(host, str) or not host.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidModelValue(f"host must be a non-empty str, got {host!r}", "$.host")
            wanted = host or os.environ.get("OLLAMA_HOST") or DEFAULT_HOST
            headers = {"authorization": f"Bearer {key.reveal()}"} if key is not None else None
            self._client = ollama.AsyncClient(wanted, timeout=timeout, headers=headers)
            self._owns_client = True
            self._host = _base_url(self._client) or wanted
        self._where = ErrorContext(
            self.provider, model, self._host, key.reveal() if key is not None else None
        )

    @property
    def host(self) -> str:
        """The Ollama server's base URL.

        Example:
            >>> OllamaModel(host="http://gpu-box:11434").host
            'http://gpu-box:11434'
        """
        return self._host

    @property
    def client(self) -> ollama.AsyncClient:
        """The SDK client the adapter calls (`OllamaEmbedder` shares it).

        Example:
            >>> isinstance(OllamaModel().client, ollama.AsyncClient)
            True
        """
        return self._client

    def __repr__(self) -> str:
        return f"OllamaModel(model={self.model_name!r}, host={self._host!r})"

    def _body(self, request: ModelRequest, *, stream: bool) -> ChatBody:
        return chat_body(
            request,
            self.model_name,
            stream=stream,
            options=self._options,
            keep_alive=self._keep_alive,
            think=self._think,
        )

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        # The SDK's chat() re-validates tools through pydantic models that keep only a few
        # JSON Schema keywords (no anyOf, $ref, nested properties, additionalProperties...);
        # its _request sends our body unchanged, with the SDK's transport, errors and types.
        chat = await self._client._request(  # pyright: ignore[reportPrivateUsage, reportUnknownMemberType]
            ollama.ChatResponse, "POST", _CHAT_PATH, json=self._body(request, stream=False)
        )
        return response_of(chat, model=self.model_name, provider=self.provider)

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        chunks: AsyncIterator[ollama.ChatResponse] = await self._client._request(  # pyright: ignore[reportPrivateUsage, reportUnknownMemberType]
            ollama.ChatResponse,
            "POST",
            _CHAT_PATH,
            json=self._body(request, stream=True),
            stream=True,
        )
        mapper = StreamMapper()
        try:
            async for chunk in chunks:
                for event in mapper.events(chunk):
                    yield event
            if not mapper.finished:
                raise MalformedResponseError(
                    "the stream ended before its final chunk (done: true)",
                    provider=self.provider,
                    model=self.model_name,
                )
        finally:
            # Closing the SDK's generator leaves its ``async with client.stream(...)``,
            # which closes the HTTP response (and its connection when unread).
            if isinstance(chunks, AsyncGenerator):
                await chunks.aclose()

    def _map_error(self, error: Exception) -> ModelError | None:
        return map_error(error, self._where)

    async def _close(self) -> None:
        if self._owns_client:
            await self._client.close()


def _checked_options(options: object) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InvalidModelValue(
            f"options must be a mapping of Ollama option names, got {type(options).__name__}",
            "$.options",
        )
    items: Mapping[object, Any] = options  # pyright: ignore[reportUnknownVariableType]
    checked: dict[str, Any] = {}
    for name, value in items.items():
        if not isinstance(name, str) or not name:
            raise InvalidModelValue(f"an option name is a non-empty str, got {name!r}", "$.options")
        checked[name] = value
    return checked


def _checked_keep_alive(value: object) -> str | float | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidModelValue(
            f'keep_alive is a duration like "5m", seconds, or None, got {value!r}', "$.keep_alive"
        )
    return value


def _checked_think(value: object) -> bool | str | None:
    if value is None or isinstance(value, bool) or value in _THINK_LEVELS:
        return value  # pyright: ignore[reportReturnType]
    raise InvalidModelValue(
        f'think is True, False, "low", "medium", "high", "max" or None, got {value!r}', "$.think"
    )


def _checked_key(api_key: object) -> Secret | None:
    if api_key is None or isinstance(api_key, Secret):
        return api_key
    if isinstance(api_key, str):
        return Secret(api_key)
    raise InvalidModelValue(
        f"api_key must be a Secret or a str, got {type(api_key).__name__}", "$.api_key"
    )


def _base_url(client: ollama.AsyncClient) -> str | None:
    # The SDK normalises the host ("localhost" -> "http://localhost:11434") into the base URL
    # of the httpx client it wraps; read it for error messages, if the SDK still has one.
    inner: object = getattr(client, "_client", None)
    if isinstance(inner, httpx.AsyncClient):
        return str(inner.base_url).rstrip("/")
    return None
