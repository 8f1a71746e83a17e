"""What a conformance harness scripts and observes: `Reply`, `ErrorReply`, `SeenRequest`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import msgspec

from mxp_agents.adapters._events import FinishReason
from mxp_agents.primitives import ToolCall, Usage

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractAsyncContextManager

    from mxp_agents.adapters._cost import PriceTable
    from mxp_agents.adapters._protocol import ModelAdapter
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._retry import RetryPolicy

__all__ = ["FEATURES", "ErrorKind", "ErrorReply", "Harness", "Reply", "SeenRequest"]

FEATURES: Final = frozenset(
    {
        "tools",  # tool definitions, tool calls and tool results
        "tool_choice",  # "none" / "required" / a named tool are sent to the provider
        "tool_call_ids",  # the provider carries tool call ids (else the adapter makes them)
        "parallel_tool_calls",  # several tool calls in one answer
        "json_schema",  # JSON-schema response formats
        "stop",  # stop sequences
        "temperature",
        "cached_tokens",  # usage reports prompt-cache hits
        "reasoning_tokens",  # usage reports reasoning tokens
        "errors",  # the provider's error responses map onto the ModelError hierarchy
        "content_filter",  # the provider has a content filter that can refuse a request
        "retry_after",  # rate limits say how long to wait
        "cancel_disconnect",  # closing a stream is seen by the server
    }
)
"""Everything a harness may declare in ``features``; checks that need a feature it lacks are
not run against it."""

ErrorKind = Literal[
    "auth",
    "permission",
    "rate_limit",
    "context_length",
    "content_filter",
    "invalid",
    "server",
    "overloaded",
]


class ErrorReply(msgspec.Struct, frozen=True, kw_only=True):
    """A scripted failure, rendered by a fake server as its provider's real error.

    Example:
        >>> ErrorReply(kind="rate_limit", retry_after=1.0).kind
        'rate_limit'
    """

    kind: ErrorKind
    retry_after: float | None = None
    message: str = ""


_USAGE: Final = Usage(input_tokens=11, output_tokens=7)


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """One scripted provider answer: text and/or tool calls, usage, or an error.

    ``delay`` holds the whole answer back; ``chunk_delay`` spaces a streamed answer's chunks.

    Example:
        >>> Reply(text="Hello!").finish
        <FinishReason.STOP: 'stop'>
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = _USAGE
    finish_reason: FinishReason | None = None
    error: ErrorReply | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0

    @property
    def finish(self) -> FinishReason:
        """The finish reason the provider reports (TOOL_CALLS for tool calls by default).

        Example:
            >>> Reply(tool_calls=(ToolCall("c1", "clock"),)).finish
            <FinishReason.TOOL_CALLS: 'tool_calls'>
        """
        if self.finish_reason is not None:
            return self.finish_reason
        return FinishReason.TOOL_CALLS if self.tool_calls else FinishReason.STOP


class SeenRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A request as the provider's server received it, translated back into our terms.

    Example:
        >>> SeenRequest(system="Be brief.", roles=("user",), texts=("Hi",)).system
        'Be brief.'
    """

    system: str = ""
    roles: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    tool_call_ids: tuple[str, ...] = ()
    tool_result_ids: tuple[str, ...] = ()
    tool_names: tuple[str, ...] = ()
    tool_choice: str | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None
    stop: tuple[str, ...] = ()
    response_schema: dict[str, Any] | None = None
    stream: bool = False
    api_key: str | None = None


class Harness(Protocol):
    """An adapter under test together with the backend that answers it.

    Fake-server harnesses are ``scriptable``: the backend plays ``replies`` and records what
    it received (`seen`). A live model (a local one) is not: only the checks that hold for
    any answer run against it.

    Example:
        >>> async with harness.model([Reply(text="Hi")]) as model:  # doctest: +SKIP
        ...     response = await model.complete(request)
    """

    name: str
    model_name: str
    api_key: str
    scriptable: bool
    features: frozenset[str]

    def model(
        self,
        replies: Sequence[Reply],
        *,
        retry: RetryPolicy | None = None,
        timeout: float | None = 10.0,
        prices: PriceTable | None = None,
        cycle: bool = False,
    ) -> AbstractAsyncContextManager[ModelAdapter]:
        """The adapter, aimed at a backend that plays ``replies`` (NO_RETRY unless given)."""
        ...

    def seen(self) -> list[SeenRequest]:
        """The requests the backend received in the current `model` block, in order."""
        ...

    @property
    def disconnects(self) -> int:
        """Streamed answers the client abandoned before their end."""
        ...

    async def direct_call(self, request: ModelRequest) -> object:
        """``request`` sent through the raw SDK client, bypassing the adapter."""
        ...
