"""`FakeAnthropic`, a scripted loopback Messages API server, and `AnthropicHarness`, which runs
the conformance suite against `AnthropicModel` talking to it through the real ``anthropic``
SDK."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import anthropic
import msgspec
import trio

from mxp_agents.adapters._anthropic._model import AnthropicModel, send
from mxp_agents.adapters._anthropic._request import build_call
from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters._retry import NO_RETRY
from mxp_agents.adapters.testing.conformance import FEATURES, ErrorReply, Reply, SeenRequest
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

__all__ = ["AnthropicHarness", "FakeAnthropic"]

MESSAGES_PATH: Final = "/v1/messages"


class FakeAnthropic:
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
        self.replies: list[Reply] = list(replies)
        self.cycle = cycle
        self.model = model
        self.api_key = api_key
        self.seen: list[SeenRequest] = []
        self.server = FakeHTTPServer(self._handle)
        self._next = 0
        self._answers = 0

    @asynccontextmanager
    async def serving(self) -> AsyncGenerator[FakeAnthropic]:
        """Serve on 127.0.0.1 until the block ends.

        Example:
            >>> async with FakeAnthropic([Reply(text="Hi")]).serving() as fake:  # doctest: +SKIP
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
            >>> FakeAnthropic().disconnects
            0
        """
        return self.server.disconnects

    @property
    def requests(self) -> list[HTTPRequest]:
        """Every HTTP request received, as sent.

        Example:
            >>> FakeAnthropic().requests
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
        reply = self._take()
        if reply is None:
            return _error(500, "api_error", "fake server: script exhausted", number)
        if reply.delay > 0:
            await trio.sleep(reply.delay)
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


class AnthropicHarness:
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
    scriptable: bool = True
    features: frozenset[str] = FEATURES - {"temperature"}

    def __init__(self) -> None:
        self._fake: FakeAnthropic | None = None
        self._raw: anthropic.AsyncAnthropic | None = None  # made by the first direct_call
        self._url: str | None = None
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
    ) -> AsyncGenerator[AnthropicModel]:
        """`AnthropicModel` aimed at a fresh `FakeAnthropic` playing ``replies``.

        Example:
            >>> async with AnthropicHarness().model([Reply(text="Hi")]) as model:  # doctest: +SKIP
            ...     (await model.complete(request)).text
            'Hi'
        """
        fake = FakeAnthropic(replies, cycle=cycle, model=self.model_name, api_key=self.api_key)
        self._fake = fake
        async with fake.serving():
            adapter = AnthropicModel(
                self.model_name,
                api_key=self.api_key,
                base_url=fake.url,
                timeout=timeout,
                retry=NO_RETRY if retry is None else retry,
                prices=prices,
            )
            self._url, self._timeout = fake.url, timeout
            try:
                yield adapter
            finally:
                raw, self._raw, self._url = self._raw, None, None
                with trio.CancelScope(shield=True):
                    await adapter.aclose()
                    if raw is not None:
                        await raw.close()

    def seen(self) -> list[SeenRequest]:
        """The requests of the current (or last) `model` block.

        Example:
            >>> AnthropicHarness().seen()
            []
        """
        return [] if self._fake is None else list(self._fake.seen)

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned, in the current (or last) `model` block.

        Example:
            >>> AnthropicHarness().disconnects
            0
        """
        return 0 if self._fake is None else self._fake.disconnects

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` through the raw SDK client (no adapter), inside `model`.

        Example:
            >>> async with harness.model([Reply(text="Hi")]):  # doctest: +SKIP
            ...     message = await harness.direct_call(request)
        """
        if self._url is None:
            raise RuntimeError("AnthropicHarness.direct_call: call it inside `async with model()`")
        if self._raw is None:
            self._raw = anthropic.AsyncAnthropic(
                api_key=self.api_key, base_url=self._url, max_retries=0, timeout=self._timeout
            )
        call = build_call(request, model=self.model_name, default_max_tokens=4096)
        return await send(self._raw, call, stream=False)
