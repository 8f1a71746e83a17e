"""`ReplayHarness`: a scriptable harness with no network, whose model plays `Reply`s itself."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import msgspec
import trio

from mxp_agents.adapters import (
    NO_RETRY,
    AuthenticationError,
    ContentFilteredError,
    ContextLengthExceededError,
    Finish,
    InvalidRequestError,
    ModelError,
    ModelEvent,
    ModelRequest,
    ModelResponse,
    PermissionDeniedError,
    PriceTable,
    ProviderModel,
    RateLimitedError,
    RetryPolicy,
    TextDelta,
    ToolCallDelta,
    TransientModelError,
    UsageUpdate,
)
from mxp_agents.adapters.testing.conformance._types import FEATURES, ErrorReply, Reply, SeenRequest
from mxp_agents.primitives import Role, ToolCall

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Sequence

__all__ = ["ReplayError", "ReplayHarness", "ReplayModel"]


class ReplayError(Exception):
    """What `ReplayModel`'s pretend SDK raises for an `ErrorReply` (mapped like a real one).

    Example:
        >>> ReplayError(ErrorReply(kind="server"), "sk-x").reply.kind
        'server'
    """

    def __init__(self, reply: ErrorReply, key: str) -> None:
        super().__init__(f"{reply.kind} for key {key}")
        self.reply = reply


class ReplayModel(ProviderModel):
    """A `ProviderModel` whose "provider" is its harness's script: no SDK, no network.

    Streams text in five-character deltas and each tool call's arguments in two fragments;
    a stream closed before its end counts as a disconnect.

    Example:
        >>> async with ReplayHarness().model([Reply(text="Hi")]) as model:
        ...     (await model.complete(request)).text
        'Hi'
    """

    provider = "replay"

    def __init__(self, harness: ReplayHarness, **options: Any) -> None:
        super().__init__(harness.model_name, **options)
        self._harness = harness

    async def _complete_once(self, request: ModelRequest) -> ModelResponse:
        reply = await self._harness.take(request, stream=False)
        return ModelResponse(
            text=reply.text,
            tool_calls=reply.tool_calls,
            usage=reply.usage,
            finish_reason=reply.finish,
            model=self.model_name,
            provider=self.provider,
        )

    async def _stream_once(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        reply = await self._harness.take(request, stream=True)
        finished = False
        try:
            for start in range(0, len(reply.text), 5):
                await trio.sleep(reply.chunk_delay)
                yield TextDelta(reply.text[start : start + 5])
            for index, call in enumerate(reply.tool_calls):
                raw = call.raw_arguments or _json(call.arguments)
                middle = len(raw) // 2
                yield ToolCallDelta(index, id=call.id, name=call.name, arguments=raw[:middle])
                yield ToolCallDelta(index, arguments=raw[middle:])
            yield UsageUpdate(reply.usage)
            finished = True
            yield Finish(reply.finish)
        finally:
            if not finished:
                self._harness.disconnects += 1

    def _map_error(self, error: Exception) -> ModelError | None:
        if not isinstance(error, ReplayError):
            return None
        kind, text = error.reply.kind, str(error)
        provider, model = self.provider, self.model_name
        if kind == "rate_limit":
            after = error.reply.retry_after
            return RateLimitedError(text, provider=provider, model=model, retry_after=after)
        classes: dict[str, type[ModelError]] = {
            "auth": AuthenticationError,
            "permission": PermissionDeniedError,
            "context_length": ContextLengthExceededError,
            "content_filter": ContentFilteredError,
            "invalid": InvalidRequestError,
            "server": TransientModelError,
            "overloaded": TransientModelError,
        }
        return classes[kind](text, provider=provider, model=model)


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


class ReplayHarness:
    """The reference `Harness`: scriptable, every feature, no network.

    It checks the conformance suite and the shared `ProviderModel` behaviour against each
    other, and can stand behind another transport (a model served over MXP plays it).

    Example:
        >>> harness = ReplayHarness()
        >>> async with harness.model([Reply(text="Hi")]) as model:
        ...     await model.complete(request)
        >>> harness.seen()[0].roles
        ('user',)
    """

    name = "replay"
    model_name = "replay-1"
    api_key = "sk-replay-secret-0123456789"
    scriptable = True
    features = FEATURES

    def __init__(self) -> None:
        self._replies: list[Reply] = []
        self._cycle = False
        self._seen: list[SeenRequest] = []
        self.disconnects = 0

    @asynccontextmanager
    async def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,  # noqa: ASYNC109 - the model's timeout, not this call's
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AsyncGenerator[ReplayModel]:
        self._replies, self._cycle, self._seen, self.disconnects = list(replies), cycle, [], 0
        model = ReplayModel(self, retry=retry or NO_RETRY, timeout=timeout, prices=prices)
        async with model:
            yield model

    def seen(self) -> list[SeenRequest]:
        return list(self._seen)

    async def direct_call(self, request: ModelRequest) -> object:
        return await self.take(request, stream=False)

    async def take(self, request: ModelRequest, *, stream: bool) -> Reply:
        self._seen.append(_seen(request, stream, self.api_key))
        if not self._replies:
            raise ReplayError(ErrorReply(kind="server", message="script exhausted"), "")
        reply = self._replies.pop(0)
        if self._cycle:
            self._replies.append(reply)
        await trio.sleep(reply.delay)
        if reply.error is not None:
            raise ReplayError(reply.error, self.api_key)
        return reply


def _seen(request: ModelRequest, stream: bool, key: str) -> SeenRequest:
    turns = [m for m in request.messages if m.role is not Role.SYSTEM]
    choice = request.tool_choice
    calls: list[ToolCall] = [c for m in turns for c in m.tool_calls]
    return SeenRequest(
        system="\n".join(m.content for m in request.messages if m.role is Role.SYSTEM),
        roles=tuple(m.role.value for m in turns),
        texts=tuple(m.content for m in turns),
        tool_call_ids=tuple(c.id for c in calls),
        tool_result_ids=tuple(m.tool_call_id or "" for m in turns if m.role is Role.TOOL),
        tool_names=tuple(t.name for t in request.tools),
        tool_choice=choice if isinstance(choice, str) else choice.name,
        temperature=request.temperature,
        max_output_tokens=request.max_output_tokens,
        stop=request.stop,
        response_schema=None if request.response_format is None else request.response_format.schema,
        stream=stream,
        api_key=key,
    )
