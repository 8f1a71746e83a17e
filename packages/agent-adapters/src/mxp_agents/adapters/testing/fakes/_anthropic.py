"""`FakeAnthropic`, a scripted loopback Messages API server, and `AnthropicHarness`, which runs
the conformance suite against `AnthropicModel` talking to it through the real ``anthropic``
SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import anthropic
import msgspec

from mxp_agents.adapters._anthropic._model import AnthropicModel, send
from mxp_agents.adapters._anthropic._request import build_call
from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters.testing.conformance import FEATURES, ErrorReply, Reply
from mxp_agents.adapters.testing.fakes._anthropic_render import (
    error_body,
    error_response,
    message_body,
    request_id,
    stream_events,
)
from mxp_agents.adapters.testing.fakes._anthropic_wire import (
    MessagesBody,
    api_key_of,
    problem,
    seen_request,
)
from mxp_agents.adapters.testing.fakes._scripted_server import (
    EXHAUSTED,
    AdapterSettings,
    FakeServerHarness,
    ScriptedFakeServer,
)
from mxp_agents.adapters.testing.http import HTTPResponse, StreamingResponse

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters.testing.http import HTTPRequest

__all__ = ["AnthropicHarness", "FakeAnthropic"]

MESSAGES_PATH: Final = "/v1/messages"


class FakeAnthropic(ScriptedFakeServer):
    """A loopback server that answers ``POST /v1/messages`` like Anthropic, from a script.

    Each valid request takes the next `Reply`: a ``message`` object, or with ``"stream": true``
    the SSE events (``message_start``, ``ping``, ``content_block_start`` / ``_delta`` /
    ``_stop``, ``message_delta``, ``message_stop``; text in small ``text_delta``s, tool input
    in ``input_json_delta`` fragments, a thinking block first when the usage has reasoning
    tokens). An `ErrorReply` becomes Anthropic's error (status, ``request-id``,
    ``retry-after``, ``{"type": "error", "error": {...}}``; the 401 echoes the key), except
    ``content_filter``, which is an answer with ``stop_reason: "refusal"``. A streamed `Reply`
    with both text and an error sends the text, then the error as an ``error`` event. The
    request is first checked like the real API does (see `problem`): sampling parameters under
    API version 2026-10-21, empty content, unanswered or stray tool results get its 400
    without using a reply. Past the script's end (unless ``cycle``) it answers HTTP 500
    "fake server: script exhausted". With ``api_key`` set, other keys get the 401.

    Example:
        >>> fake = FakeAnthropic([Reply(text="Hello!")])
        >>> async with fake.serving():  # doctest: +SKIP
        ...     model = AnthropicModel(api_key="sk-ant-test", base_url=fake.url)
        ...     (await model.complete(request)).text
        'Hello!'
    """

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        cycle: bool = False,
        model: str = "claude-haiku-4-5",
        api_key: str | None = None,
    ) -> None:
        super().__init__(replies, cycle=cycle)
        self.model = model
        self.api_key = api_key
        self._answers = 0

    async def _handle(self, request: HTTPRequest) -> HTTPResponse | StreamingResponse:
        self._answers += 1
        number = self._answers
        if request.method != "POST" or request.path != MESSAGES_PATH:
            return _error(404, "not_found_error", f"Not found: {request.path}", number)
        try:
            body = msgspec.json.decode(request.body, type=MessagesBody)
        except msgspec.DecodeError as error:
            return _error(400, "invalid_request_error", str(error), number)
        self.seen.append(seen_request(body, request.headers))
        key = api_key_of(request.headers) or ""
        if self.api_key is not None and key != self.api_key:
            return error_response(ErrorReply(kind="auth"), api_key=key, number=number)
        trouble = problem(body, request.headers)
        if trouble is not None:
            return _error(400, "invalid_request_error", trouble, number)
        reply = await self.take()
        if reply is None:
            return _error(500, "api_error", EXHAUSTED, number)
        fail = reply.error
        if fail is not None and fail.kind == "content_filter":
            reply, fail = Reply(text=reply.text, finish_reason=FinishReason.CONTENT_FILTER), None
        if fail is not None and not (body.stream and reply.text):
            return error_response(fail, api_key=key, number=number)
        model = body.model or self.model
        headers = {"request-id": request_id(number)}
        if not body.stream:
            return HTTPResponse.json(
                message_body(reply, model=model, number=number), headers=headers
            )
        events = stream_events(reply, model=model, number=number, fail=fail)
        return StreamingResponse(events, headers=headers, chunk_delay=reply.chunk_delay)


def _error(status: int, kind: str, message: str, number: int) -> HTTPResponse:
    body = error_body(ErrorReply(kind="invalid", message=message), api_key="", number=number)
    body["error"]["type"] = kind
    return HTTPResponse.json(body, status=status, headers={"request-id": request_id(number)})


class AnthropicHarness(FakeServerHarness[FakeAnthropic, AnthropicModel, anthropic.AsyncAnthropic]):
    """The conformance harness of `AnthropicModel`: the real SDK against a `FakeAnthropic`.

    Declares every feature but ``temperature``: API version 2026-10-21 (the SDK's) refuses
    sampling parameters, and the fake does too.

    Example:
        >>> from mxp_agents.adapters.testing import conformance
        >>> harness = AnthropicHarness()
        >>> await conformance.run_check("stream_text", harness)  # doctest: +SKIP
    """

    name: str = "anthropic"
    model_name: str = "claude-haiku-4-5"
    api_key: str = "sk-ant-fake-harness-0123456789abcdef"
    features: frozenset[str] = FEATURES - {"temperature"}

    def _new_fake(self, replies: Sequence[Reply], *, cycle: bool) -> FakeAnthropic:
        return FakeAnthropic(replies, cycle=cycle, model=self.model_name, api_key=self.api_key)

    def _new_adapter(self, fake: FakeAnthropic, settings: AdapterSettings) -> AnthropicModel:
        return AnthropicModel(self.model_name, api_key=self.api_key, base_url=fake.url, **settings)

    def _new_client(self, fake: FakeAnthropic) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(
            api_key=self.api_key, base_url=fake.url, max_retries=0, timeout=self._timeout
        )

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` through the raw SDK client (no adapter), inside `model`.

        Example:
            >>> async with harness.model([Reply(text="Hi")]):  # doctest: +SKIP
            ...     message = await harness.direct_call(request)
        """
        client = self._direct_client()
        call = build_call(request, model=self.model_name, default_max_tokens=4096)
        return await send(client, call, stream=False)
