"""`FakeGemini`, a scripted loopback Gemini API server, and `GeminiHarness`, which runs the
conformance suite against `GeminiModel` talking to it through the real ``google-genai`` SDK."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters._gemini._client import build_client, default_http_client
from mxp_agents.adapters._gemini._model import GeminiModel
from mxp_agents.adapters._gemini._request import to_config, to_contents
from mxp_agents.adapters.testing.conformance import FEATURES, ErrorReply
from mxp_agents.adapters.testing.fakes._embed_wire import gemini_batch_embed, gemini_embed
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
from mxp_agents.adapters.testing.fakes._scripted_server import (
    DEFAULT_EMBED_DIMENSIONS,
    EXHAUSTED,
    AdapterSettings,
    FakeServerHarness,
    ScriptedFakeServer,
)
from mxp_agents.adapters.testing.http import HTTPResponse, StreamingResponse, sse_event

if TYPE_CHECKING:
    from collections.abc import Sequence

    import httpx
    from google import genai

    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters.testing.conformance import Reply
    from mxp_agents.adapters.testing.http import HTTPRequest

__all__ = ["FakeGemini", "GeminiHarness"]

_PATH: Final = re.compile(
    r"/(v1beta|v1|v1alpha)/models/([^/:]+):(generateContent|streamGenerateContent)"
)
_EMBED_PATH: Final = re.compile(
    r"/(v1beta|v1|v1alpha)/models/([^/:]+):(embedContent|batchEmbedContents)"
)
_NO_SIGNATURE: Final = (
    "Function call is missing a thought_signature in functionCall parts. This is required for "
    "tools to work correctly, and missing thought_signature may lead to degraded model "
    "performance. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures "
    "for more details."
)


class FakeGemini(ScriptedFakeServer):
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
    gets Gemini 3's HTTP 400. ``models/{model}:embedContent`` and ``:batchEmbedContents``
    also take the next reply: an `ErrorReply` as above, else made-up vectors (`fake_vector`,
    ``embed_dimensions`` long unless ``outputDimensionality`` asks otherwise); their bodies go
    to `embed_requests`. Point the SDK's ``base_url`` at `url`.

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
        embed_dimensions: int = DEFAULT_EMBED_DIMENSIONS,
    ) -> None:
        super().__init__(replies, cycle=cycle)
        self.embed_dimensions = embed_dimensions
        self.model = model
        self.api_key = api_key
        self.call_ids = call_ids
        self.require_signatures = require_signatures

    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        embed = _EMBED_PATH.fullmatch(request.path)
        if request.method == "POST" and embed is not None:
            return await self._embed(
                request, embed.group(2), batch=embed.group(3) != "embedContent"
            )
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
        reply = await self.take()
        if reply is None:
            return _error(500, "INTERNAL", EXHAUSTED)
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

    async def _embed(self, request: HTTPRequest, model: str, *, batch: bool) -> HTTPResponse:
        key = request.headers.get("x-goog-api-key", request.query.get("key", ""))
        try:
            body: object = request.json()
        except msgspec.DecodeError as error:
            return _error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {error}")
        if not isinstance(body, dict):
            return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        fields: dict[str, Any] = body  # pyright: ignore[reportUnknownVariableType]
        self.embed_requests.append(fields)
        if self.api_key is not None and key != self.api_key:
            return error_response(ErrorReply(kind="auth"), api_key=key, model=model)
        reply = await self.take()
        if reply is None:
            return _error(500, "INTERNAL", EXHAUSTED)
        if reply.error is not None:
            return error_response(reply.error, api_key=key, model=model)
        if batch:
            return gemini_batch_embed(fields, model=model, default_dimensions=self.embed_dimensions)
        return gemini_embed(fields, default_dimensions=self.embed_dimensions)


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return HTTPResponse.json(
        {"error": {"code": status, "message": message, "status": code}}, status=status
    )


@dataclass(frozen=True)
class _GeminiClient:
    """The raw ``genai.Client`` of `GeminiHarness.direct_call`, with the HTTP client it sends
    through (which closing it closes)."""

    sdk: genai.Client
    http: httpx.AsyncClient

    async def close(self) -> None:
        await self.http.aclose()


class GeminiHarness(FakeServerHarness[FakeGemini, GeminiModel, _GeminiClient]):
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
    features: frozenset[str] = FEATURES - {"tool_call_ids"}

    def _new_fake(self, replies: Sequence[Reply], *, cycle: bool) -> FakeGemini:
        return FakeGemini(replies, cycle=cycle, model=self.model_name)

    def _new_adapter(self, fake: FakeGemini, settings: AdapterSettings) -> GeminiModel:
        return GeminiModel(self.model_name, api_key=self.api_key, base_url=fake.url, **settings)

    def _new_client(self, fake: FakeGemini) -> _GeminiClient:
        http = default_http_client(self._timeout)
        sdk = build_client(
            key=self.api_key, base_url=fake.url, timeout=self._timeout, http_client=http
        )
        return _GeminiClient(sdk, http)

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` through the raw SDK client (no adapter), inside `model`.

        Example:
            >>> async with harness.model([Reply(text="Hi")]):  # doctest: +SKIP
            ...     response = await harness.direct_call(request)
        """
        models = self._direct_client().sdk.aio.models
        system, contents = to_contents(request.messages, {})
        return await models.generate_content(  # pyright: ignore[reportUnknownMemberType]
            model=self.model_name, contents=contents, config=to_config(request, system)
        )
