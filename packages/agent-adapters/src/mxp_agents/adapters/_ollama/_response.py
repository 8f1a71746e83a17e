"""Ollama ``ChatResponse`` objects -> `ModelResponse` (whole answers) or `ModelEvent`s (chunks)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters._events import Finish, FinishReason, TextDelta, ToolCallDelta, UsageUpdate
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters._usage_cache import usage_of
from mxp_agents.primitives import ToolCall, Usage

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from ollama import ChatResponse, Message

    from mxp_agents.adapters._events import ModelEvent

__all__ = [
    "StreamMapper",
    "arguments_json",
    "finish_reason",
    "new_call_id",
    "response_of",
    "usage_from",
]

_encoder: Final = msgspec.json.Encoder()


def new_call_id() -> str:
    """A fresh tool-call id, ``call_`` and 16 hex digits (64 random bits).

    The installed Ollama SDK drops the ids that newer Ollama servers send, so the adapter
    makes its own; random ones stay unique across turns, adapters and processes, as the ids
    of one conversation must.

    Example:
        >>> new_call_id().startswith("call_"), len(new_call_id())
        (True, 21)
    """
    return "call_" + secrets.token_hex(8)


def arguments_json(arguments: Mapping[str, Any]) -> str:
    """A tool call's arguments (an object in Ollama's answer) as compact JSON text.

    Example:
        >>> arguments_json({"city": "Tokyo"})
        '{"city":"Tokyo"}'
    """
    return _encoder.encode(arguments).decode()


def finish_reason(done_reason: str | None, has_tool_calls: bool) -> FinishReason:
    """Ollama's ``done_reason`` as a `FinishReason`.

    ``"stop"`` (and a missing reason, as older servers send) is ``TOOL_CALLS`` when the
    answer has tool calls, else ``STOP``; ``"length"`` is ``LENGTH``; anything else
    (``"load"``, ``"unload"``...) is ``OTHER``.

    Example:
        >>> finish_reason("stop", True), finish_reason("length", False)
        (<FinishReason.TOOL_CALLS: 'tool_calls'>, <FinishReason.LENGTH: 'length'>)
    """
    if done_reason in (None, "", "stop"):
        return FinishReason.TOOL_CALLS if has_tool_calls else FinishReason.STOP
    if done_reason == "length":
        return FinishReason.LENGTH
    return FinishReason.OTHER


def usage_from(chat: ChatResponse) -> Usage:
    """``prompt_eval_count`` as input tokens and ``eval_count`` as output tokens.

    Ollama reports no cached or reasoning counts (thinking tokens are inside ``eval_count``).

    Example:
        >>> from ollama import ChatResponse, Message
        >>> chat = ChatResponse(message=Message(role="assistant"), prompt_eval_count=26,
        ...                     eval_count=298)
        >>> usage_from(chat).total
        324
    """
    return usage_of(chat.prompt_eval_count or 0, chat.eval_count or 0)


def response_of(
    chat: ChatResponse,
    *,
    model: str,
    provider: str,
    new_id: Callable[[], str] = new_call_id,
) -> ModelResponse:
    """The `ModelResponse` of a whole (non-streamed) Ollama answer.

    ``message.thinking`` (a thinking model's reasoning) is not part of the text. Each tool
    call gets an id from ``new_id``; ``raw_arguments`` is the arguments as JSON text, the
    same text `StreamMapper` streams. ``model`` is used when the answer names none.

    Example:
        >>> from ollama import ChatResponse, Message
        >>> chat = ChatResponse(model="llama3.2", done=True, done_reason="stop",
        ...                     message=Message(role="assistant", content="Paris."))
        >>> response_of(chat, model="llama3.2", provider="ollama").text
        'Paris.'
    """
    message = chat.message
    calls = tuple(
        ToolCall(new_id(), name, dict(arguments), arguments_json(arguments))
        for name, arguments in _tool_calls(message)
    )
    return ModelResponse(
        text=message.content or "",
        tool_calls=calls,
        usage=usage_from(chat),
        finish_reason=finish_reason(chat.done_reason, bool(calls)),
        model=chat.model or model,
        provider=provider,
    )


class StreamMapper:
    """Turns the chunks of a streamed Ollama answer into `ModelEvent`s, one chunk at a time.

    Text pieces become `TextDelta`s; each tool call (Ollama sends it whole, in one chunk)
    becomes one `ToolCallDelta` with a fresh id, the name and all the arguments, numbered
    0, 1, ... across the answer; the final chunk (``done: true``) gives a `UsageUpdate`
    and the `Finish`. ``finished`` tells whether that final chunk has come.

    Example:
        >>> from ollama import ChatResponse, Message
        >>> mapper = StreamMapper(new_id=lambda: "call_1")
        >>> mapper.events(ChatResponse(message=Message(role="assistant", content="Hi")))
        [TextDelta(text='Hi')]
        >>> mapper.events(ChatResponse(message=Message(role="assistant", content=""),
        ...                            done=True, done_reason="stop", eval_count=1))[-1]
        Finish(reason=<FinishReason.STOP: 'stop'>)
    """

    __slots__ = ("_calls", "_new_id", "finished")

    def __init__(self, *, new_id: Callable[[], str] = new_call_id) -> None:
        self._new_id = new_id
        self._calls = 0
        self.finished = False

    def events(self, chunk: ChatResponse) -> list[ModelEvent]:
        """The events of one chunk, in order (often just one `TextDelta`).

        Example:
            >>> from ollama import ChatResponse, Message
            >>> StreamMapper().events(ChatResponse(message=Message(role="assistant")))
            []
        """
        events: list[ModelEvent] = []
        message = chunk.message
        if message.content:
            events.append(TextDelta(message.content))
        for name, arguments in _tool_calls(message):
            delta = ToolCallDelta(self._calls, self._new_id(), name, arguments_json(arguments))
            events.append(delta)
            self._calls += 1
        if chunk.done:
            self.finished = True
            events.append(UsageUpdate(usage_from(chunk)))
            events.append(Finish(finish_reason(chunk.done_reason, self._calls > 0)))
        return events


def _tool_calls(message: Message) -> Sequence[tuple[str, Mapping[str, Any]]]:
    calls = message.tool_calls
    if not calls:
        return ()
    return [(call.function.name, call.function.arguments) for call in calls]
