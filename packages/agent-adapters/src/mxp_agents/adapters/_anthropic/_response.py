"""Anthropic answers → ours: a ``Message`` → `ModelResponse`, usage, stop reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from mxp_agents.adapters._errors import InvalidModelValue, MalformedResponseError
from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters._usage_cache import usage_of
from mxp_agents.primitives import InvalidMessage, ToolCall, Usage

if TYPE_CHECKING:
    from anthropic.types import Message

__all__ = ["UsageCounts", "finish_reason", "response_from_message", "usage_from"]

PROVIDER: Final = "anthropic"

_FINISH: Final = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "model_context_window_exceeded": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    "refusal": FinishReason.CONTENT_FILTER,
    "pause_turn": FinishReason.OTHER,
}


class _Details(Protocol):
    @property
    def thinking_tokens(self) -> int: ...


class UsageCounts(Protocol):
    """The token counts of an Anthropic ``usage`` block (``Usage`` or ``MessageDeltaUsage``)."""

    @property
    def input_tokens(self) -> int | None: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_input_tokens(self) -> int | None: ...
    @property
    def cache_creation_input_tokens(self) -> int | None: ...
    @property
    def output_tokens_details(self) -> _Details | None: ...


def usage_from(usage: UsageCounts) -> Usage:
    """Our `Usage` of an Anthropic usage block.

    Anthropic counts cache reads and cache writes apart from ``input_tokens``; ours includes
    them, with the reads as ``cached_input_tokens``. ``reasoning_tokens`` is
    ``output_tokens_details.thinking_tokens`` (part of ``output_tokens``) when reported.

    Example:
        >>> from anthropic.types import Usage as WireUsage
        >>> usage_from(WireUsage(input_tokens=10, output_tokens=5, cache_read_input_tokens=90,
        ...                      cache_creation_input_tokens=20))
        Usage(input_tokens=120, output_tokens=5, cached_input_tokens=90, reasoning_tokens=0)
    """
    cached = usage.cache_read_input_tokens or 0
    created = usage.cache_creation_input_tokens or 0
    output = usage.output_tokens
    details = usage.output_tokens_details
    reasoning = 0 if details is None else min(details.thinking_tokens, output)
    return usage_of((usage.input_tokens or 0) + cached + created, output, cached, reasoning)


def finish_reason(stop_reason: str | None) -> FinishReason:
    """Our reason for an Anthropic ``stop_reason`` (unknown or missing ones are ``OTHER``).

    Example:
        >>> finish_reason("end_turn"), finish_reason("tool_use"), finish_reason("refusal")
        (<FinishReason.STOP: 'stop'>, <FinishReason.TOOL_CALLS: 'tool_calls'>, \
<FinishReason.CONTENT_FILTER: 'content_filter'>)
    """
    if stop_reason is None:
        return FinishReason.OTHER
    return _FINISH.get(stop_reason, FinishReason.OTHER)


def response_from_message(message: Message, *, model: str) -> ModelResponse:
    """The `ModelResponse` of a whole Anthropic ``Message``.

    Text blocks are concatenated; ``tool_use`` blocks become tool calls (with their ``input``
    as arguments); other blocks (thinking, server tools) are left out. ``model`` is used when
    the answer names none.

    Example:
        >>> response = response_from_message(message, model="claude-haiku-4-5")  # doctest: +SKIP
        >>> response.text  # doctest: +SKIP
        'Paris.'
    """
    answered_by = message.model or model
    try:
        return _response(message, answered_by)
    except (InvalidModelValue, InvalidMessage) as error:
        raise MalformedResponseError(
            f"the answer cannot be read: {error}", provider=PROVIDER, model=answered_by
        ) from None


def _response(message: Message, answered_by: str) -> ModelResponse:
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in message.content:
        if block.type == "text":
            texts.append(block.text)
        elif block.type == "tool_use":
            if not isinstance(block.input, dict):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise MalformedResponseError(
                    f"tool_use block {block.id!r} ({block.name!r}): input is not a JSON object",
                    provider=PROVIDER,
                    model=answered_by,
                )
            calls.append(ToolCall(block.id, block.name, block.input))
    return ModelResponse(
        text="".join(texts),
        tool_calls=tuple(calls),
        usage=usage_from(message.usage),
        finish_reason=finish_reason(message.stop_reason),
        model=answered_by,
        provider=PROVIDER,
    )
