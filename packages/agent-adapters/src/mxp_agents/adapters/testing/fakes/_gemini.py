"""`FakeGemini`, a scripted loopback Gemini API server, and `GeminiHarness`, which runs the
conformance suite against `GeminiModel` talking to it through the real ``google-genai`` SDK."""

from __future__ import annotations

import re
import secrets
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import msgspec
import trio

from mxp_agents.adapters._gemini._client import build_client, default_http_client
from mxp_agents.adapters._gemini._model import GeminiModel
from mxp_agents.adapters._gemini._request import to_config, to_contents
from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.adapters.testing.conformance import FEATURES, ErrorReply, Reply, SeenRequest
from mxp_agents.adapters.testing.fakes._gemini_seen import (
    decode_body,
    missing_signature,
    seen_request,
)
from mxp_agents.adapters.testing.fakes._gemini_wire import (
    answer_body,
    answer_chunks,
    blocked_body,
    error_response,
)
from mxp_agents.adapters.testing.http import (
    FakeHTTPServer,
    HTTPRequest,
    HTTPResponse,
    StreamingResponse,
    sse_event,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Sequence

    from google import genai

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["FakeGemini", "GeminiHarness"]

_PATH: Final = re.compile(
    r"/(v1beta|v1|v1alpha)/models/([^/:]+):(generateContent|streamGenerateContent)"
)
_NO_SIGNATURE: Final = (
    "Function call is missing a thought_signature in functionCall parts. This is required for "
    "tools to work correctly, and missing thought_signature may lead to degraded model "
    "performance. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures "
    "for more details."
)


class FakeGemini:
    """A loopback server that answers ``models/{model}:generateContent`` and
    ``:streamGenerateContent?alt=sse`` like the Gemini API (``v1beta``), from a script.

    Each request takes the next `Reply`: a ``GenerateContentResponse`` (camelCase JSON:
    ``candidates[].content.parts``, ``finishReason``, ``usageMetadata``, ``modelVersion``,
    ``responseId``), or SSE ``data:`` events of such chunks (text in small pieces, function
    calls whole, the first one with a ``thoughtSignature``). Function calls carry no ``id``
    unless ``call_ids`` (Gemini 2.x leaves them out). An `ErrorReply` becomes Gemini's error
    body ``{"error": {"code", "message", "status", "details"}}`` (a rate limit's wait in a
    ``RetryInfo`` detail); ``content_filter`` becomes a blocked prompt (``promptFeedback``, no
    candidates). Past the script's end (unless ``cycle``) it answers HTTP 500 "fake server:
    script exhausted". With ``api_key`` set, other keys get Gemini's invalid-key answer; with
    ``require_signatures``, a model turn whose first function call has no thought signature
    gets Gemini 3's HTTP 400. Point the SDK's ``base_url`` at `url`.

    Example:
        >>> fake = FakeGemini([Reply(text="Hello!")])
        >>> async with fake.serving():  # doctest: +SKIP
        ...     model = GeminiModel(api_key="AIza-test-key", base_url=fake.url)
        ...     (await model.complete(request)).text
        'Hello!'
    """

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        cycle: bool = False,
        model: str = "gemini-2.5-flash",
        api_key: str | None = None,
        call_ids: bool = False,
        require_signatures: bool = False,
    ) -> None:
        self.replies: list[Reply] = list(replies)
        self.cycle = cycle
        self.model = model
        self.api_key = api_key
        self.call_ids = call_ids
        self.require_signatures = require_signatures
        self.seen: list[SeenRequest] = []
        self.server = FakeHTTPServer(self._handle)
        self._next = 0

    @asynccontextmanager
    async def serving(self) -> AsyncGenerator[FakeGemini]:
        """Serve on 127.0.0.1 until the block ends.

        Example:
            >>> async with FakeGemini([Reply(text="Hi")]).serving() as fake:  # doctest: +SKIP
            ...     fake.url
            'http://127.0.0.1:40233'
        """
        async with self.server.serving():
            yield self

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` while serving: the SDK's ``base_url``.

        Example:
            >>> fake.url  # doctest: +SKIP
            'http://127.0.0.1:40233'
        """
        return self.server.url

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned before their end.

        Example:
            >>> FakeGemini().disconnects
            0
        """
        return self.server.disconnects

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every HTTP request received, as sent.

        Example:
            >>> FakeGemini().requests
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
        match = _PATH.fullmatch(request.path)
        if request.method != "POST" or match is None:
            return _error(404, "NOT_FOUND", f"{request.path} is not found for API version v1beta.")
        stream = match.group(3) == "streamGenerateContent"
        key = request.headers.get("x-goog-api-key", request.query.get("key", ""))
        try:
            body = decode_body(request.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            return _error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {error}")
        self.seen.append(seen_request(body, stream=stream, api_key=key or None))
        if self.api_key is not None and key != self.api_key:
            return error_response(ErrorReply(kind="auth"), api_key=key, model=self.model)
        if self.require_signatures and missing_signature(body) is not None:
            return _error(400, "INVALID_ARGUMENT", _NO_SIGNATURE)
        reply = self._take()
        if reply is None:
            return _error(500, "INTERNAL", "fake server: script exhausted")
        if reply.delay > 0:
            await trio.sleep(reply.delay)
        model = match.group(2)
        response_id = secrets.token_urlsafe(12)
        if reply.error is not None and reply.error.kind == "content_filter":
            blocked = blocked_body(reply, model=model, response_id=response_id)
            if stream:
                return StreamingResponse([sse_event(blocked)])
            return HTTPResponse.json(blocked)
        if reply.error is not None:
            return error_response(reply.error, api_key=key, model=model)
        if not stream:
            body_json = answer_body(
                reply, model=model, response_id=response_id, with_ids=self.call_ids
            )
            return HTTPResponse.json(body_json)
        chunks = answer_chunks(reply, model=model, response_id=response_id, with_ids=self.call_ids)
        return StreamingResponse(chunks, chunk_delay=reply.chunk_delay)


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return HTTPResponse.json(
        {"error": {"code": status, "message": message, "status": code}}, status=status
    )


class GeminiHarness:
    """The conformance harness of `GeminiModel`: the real SDK against a `FakeGemini`.

    Gemini's function calls may come without ids (the adapter then makes them), so the
    ``tool_call_ids`` feature is not declared; every other feature is.

    Example:
        >>> from mxp_agents.adapters.testing import conformance
        >>> harness = GeminiHarness()
        >>> await conformance.run_check("stream_text", harness)  # doctest: +SKIP
    """

    name: str = "gemini"
    model_name: str = "gemini-2.5-flash"
    api_key: str = "AIzaSyFake-gemini-harness-0123456789abcd"
    scriptable: bool = True
    features: frozenset[str] = FEATURES - {"tool_call_ids"}

    def __init__(self) -> None:
        self._fake: FakeGemini | None = None
        self._raw: genai.Client | None = None

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the adapter's timeout, per Harness
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[GeminiModel]:
        """`GeminiModel` aimed at a fresh `FakeGemini` playing ``replies``.

        Example:
            >>> async with GeminiHarness().model([Reply(text="Hi")]) as model:  # doctest: +SKIP
            ...     (await model.complete(request)).text
            'Hi'
        """
        fake = FakeGemini(replies, cycle=cycle, model=self.model_name)
        self._fake = fake
        async with fake.serving():
            adapter = GeminiModel(
                self.model_name,
                api_key=self.api_key,
                base_url=fake.url,
                timeout=timeout,
                retry=NO_RETRY if retry is None else retry,
                prices=prices,
            )
            http = default_http_client(timeout)
            self._raw = build_client(
                key=self.api_key, base_url=fake.url, timeout=timeout, http_client=http
            )
            try:
                yield adapter
            finally:
                self._raw = None
                with trio.CancelScope(shield=True):
                    await adapter.aclose()
                    await http.aclose()

    def seen(self) -> list[SeenRequest]:
        """The requests of the current (or last) `model` block.

        Example:
            >>> GeminiHarness().seen()
            []
        """
        return [] if self._fake is None else list(self._fake.seen)

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned, in the current (or last) `model` block.

        Example:
            >>> GeminiHarness().disconnects
            0
        """
        return 0 if self._fake is None else self._fake.disconnects

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` through the raw SDK client (no adapter), inside `model`.

        Example:
            >>> async with harness.model([Reply(text="Hi")]):  # doctest: +SKIP
            ...     response = await harness.direct_call(request)
        """
        if self._raw is None:
            raise RuntimeError("GeminiHarness.direct_call: call it inside `async with model()`")
        system, contents = to_contents(request.messages, {})
        models = self._raw.aio.models
        return await models.generate_content(  # pyright: ignore[reportUnknownMemberType]
            model=self.model_name, contents=contents, config=to_config(request, system)
        )
