"""Turning a known answer into stream events and a token estimate, for the test models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.adapters._events import (
    Finish,
    FinishReason,
    ModelEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from mxp_agents.adapters._usage_cache import usage_of
from mxp_agents.primitives import ToolCall, Usage

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.primitives import Message

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "content_events",
    "describe_message",
    "labelled",
    "estimate_tokens",
    "finish_event",
    "input_tokens",
    "normalised_calls",
    "response_events",
    "usage_events",
]

DEFAULT_CHUNK_SIZE: Final = 4
"""Characters per delta when streaming with no chunk size: about one token."""

_encoder: Final = msgspec.json.Encoder()
_PREVIEW: Final = 200


def estimate_tokens(characters: int) -> int:
    """About one token per 4 characters, and never 0.

    Example:
        >>> estimate_tokens(0), estimate_tokens(9)
        (1, 3)
    """
    return (characters + 3) // 4 or 1


def input_tokens(request: ModelRequest) -> int:
    """Estimated input tokens of ``request``: its messages, tool calls and tool descriptions.

    Example:
        >>> input_tokens(ModelRequest((Message.user("12345678"),)))
        2
    """
    characters = 0
    for message in request.messages:
        characters += len(message.content)
        if message.tool_calls:
            for call in message.tool_calls:
                characters += len(call.name) + len(call.raw_arguments or "")
    if request.tools:
        for tool in request.tools:
            characters += len(tool.name) + len(tool.description)
    return (characters + 3) // 4 or 1


def output_characters(text: str, calls: tuple[ToolCall, ...]) -> int:
    """Characters of an answer: its text, and each call's name and argument text.

    Example:
        >>> output_characters("hi", ())
        2
    """
    if not calls:
        return len(text)
    return len(text) + sum(len(call.name) + len(call.raw_arguments or "") for call in calls)


def normalised_calls(calls: Iterable[ToolCall]) -> tuple[ToolCall, ...]:
    """The calls, each with ``raw_arguments`` set (the JSON of its arguments when it had none), so
    a streamed and a whole answer assemble to equal values.

    Example:
        >>> normalised_calls([ToolCall("c1", "t", {"a": 1})])[0].raw_arguments
        '{"a":1}'
    """
    if not calls:
        return ()
    return tuple(
        call
        if call.raw_arguments is not None
        else ToolCall(call.id, call.name, call.arguments, _encoder.encode(call.arguments).decode())
        for call in calls
    )


def _chunks(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def content_events(
    text: str, calls: tuple[ToolCall, ...], *, streamed: bool, chunk_size: int | None
) -> tuple[ModelEvent, ...]:
    """Text deltas then tool-call deltas: many small ones when ``streamed``, else one of each.

    Example:
        >>> content_events("Hello", (), streamed=True, chunk_size=2)
        (TextDelta(text='He'), TextDelta(text='ll'), TextDelta(text='o'))
    """
    size = chunk_size or DEFAULT_CHUNK_SIZE
    events: list[ModelEvent] = []
    if text:
        pieces = _chunks(text, size) if streamed else [text]
        events.extend(TextDelta(piece) for piece in pieces)
    for index, call in enumerate(calls):
        raw = call.raw_arguments or ""
        first, *rest = (_chunks(raw, size) or [""]) if streamed else [raw]
        events.append(ToolCallDelta(index, call.id, call.name, first))
        events.extend(ToolCallDelta(index, None, None, piece) for piece in rest)
    return tuple(events)


def usage_events(usage: Usage, *, streamed: bool) -> tuple[UsageUpdate, UsageUpdate | None]:
    """The usage as events: when ``streamed``, input tokens first and output tokens at the end
    (increments that sum to ``usage``); else one update at the end (first is then None).

    Example:
        >>> first, last = usage_events(Usage(input_tokens=3, output_tokens=2), streamed=True)
        >>> first.usage.input_tokens, last.usage.output_tokens
        (3, 2)
    """
    if not streamed:
        return UsageUpdate(usage), None
    head = usage_of(usage.input_tokens, 0, usage.cached_input_tokens)
    tail = usage_of(0, usage.output_tokens, 0, usage.reasoning_tokens)
    return UsageUpdate(head), UsageUpdate(tail)


def response_events(
    response: ModelResponse, *, streamed: bool = True, chunk_size: int | None = None
) -> list[ModelEvent]:
    """All events of ``response``: usage (input), content, usage (output), `Finish`.

    Example:
        >>> [type(e).__name__ for e in response_events(ModelResponse(text="hi"), streamed=False)]
        ['TextDelta', 'UsageUpdate', 'Finish']
    """
    calls = normalised_calls(response.tool_calls)
    first, last = usage_events(response.usage, streamed=streamed)
    events: list[ModelEvent] = [] if last is None else [first]
    events.extend(content_events(response.text, calls, streamed=streamed, chunk_size=chunk_size))
    events.append(first if last is None else last)
    events.append(finish_event(response.finish_reason))
    return events


_FINISH: Final = {reason: Finish(reason) for reason in FinishReason}


def finish_event(reason: FinishReason) -> Finish:
    """The (shared, frozen) `Finish` event of ``reason``.

    Example:
        >>> finish_event(FinishReason.LENGTH)
        Finish(reason=<FinishReason.LENGTH: 'length'>)
    """
    return _FINISH[reason]


def labelled(
    response: ModelResponse, model: str, provider: str, request: ModelRequest
) -> ModelResponse:
    """``response`` as a test model returns it: ``model`` / ``provider`` filled in where empty,
    tool calls normalised (see `normalised_calls`) and, when its usage is all zero, the usage
    estimated from ``request`` and the answer.

    Example:
        >>> labelled(ModelResponse(text="hi"), "m", "p", request).provider  # doctest: +SKIP
        'p'
    """
    calls = normalised_calls(response.tool_calls)
    same_calls = all(new is old for new, old in zip(calls, response.tool_calls, strict=True))
    usage = response.usage
    if usage.total == 0 and usage.cached_input_tokens == 0 and usage.reasoning_tokens == 0:
        usage = usage_of(
            input_tokens(request), estimate_tokens(output_characters(response.text, calls))
        )
    elif response.model and response.provider and same_calls:
        return response
    return msgspec.structs.replace(
        response,
        tool_calls=calls,
        usage=usage,
        model=response.model or model,
        provider=response.provider or provider,
    )


def describe_message(message: Message) -> str:
    """A one-line view of a message for error texts: role, links and (cut) content.

    Example:
        >>> describe_message(Message.user("What next?"))
        "user: 'What next?'"
    """
    content = message.content
    if len(content) > _PREVIEW:
        content = content[: _PREVIEW - 3] + "..."
    label = str(message.role)
    if message.tool_call_id is not None:
        label += f" (answering {message.tool_call_id})"
    if message.tool_calls:
        label += f" (calling {', '.join(call.name for call in message.tool_calls)})"
    return f"{label}: {content!r}"
