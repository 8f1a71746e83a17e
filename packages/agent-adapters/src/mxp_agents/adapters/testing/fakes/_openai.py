"""`FakeOpenAI`, a scripted loopback Chat Completions server, and `OpenAIHarness`, which runs
the conformance suite against `OpenAIModel` talking to it through the real ``openai`` SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec
import openai

from mxp_agents.adapters._openai._model import OpenAIModel
from mxp_agents.adapters._openai._request import chat_params
from mxp_agents.adapters.testing.conformance import ErrorReply
from mxp_agents.adapters.testing.fakes._embed_wire import openai_embeddings
from mxp_agents.adapters.testing.fakes._openai_seen import ChatBody, seen_request
from mxp_agents.adapters.testing.fakes._openai_wire import (
    chunk_events,
    completion_body,
    error_response,
)
from mxp_agents.adapters.testing.fakes._scripted_server import (
    DEFAULT_EMBED_DIMENSIONS,
    EXHAUSTED,
    AdapterSettings,
    FakeServerHarness,
    ScriptedFakeServer,
)
from mxp_agents.adapters.testing.http import HTTPResponse, StreamingResponse

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters.testing.conformance import Reply
    from mxp_agents.adapters.testing.http import HTTPRequest

__all__ = ["FakeOpenAI", "OpenAIHarness"]

CHAT_PATH: Final = "/v1/chat/completions"
EMBEDDINGS_PATH: Final = "/v1/embeddings"


class FakeOpenAI(ScriptedFakeServer):
    """A loopback server that answers ``POST /v1/chat/completions`` like OpenAI, from a script.

    Each request takes the next `Reply`: a ``chat.completion`` JSON object, or with
    ``"stream": true`` SSE ``chat.completion.chunk`` events (text in small chunks, tool-call
    arguments in fragments, the usage chunk under ``stream_options.include_usage``) ending with
    ``data: [DONE]``; an `ErrorReply` becomes OpenAI's error (status, ``retry-after`` /
    ``retry-after-ms`` headers, ``{"error": {...}}`` body). Past the script's end (unless
    ``cycle``) it answers HTTP 500 "fake server: script exhausted". With ``api_key`` set, other
    keys get OpenAI's 401. `seen` holds every request read back into `SeenRequest` terms.
    ``POST /v1/embeddings`` also takes the next reply: an `ErrorReply` as above, else
    made-up vectors (`fake_vector`, ``embed_dimensions`` long unless the request asks for
    ``dimensions``), as float lists or base64 float32 per ``encoding_format``; its bodies go
    to `embed_requests`.
    Point the SDK at `base_url` (``<url>/v1``).

    Example:
        >>> fake = FakeOpenAI([Reply(text="Hello!")])
        >>> async with fake.serving():  # doctest: +SKIP
        ...     model = OpenAIModel(api_key="sk-test", base_url=fake.base_url)
        ...     (await model.complete(request)).text
        'Hello!'
    """

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        cycle: bool = False,
        model: str = "gpt-4o-mini",
        api_key: str | None = None,
        embed_dimensions: int = DEFAULT_EMBED_DIMENSIONS,
    ) -> None:
        super().__init__(replies, cycle=cycle)
        self.embed_dimensions = embed_dimensions
        self.model = model
        self.api_key = api_key
        self._answers = 0

    @property
    def base_url(self) -> str:
        """The SDK's ``base_url``: `url` + ``/v1``.

        Example:
            >>> fake.base_url  # doctest: +SKIP
            'http://127.0.0.1:40233/v1'
        """
        return self.server.url + "/v1"

    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        if request.method == "POST" and request.path == EMBEDDINGS_PATH:
            return await self._embed(request)
        if request.method != "POST" or request.path != CHAT_PATH:
            message = f"Invalid URL ({request.method} {request.path})"
            body = {"error": {"message": message, "type": "invalid_request_error"}}
            return HTTPResponse.json(body | {"param": None, "code": None}, status=404)
        try:
            body = msgspec.json.decode(request.body, type=ChatBody)
        except msgspec.DecodeError as error:
            return _json_error(str(error))
        seen = seen_request(body, request.headers)
        self.seen.append(seen)
        key = seen.api_key or ""
        if self.api_key is not None and key != self.api_key:
            return error_response(ErrorReply(kind="auth"), api_key=key, model=self.model)
        reply = await self.take()
        if reply is None:
            error = {"message": EXHAUSTED, "type": "server_error"}
            return HTTPResponse.json({"error": error | {"param": None, "code": None}}, status=500)
        if reply.error is not None:
            return error_response(reply.error, api_key=key, model=self.model)
        self._answers += 1
        model = body.model or self.model
        if not body.stream:
            return HTTPResponse.json(completion_body(reply, model=model, number=self._answers))
        events = chunk_events(
            reply, model=model, number=self._answers, include_usage=body.include_usage
        )
        return StreamingResponse(events, chunk_delay=reply.chunk_delay)

    async def _embed(self, request: HTTPRequest) -> HTTPResponse:
        try:
            body: object = request.json()
        except msgspec.DecodeError as error:
            return _json_error(str(error))
        if not isinstance(body, dict):
            return _json_error("the body is not a JSON object")
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        self.embed_requests.append(fields)
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        model = str(fields.get("model") or self.model)
        if self.api_key is not None and key != self.api_key:
            return error_response(ErrorReply(kind="auth"), api_key=key, model=model)
        reply = await self.take()
        if reply is None:
            error = {"message": EXHAUSTED, "type": "server_error"}
            return HTTPResponse.json({"error": error | {"param": None, "code": None}}, status=500)
        if reply.error is not None:
            return error_response(reply.error, api_key=key, model=model)
        return openai_embeddings(fields, default_dimensions=self.embed_dimensions)


def _json_error(detail: str) -> HTTPResponse:
    message = (
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        f"using your HTTP library correctly.) ({detail})"
    )
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    return HTTPResponse.json({"error": error}, status=400)


class OpenAIHarness(FakeServerHarness[FakeOpenAI, OpenAIModel, openai.AsyncOpenAI]):
    """The conformance harness of `OpenAIModel`: the real SDK against a `FakeOpenAI`.

    Example:
        >>> from mxp_agents.adapters.testing import conformance
        >>> harness = OpenAIHarness()
        >>> await conformance.run_check("stream_text", harness)  # doctest: +SKIP
    """

    name: str = "openai"
    model_name: str = "gpt-4o-mini"
    api_key: str = "sk-fake-openai-harness-0123456789abcdef"

    def _new_fake(self, replies: Sequence[Reply], *, cycle: bool) -> FakeOpenAI:
        return FakeOpenAI(replies, cycle=cycle, model=self.model_name)

    def _new_adapter(self, fake: FakeOpenAI, settings: AdapterSettings) -> OpenAIModel:
        return OpenAIModel(
            self.model_name, api_key=self.api_key, base_url=fake.base_url, **settings
        )

    def _new_client(self, fake: FakeOpenAI) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            api_key=self.api_key, base_url=fake.base_url, max_retries=0, timeout=self._timeout
        )

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` through the raw SDK client (no adapter), inside `model`.

        Example:
            >>> async with harness.model([Reply(text="Hi")]):  # doctest: +SKIP
            ...     completion = await harness.direct_call(request)
        """
        client = self._direct_client()
        return await client.chat.completions.create(**chat_params(request, self.model_name))
