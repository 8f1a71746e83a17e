"""`FakeOpenAI`, a scripted loopback Chat Completions server, and `OpenAIHarness`, which runs
the conformance suite against `OpenAIModel` talking to it through the real ``openai`` SDK."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import msgspec
import openai
import trio

from mxp_agents.adapters._openai._model import OpenAIModel
from mxp_agents.adapters._openai._request import chat_params
from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.adapters.testing.conformance import FEATURES, ErrorReply, Reply, SeenRequest
from mxp_agents.adapters.testing.fakes._openai_seen import ChatBody, seen_request
from mxp_agents.adapters.testing.fakes._openai_wire import (
    chunk_events,
    completion_body,
    error_response,
)
from mxp_agents.adapters.testing.http import (
    FakeHTTPServer,
    HTTPRequest,
    HTTPResponse,
    StreamingResponse,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["FakeOpenAI", "OpenAIHarness"]

CHAT_PATH: Final = "/v1/chat/completions"


class FakeOpenAI:
    """A loopback server that answers ``POST /v1/chat/completions`` like OpenAI, from a script.

    Each request takes the next `Reply`: a ``chat.completion`` JSON object, or with
    ``"stream": true`` SSE ``chat.completion.chunk`` events (text in small chunks, tool-call
    arguments in fragments, the usage chunk under ``stream_options.include_usage``) ending with
    ``data: [DONE]``; an `ErrorReply` becomes OpenAI's error (status, ``retry-after`` /
    ``retry-after-ms`` headers, ``{"error": {...}}`` body). Past the script's end (unless
    ``cycle``) it answers HTTP 500 "fake server: script exhausted". With ``api_key`` set, other
    keys get OpenAI's 401. `seen` holds every request read back into `SeenRequest` terms.
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
    ) -> None:
        self.replies: list[Reply] = list(replies)
        self.cycle = cycle
        self.model = model
        self.api_key = api_key
        self.seen: list[SeenRequest] = []
        self.server = FakeHTTPServer(self._handle)
        self._next = 0
        self._answers = 0
        self._serving = False

    @asynccontextmanager
    async def serving(self) -> AsyncGenerator[FakeOpenAI]:
        """Serve on 127.0.0.1 until the block ends.

        Example:
            >>> async with FakeOpenAI([Reply(text="Hi")]).serving() as fake:  # doctest: +SKIP
            ...     fake.base_url
            'http://127.0.0.1:40233/v1'
        """
        async with self.server.serving():
            self._serving = True
            try:
                yield self
            finally:
                self._serving = False

    @property
    def serving_now(self) -> bool:
        """Whether the server is serving (inside `serving`).

        Example:
            >>> FakeOpenAI().serving_now
            False
        """
        return self._serving

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` while serving.

        Example:
            >>> fake.url  # doctest: +SKIP
            'http://127.0.0.1:40233'
        """
        return self.server.url

    @property
    def base_url(self) -> str:
        """The SDK's ``base_url``: `url` + ``/v1``.

        Example:
            >>> fake.base_url  # doctest: +SKIP
            'http://127.0.0.1:40233/v1'
        """
        return self.server.url + "/v1"

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned before their end.

        Example:
            >>> FakeOpenAI().disconnects
            0
        """
        return self.server.disconnects

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every HTTP request received, as sent.

        Example:
            >>> FakeOpenAI().requests
            []
        """
        return self.server.requests

    def _take(self) -> Reply | None:
        if self._next >= len(self.replies):
            if not (self.cycle and self.replies):
                return None
            self._next = 0
        reply = self.replies[self._next]
        self._next += 1
        return reply

    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
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
        reply = self._take()
        if reply is None:
            error = {"message": "fake server: script exhausted", "type": "server_error"}
            return HTTPResponse.json({"error": error | {"param": None, "code": None}}, status=500)
        if reply.delay > 0:
            await trio.sleep(reply.delay)
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


def _json_error(detail: str) -> HTTPResponse:
    message = (
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        f"using your HTTP library correctly.) ({detail})"
    )
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": None}
    return HTTPResponse.json({"error": error}, status=400)


class OpenAIHarness:
    """The conformance harness of `OpenAIModel`: the real SDK against a `FakeOpenAI`.

    Example:
        >>> from mxp_agents.adapters.testing import conformance
        >>> harness = OpenAIHarness()
        >>> await conformance.run_check("stream_text", harness)  # doctest: +SKIP
    """

    name: str = "openai"
    model_name: str = "gpt-4o-mini"
    api_key: str = "sk-fake-openai-harness-0123456789abcdef"
    scriptable: bool = True
    features: frozenset[str] = FEATURES

    def __init__(self) -> None:
        self._fake: FakeOpenAI | None = None
        self._raw: openai.AsyncOpenAI | None = None
        self._timeout: float | None = None

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the adapter's timeout, per Harness
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[OpenAIModel]:
        """`OpenAIModel` aimed at a fresh `FakeOpenAI` playing ``replies``.

        Example:
            >>> async with OpenAIHarness().model([Reply(text="Hi")]) as model:  # doctest: +SKIP
            ...     (await model.complete(request)).text
            'Hi'
        """
        fake = FakeOpenAI(replies, cycle=cycle, model=self.model_name)
        self._fake = fake
        async with fake.serving():
            adapter = OpenAIModel(
                self.model_name,
                api_key=self.api_key,
                base_url=fake.base_url,
                timeout=timeout,
                retry=NO_RETRY if retry is None else retry,
                prices=prices,
            )
            self._timeout = timeout
            try:
                yield adapter
            finally:
                raw, self._raw = self._raw, None
                with trio.CancelScope(shield=True):
                    await adapter.aclose()
                    if raw is not None:
                        await raw.close()

    def seen(self) -> list[SeenRequest]:
        """The requests of the current (or last) `model` block.

        Example:
            >>> OpenAIHarness().seen()
            []
        """
        return [] if self._fake is None else list(self._fake.seen)

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned, in the current (or last) `model` block.

        Example:
            >>> OpenAIHarness().disconnects
            0
        """
        return 0 if self._fake is None else self._fake.disconnects

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` through the raw SDK client (no adapter), inside `model`.

        Example:
            >>> async with harness.model([Reply(text="Hi")]):  # doctest: +SKIP
            ...     completion = await harness.direct_call(request)
        """
        fake = self._fake
        if fake is None or not fake.serving_now:
            raise RuntimeError("OpenAIHarness.direct_call: call it inside `async with model()`")
        if self._raw is None:  # built on first use: a client costs ~50 ms to build
            self._raw = openai.AsyncOpenAI(
                api_key=self.api_key, base_url=fake.base_url, max_retries=0, timeout=self._timeout
            )
        return await self._raw.chat.completions.create(**chat_params(request, self.model_name))
