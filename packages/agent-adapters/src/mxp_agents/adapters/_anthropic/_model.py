"""`AnthropicModel`: Claude through Anthropic's Messages API and the official ``anthropic`` SDK."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final, cast

import anthropic
import trio

from mxp_agents.adapters._anthropic._errors import map_error
from mxp_agents.adapters._anthropic._request import AnthropicCall, build_call
from mxp_agents.adapters._anthropic._response import response_from_message
from mxp_agents.adapters._anthropic._stream import StreamTranslator
from mxp_agents.adapters._errors import AuthenticationError, InvalidModelValue, TransientModelError
from mxp_agents.adapters._provider import ProviderModel
from mxp_agents.config import Secret

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    import httpx2
    from anthropic import AsyncStream
    from anthropic.types import (
        Message,
        MessageParam,
        MetadataParam,
        OutputConfigParam,
        RawMessageStreamEvent,
        TextBlockParam,
        ToolChoiceParam,
        ToolParam,
    )

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._errors import ModelError
    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["AnthropicModel", "send"]

API_KEY_ENV: Final = "ANTHROPIC_API_KEY"
_CLOSE_TIMEOUT: Final = 2.0  # seconds allowed to close an abandoned stream's connection


class AnthropicModel(ProviderModel):
    """Claude models through Anthropic's Messages API (``POST /v1/messages``).

    The key comes from ``api_key`` (a `Secret` or str) or the ``ANTHROPIC_API_KEY``
    environment variable; without one, construction raises `AuthenticationError`. Pass
    ``client`` to use your own ``anthropic.AsyncAnthropic`` (the adapter calls a copy that
    shares its connections, with the SDK's retries off; `aclose` leaves it open), or
    ``http_client`` (an ``httpx2.AsyncClient``, which the SDK requires) to tune connections.
    ``default_max_tokens`` is sent when the request sets no ``max_output_tokens`` (the API
    requires a limit); ``cache_system`` marks the system prompt for prompt caching. Retries,
    timeouts and cost are `ProviderModel`'s.

    Example:
        >>> from mxp_agents.adapters.anthropic import AnthropicModel
        >>> model = AnthropicModel("claude-haiku-4-5", api_key="sk-ant-...", cache_system=True)
        >>> async with model:
        ...     response = await model.complete(ModelRequest((Message.user("Hi"),)))
        >>> response.provider
        'anthropic'
    """

    provider = "anthropic"

    def __init__(
        self,
        model: str = "claude-haiku-4-5",
        *,
        api_key: Secret | str | None = None,
        base_url: str | None = None,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        client: anthropic.AsyncAnthropic | None = None,
        http_client: httpx2.AsyncClient | None = None,
        default_max_tokens: int = 4096,
        cache_system: bool = False,
    ) -> None:
        super().__init__(model, timeout=timeout, retry=retry, prices=prices)
        if isinstance(default_max_tokens, bool) or not isinstance(default_max_tokens, int):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidModelValue(
                f"expected int, got {type(default_max_tokens).__name__}", "$.default_max_tokens"
            )
        if default_max_tokens <= 0:
            raise InvalidModelValue(
                f"default_max_tokens must be > 0, got {default_max_tokens}", "$.default_max_tokens"
            )
        self.default_max_tokens = default_max_tokens
        """``max_tokens`` sent when a request sets no ``max_output_tokens``."""
        self.cache_system = bool(cache_system)
        """Whether the system prompt is marked for prompt caching."""
        if client is not None:
            if api_key is not None or base_url is not None or http_client is not None:
                raise InvalidModelValue(
                    "pass either client, or api_key / base_url / http_client to build one",
                    "$.client",
                )
            # A copy sharing the caller's connection pool, with the SDK's retries off.
            self._client = client.with_options(max_retries=0, timeout=timeout)
            self._owns_client = False
            self._secret = client.api_key or client.auth_token
            return
        key = _api_key(api_key, model)
        self._secret = key.reveal()
        self._client = anthropic.AsyncAnthropic(
            api_key=self._secret,
            base_url=base_url,
            timeout=timeout,
            max_retries=0,  # ProviderModel retries
            http_client=http_client,
        )
        self._owns_client = http_client is None  # a passed http_client stays the caller's

    @property
    def client(self) -> anthropic.AsyncAnthropic:
        """The SDK client the calls go through.

        Example:
            >>> AnthropicModel(api_key="sk-ant-...").client.max_retries
            0
        """
        return self._client

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        message = await send(self._client, self._call(request), stream=False)
        return response_from_message(cast("Message", message), model=self.model_name)

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        call = self._call(request)
        stream = cast(
            "AsyncStream[RawMessageStreamEvent]", await send(self._client, call, stream=True)
        )
        translator = StreamTranslator()
        try:
            async for raw in stream:
                if translator.finished:
                    continue  # nothing follows message_stop; read the body to its end
                event = translator.translate(raw)
                if event is not None:
                    yield event
        finally:
            # Shielded so that a cancelled caller still closes the HTTP connection.
            with trio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                await stream.close()
        if not translator.finished:
            raise TransientModelError(
                "the stream ended before message_stop",
                provider=self.provider,
                model=self.model_name,
            )

    def _map_error(self, error: Exception) -> ModelError | None:
        return map_error(error, model=self.model_name, secret=self._secret)

    async def _close(self) -> None:
        if self._owns_client:
            await self._client.close()

    def _call(self, request: ModelRequest) -> AnthropicCall:
        return build_call(
            request,
            model=self.model_name,
            default_max_tokens=self.default_max_tokens,
            cache_system=self.cache_system,
        )


async def send(
    client: anthropic.AsyncAnthropic, call: AnthropicCall, *, stream: bool
) -> Message | AsyncStream[RawMessageStreamEvent]:
    """Send ``call`` through ``client``'s ``messages.create`` (a stream when ``stream``).

    Example:
        >>> message = await send(client, build_call(request, model="claude-haiku-4-5",
        ...                                          default_max_tokens=256), stream=False)
    """
    # The wire parts are plain dicts built by `build_call`; the SDK types them as TypedDicts.
    omit = anthropic.omit
    return await client.messages.create(
        model=call.model,
        max_tokens=call.max_tokens,
        messages=cast("list[MessageParam]", call.messages),
        stream=stream,
        system=omit if call.system is None else cast("list[TextBlockParam]", call.system),
        tools=omit if call.tools is None else cast("list[ToolParam]", call.tools),
        tool_choice=omit if call.tool_choice is None else cast("ToolChoiceParam", call.tool_choice),
        stop_sequences=omit if call.stop_sequences is None else call.stop_sequences,
        output_config=omit
        if call.output_config is None
        else cast("OutputConfigParam", call.output_config),
        metadata=omit if call.metadata is None else cast("MetadataParam", call.metadata),
        extra_body=call.extra_body,
    )


def _api_key(api_key: Secret | str | None, model: str) -> Secret:
    if isinstance(api_key, Secret):
        key = api_key
    elif isinstance(api_key, str):
        key = Secret(api_key)
    elif api_key is None:
        key = Secret(os.environ.get(API_KEY_ENV, ""))
    else:
        raise InvalidModelValue(
            f"api_key must be a Secret or str, got {type(api_key).__name__}", "$.api_key"
        )
    if not key.reveal().strip():
        raise AuthenticationError(
            f"no Anthropic API key: pass api_key=... (a Secret or str) or set the {API_KEY_ENV} "
            "environment variable",
            provider="anthropic",
            model=model,
        )
    return key
