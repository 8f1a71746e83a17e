"""`GeminiModel`: the Google Gemini (Developer API) adapter on the official ``google-genai`` SDK."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.adapters._errors import AuthenticationError, ModelError
from mxp_agents.adapters._gemini._client import (
    build_client,
    capturing,
    default_http_client,
    watch_responses,
)
from mxp_agents.adapters._gemini._errors import map_error
from mxp_agents.adapters._gemini._request import to_config, to_contents
from mxp_agents.adapters._gemini._response import Label, StreamMapper, to_response
from mxp_agents.adapters._provider import ProviderModel
from mxp_agents.config import Secret

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    import httpx
    from google import genai
    from google.genai import types

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["GeminiModel"]

_KEY_VARIABLES: Final = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_CLOSE_TIMEOUT: Final = 2.0
_SIGNATURE_LIMIT: Final = 4096


class GeminiModel(ProviderModel):
    """Google Gemini through the Gemini Developer API (``generateContent`` and
    ``streamGenerateContent``), with the official ``google-genai`` SDK running under trio.

    ``api_key`` defaults to the ``GEMINI_API_KEY`` then ``GOOGLE_API_KEY`` environment
    variable, and is held as a `Secret`. ``base_url`` points at another endpoint (a proxy, a
    fake server). ``http_client`` is used for every request (it stays open on `aclose`; the
    adapter adds a response hook to it that only acts on its own streamed calls); by default the
    adapter makes and owns one. The SDK's own retries are off: ``retry`` (a `RetryPolicy`)
    decides. ``timeout`` bounds a whole `complete` call or each wait for a streamed event, and
    is also each HTTP request's timeout.

    Raises:
        AuthenticationError: no API key was given and none is set in the environment.

    Example:
        >>> import trio
        >>> from mxp_agents.primitives import Message
        >>> from mxp_agents.adapters import ModelRequest
        >>> async def main() -> str:
        ...     async with GeminiModel("gemini-2.5-flash") as model:
        ...         request = ModelRequest((Message.user("Capital of France?"),))
        ...         return (await model.complete(request)).text
        >>> trio.run(main)  # doctest: +SKIP
        'Paris.'
    """

    provider = "gemini"

    def __init__(
        self,
        model: str = "gemini-2.5-flash",
        *,
        api_key: Secret | str | None = None,
        base_url: str | None = None,
        timeout: float | None = 60.0,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(model, timeout=timeout, retry=retry, prices=prices)
        self._key = _api_key(api_key, model)
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else default_http_client(timeout)
        watch_responses(self._http)
        self._client = build_client(
            key=self._key.reveal(), base_url=base_url, timeout=timeout, http_client=self._http
        )
        self._label = Label(self.provider, model)
        self._signatures: dict[str, bytes] = {}

    @property
    def client(self) -> genai.Client:
        """The SDK client the adapter calls (SDK retries off; `GeminiEmbedder` shares it).

        Example:
            >>> GeminiModel(api_key="AIza-example").client.vertexai
            False
        """
        return self._client

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        contents, config = self._prepare(request)
        models = self._client.aio.models
        response = await models.generate_content(  # pyright: ignore[reportUnknownMemberType]
            model=self._model, contents=contents, config=config
        )
        return to_response(response, self._label, self._remember)

    async def _stream_once(self, request: ModelRequest) -> AsyncGenerator[ModelEvent]:
        contents, config = self._prepare(request)
        mapper = StreamMapper(self._label, self._remember)
        responses: list[httpx.Response] = []
        stream = None
        try:
            with capturing(responses):
                models = self._client.aio.models
                stream = await models.generate_content_stream(  # pyright: ignore[reportUnknownMemberType]
                    model=self._model, contents=contents, config=config
                )
            while True:
                with capturing(responses):
                    try:
                        chunk = await anext(stream)
                    except StopAsyncIteration:
                        break
                for event in mapper.events(chunk):
                    yield event
            for event in mapper.finish():
                yield event
        finally:
            with trio.CancelScope(shield=True), trio.move_on_after(_CLOSE_TIMEOUT):
                await _close_stream(stream, responses)

    def _map_error(self, error: Exception) -> ModelError | None:
        return map_error(error, provider=self.provider, model=self._model, key=self._key.reveal())

    async def _close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def _prepare(
        self, request: ModelRequest
    ) -> tuple[list[types.Content], types.GenerateContentConfig]:
        system, contents = to_contents(request.messages, self._signatures)
        return contents, to_config(request, system)

    def _remember(self, call_id: str, signature: bytes) -> None:
        """Keep a function call's thought signature to send back with it (Gemini 3 needs it)."""
        signatures = self._signatures
        signatures.pop(call_id, None)
        signatures[call_id] = signature
        if len(signatures) > _SIGNATURE_LIMIT:
            del signatures[next(iter(signatures))]


async def _close_stream(
    stream: AsyncIterator[object] | None, responses: list[httpx.Response]
) -> None:
    """Close the HTTP responses, then run the SDK's stream to its end.

    The SDK's stream is a chain of nested async generators, and closing the outer one leaves
    the inner ones to the garbage collector (trio then warns and closes them later). With its
    response closed, the next read fails at once and that error ends every generator of the
    chain in order.
    """
    for response in responses:
        await response.aclose()
    if stream is None:
        return
    if responses:
        with contextlib.suppress(Exception):
            while True:
                await anext(stream)
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()


def _api_key(value: Secret | str | None, model: str) -> Secret:
    if isinstance(value, Secret):
        key = value
    elif isinstance(value, str):
        key = Secret(value)
    else:
        found = next((os.environ[name] for name in _KEY_VARIABLES if os.environ.get(name)), None)
        key = Secret(found) if found is not None else None
    if key is None or not key.reveal().strip():
        raise AuthenticationError(
            "no Gemini API key: pass GeminiModel(api_key=...) or set the GEMINI_API_KEY "
            "(or GOOGLE_API_KEY) environment variable; create a key at "
            "https://aistudio.google.com/apikey",
            provider=GeminiModel.provider,
            model=model,
        )
    return key
