"""`FakeOllama`, a scripted loopback Ollama server, and `OllamaHarness` for conformance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import ollama

from mxp_agents.adapters._ollama._model import OllamaModel
from mxp_agents.adapters._ollama._request import chat_body
from mxp_agents.adapters.testing._http_types import HTTPResponse
from mxp_agents.adapters.testing.fakes._embed_wire import ollama_embed
from mxp_agents.adapters.testing.fakes._ollama_wire import (
    answer,
    error_response,
    not_found,
    seen_request,
    streamed,
)
from mxp_agents.adapters.testing.fakes._scripted_server import (
    DEFAULT_EMBED_DIMENSIONS,
    EXHAUSTED,
    AdapterSettings,
    FakeServerHarness,
    ScriptedFakeServer,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters.testing._http_types import HTTPRequest, StreamingResponse
    from mxp_agents.adapters.testing.conformance._types import Reply

__all__ = ["FakeOllama", "OllamaHarness"]


class FakeOllama(ScriptedFakeServer):
    """A loopback Ollama server that plays scripted `Reply`s on ``POST /api/chat``.

    Each request takes the next reply (``cycle=True`` repeats them forever; past the end it
    answers HTTP 500 ``fake server: script exhausted``) and answers it as Ollama does: a JSON
    object for ``"stream": false``, else ``application/x-ndjson`` lines (text in small
    pieces, each tool call whole, a final ``done`` line with the counts). Errors are
    ``{"error": "..."}`` with Ollama's statuses. ``models``, when given, lists the pulled
    models: asking for another one gets Ollama's 404 ``model "x" not found, try pulling it
    first``. `seen` has every chat request translated back into our terms. ``POST /api/embed``
    also takes the next reply: an `ErrorReply` as above, else made-up vectors
    (`fake_vector`, ``embed_dimensions`` long unless ``dimensions`` asks otherwise); its
    bodies go to `embed_requests`.

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
        embed_dimensions: int = DEFAULT_EMBED_DIMENSIONS,
    ) -> None:
        super().__init__(replies, cycle=cycle)
        self.embed_dimensions = embed_dimensions
        self._models = None if models is None else frozenset(models)

    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        if request.method == "POST" and request.path == "/api/embed":
            return await self._embed(request)
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
        reply = await self.take()
        if reply is None:
            return HTTPResponse.json({"error": EXHAUSTED}, status=500)
        if reply.error is not None:
            seen = self.seen[-1]
            return error_response(reply.error, model, seen.api_key)
        if fields.get("stream", True):
            return streamed(reply, model)
        return answer(reply, model)

    async def _embed(self, request: HTTPRequest) -> HTTPResponse:
        try:
            body: object = request.json()
        except msgspec.DecodeError as error:
            return HTTPResponse.json({"error": str(error)}, status=400)
        if not isinstance(body, dict):
            return HTTPResponse.json({"error": "missing request body"}, status=400)
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        if not fields.get("model"):
            return HTTPResponse.json({"error": "model is required"}, status=400)
        model = str(fields["model"])
        self.embed_requests.append(fields)
        if self._models is not None and model not in self._models:
            return not_found(model)
        reply = await self.take()
        if reply is None:
            return HTTPResponse.json({"error": EXHAUSTED}, status=500)
        if reply.error is not None:
            authorization = request.headers.get("authorization", "")
            key = authorization.removeprefix("Bearer ") if authorization else None
            return error_response(reply.error, model, key)
        return ollama_embed(fields, model=model, default_dimensions=self.embed_dimensions)


class OllamaHarness(FakeServerHarness[FakeOllama, OllamaModel, ollama.AsyncClient]):
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
        super().__init__()
        self.model_name = model_name
        self.api_key = api_key

    def _new_fake(self, replies: Sequence[Reply], *, cycle: bool) -> FakeOllama:
        return FakeOllama(replies, cycle=cycle)

    def _new_adapter(self, fake: FakeOllama, settings: AdapterSettings) -> OllamaModel:
        return OllamaModel(self.model_name, host=fake.url, api_key=self.api_key, **settings)

    def _new_client(self, fake: FakeOllama) -> ollama.AsyncClient:
        headers = {"authorization": f"Bearer {self.api_key}"}
        return ollama.AsyncClient(fake.url, timeout=self._timeout, headers=headers)

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` sent through the SDK's public ``AsyncClient.chat`` (no adapter).

        Example:
            >>> await harness.direct_call(request)  # doctest: +SKIP
            ChatResponse(model='llama3.2', ...)
        """
        client = self._direct_client()
        body = chat_body(request, self.model_name, stream=False)
        return await client.chat(  # pyright: ignore[reportUnknownMemberType]
            self.model_name,
            messages=body["messages"],  # pyright: ignore[reportArgumentType]
            tools=body.get("tools"),  # pyright: ignore[reportArgumentType]
            format=body.get("format"),
            options=body.get("options"),
            stream=False,
        )
