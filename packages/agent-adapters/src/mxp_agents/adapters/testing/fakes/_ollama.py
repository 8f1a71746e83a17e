"""`FakeOllama`, a scripted loopback Ollama server, and `OllamaHarness` for conformance."""

from __future__ import annotations

import itertools
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final

import msgspec
import ollama
import trio

from mxp_agents.adapters._ollama._model import OllamaModel
from mxp_agents.adapters._ollama._request import chat_body
from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.adapters.testing._http_server import FakeHTTPServer
from mxp_agents.adapters.testing._http_types import HTTPResponse
from mxp_agents.adapters.testing.fakes._ollama_wire import (
    answer,
    error_response,
    not_found,
    seen_request,
    streamed,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._retry import RetryPolicy
    from mxp_agents.adapters.testing._http_types import HTTPRequest, StreamingResponse
    from mxp_agents.adapters.testing.conformance._types import Reply, SeenRequest

__all__ = ["FakeOllama", "OllamaHarness"]

_EXHAUSTED: Final = "fake server: script exhausted"


class FakeOllama:
    """A loopback Ollama server that plays scripted `Reply`s on ``POST /api/chat``.

    Each request takes the next reply (``cycle=True`` repeats them forever; past the end it
    answers HTTP 500 ``fake server: script exhausted``) and answers it as Ollama does: a JSON
    object for ``"stream": false``, else ``application/x-ndjson`` lines (text in small
    pieces, each tool call whole, a final ``done`` line with the counts). Errors are
    ``{"error": "..."}`` with Ollama's statuses. ``models``, when given, lists the pulled
    models: asking for another one gets Ollama's 404 ``model "x" not found, try pulling it
    first``. `seen` has every chat request translated back into our terms.

    Example:
        >>> from mxp_agents.adapters.testing.conformance import Reply
        >>> async with FakeOllama([Reply(text="Hi")]).serving() as fake:  # doctest: +SKIP
        ...     model = OllamaModel("llama3.2", host=fake.url)
    """

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        cycle: bool = False,
        models: Iterable[str] | None = None,
    ) -> None:
        self._replies: Iterator[Reply] = (
            itertools.cycle(replies) if cycle and replies else iter(tuple(replies))
        )
        self._models = None if models is None else frozenset(models)
        self._server = FakeHTTPServer(self._handle)
        self._serving = False
        self.seen: list[SeenRequest] = []
        """The chat requests received, in order, as `SeenRequest`s."""

    @asynccontextmanager
    async def serving(self) -> AsyncGenerator[FakeOllama]:
        """Serve on a free port of 127.0.0.1 until the block ends.

        Example:
            >>> async with FakeOllama().serving() as fake:  # doctest: +SKIP
            ...     fake.url
            'http://127.0.0.1:53211'
        """
        async with self._server.serving():
            self._serving = True
            try:
                yield self
            finally:
                self._serving = False

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` while serving.

        Example:
            >>> fake.url  # doctest: +SKIP
            'http://127.0.0.1:53211'
        """
        return self._server.url

    @property
    def serving_now(self) -> bool:
        """Whether the server is up (inside `serving`).

        Example:
            >>> FakeOllama().serving_now
            False
        """
        return self._serving

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every HTTP request received (any path), in order.

        Example:
            >>> fake.requests[0].path  # doctest: +SKIP
            '/api/chat'
        """
        return self._server.requests

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned before their final line.

        Example:
            >>> fake.disconnects  # doctest: +SKIP
            1
        """
        return self._server.disconnects

    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        if request.method != "POST" or request.path != "/api/chat":
            return HTTPResponse.text("404 page not found", status=404)
        try:
            body: Any = request.json()
        except msgspec.DecodeError as error:
            return HTTPResponse.json({"error": str(error)}, status=400)
        if not isinstance(body, dict):
            return HTTPResponse.json({"error": "missing request body"}, status=400)
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        if not fields.get("model"):
            return HTTPResponse.json({"error": "model is required"}, status=400)
        model = str(fields["model"])
        self.seen.append(seen_request(fields, request.headers))
        if self._models is not None and model not in self._models:
            return not_found(model)
        reply = next(self._replies, None)
        if reply is None:
            return HTTPResponse.json({"error": _EXHAUSTED}, status=500)
        if reply.delay > 0:
            await trio.sleep(reply.delay)
        if reply.error is not None:
            seen = self.seen[-1]
            return error_response(reply.error, model, seen.api_key)
        if fields.get("stream", True):
            return streamed(reply, model)
        return answer(reply, model)


class OllamaHarness:
    """The conformance `Harness` of `OllamaModel`: the real adapter and the real ``ollama``
    SDK against a `FakeOllama`.

    Example:
        >>> import pytest
        >>> from mxp_agents.adapters.testing import conformance
        >>> HARNESS = OllamaHarness()
        >>> @pytest.mark.parametrize("name", conformance.check_names(HARNESS))
        ... async def test_conformance(name: str) -> None:
        ...     await conformance.run_check(name, HARNESS)
    """

    name = "ollama"
    scriptable = True
    features: frozenset[str] = frozenset(
        {
            "tools",
            "parallel_tool_calls",
            "json_schema",
            "stop",
            "temperature",
            "errors",
            "retry_after",
            "cancel_disconnect",
        }
    )

    def __init__(
        self, model_name: str = "llama3.2", api_key: str = "ollama-test-4f9c2a7e1b"
    ) -> None:
        self.model_name = model_name
        self.api_key = api_key
        self._fake: FakeOllama | None = None
        self._direct: ollama.AsyncClient | None = None
        self._timeout: float | None = None

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the adapter's setting, per Harness
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[OllamaModel]:
        """An `OllamaModel` aimed at a `FakeOllama` playing ``replies`` (NO_RETRY by default).

        Example:
            >>> async with OllamaHarness().model([Reply(text="Hi")]) as model:  # doctest: +SKIP
            ...     (await model.complete(request)).text
            'Hi'
        """
        fake = FakeOllama(replies, cycle=cycle)
        async with fake.serving():
            self._fake = fake
            self._timeout = timeout
            adapter = OllamaModel(
                self.model_name,
                host=fake.url,
                timeout=timeout,
                retry=retry if retry is not None else NO_RETRY,
                prices=prices,
                api_key=self.api_key,
            )
            try:
                async with adapter:
                    yield adapter
            finally:
                direct, self._direct = self._direct, None
                if direct is not None:
                    with trio.CancelScope(shield=True):
                        await direct.close()

    def seen(self) -> list[SeenRequest]:
        """The chat requests the fake received in the current `model` block.

        Example:
            >>> harness.seen()[0].roles  # doctest: +SKIP
            ('user',)
        """
        return list(self._fake.seen) if self._fake is not None else []

    @property
    def disconnects(self) -> int:
        """Streamed answers the adapter abandoned before their end (current `model` block).

        Example:
            >>> harness.disconnects  # doctest: +SKIP
            1
        """
        return self._fake.disconnects if self._fake is not None else 0

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` sent through the SDK's public ``AsyncClient.chat`` (no adapter).

        Example:
            >>> await harness.direct_call(request)  # doctest: +SKIP
            ChatResponse(model='llama3.2', ...)
        """
        fake = self._fake
        if fake is None or not fake.serving_now:
            raise RuntimeError("OllamaHarness.direct_call: call it inside `async with model()`")
        if self._direct is None:  # built on first use: a client costs ~50 ms (TLS setup)
            headers = {"authorization": f"Bearer {self.api_key}"}
            self._direct = ollama.AsyncClient(fake.url, timeout=self._timeout, headers=headers)
        body = chat_body(request, self.model_name, stream=False)
        return await self._direct.chat(  # pyright: ignore[reportUnknownMemberType]
            self.model_name,
            messages=body["messages"],  # pyright: ignore[reportArgumentType]
            tools=body.get("tools"),  # pyright: ignore[reportArgumentType]
            format=body.get("format"),
            options=body.get("options"),
            stream=False,
        )
