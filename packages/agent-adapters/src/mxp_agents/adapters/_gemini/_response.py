"""Gemini ``GenerateContentResponse``s → our responses and stream events."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Final

import msgspec
from google.genai import types

from mxp_agents.adapters._errors import ContentFilteredError, MalformedResponseError
from mxp_agents.adapters._events import (
    Finish,
    FinishReason,
    ModelEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.primitives import ToolCall, Usage

__all__ = ["Label", "StreamMapper", "finish_reason", "to_response", "usage_of"]

_G = types.FinishReason
_FILTERED: Final = frozenset(
    {
        _G.SAFETY,
        _G.RECITATION,
        _G.BLOCKLIST,
        _G.PROHIBITED_CONTENT,
        _G.SPII,
        _G.IMAGE_SAFETY,
        _G.IMAGE_PROHIBITED_CONTENT,
        _G.IMAGE_RECITATION,
        _G.MODEL_ARMOR,
    }
)
_encoder: Final = msgspec.json.Encoder()

Remember = Callable[[str, bytes], None]
"""Called with (tool call id, thought signature) for each signed function call."""


class Label(msgspec.Struct, frozen=True):
    """Who answers: provider and model names for responses and errors.

    Example:
        >>> Label("gemini", "gemini-2.5-flash").provider
        'gemini'
    """

    provider: str
    model: str


def finish_reason(reason: types.FinishReason | None, has_calls: bool) -> FinishReason:
    """Our finish reason for Gemini's ``reason`` (None or ``STOP`` with function calls means
    ``TOOL_CALLS``).

    Example:
        >>> finish_reason(types.FinishReason.MAX_TOKENS, False)
        <FinishReason.LENGTH: 'length'>
    """
    if reason is None or reason == _G.STOP:
        return FinishReason.TOOL_CALLS if has_calls else FinishReason.STOP
    if reason == _G.MAX_TOKENS:
        return FinishReason.LENGTH
    if reason in _FILTERED:
        return FinishReason.CONTENT_FILTER
    return FinishReason.OTHER


def usage_of(meta: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    """Our `Usage` of Gemini's usage metadata: input includes cached and tool-use prompt tokens,
    output includes thinking tokens (reported as reasoning).

    Example:
        >>> meta = types.GenerateContentResponseUsageMetadata(
        ...     prompt_token_count=10, candidates_token_count=4, thoughts_token_count=6
        ... )
        >>> usage_of(meta).output_tokens, usage_of(meta).reasoning_tokens
        (10, 6)
    """
    if meta is None:
        return Usage()
    prompt = (meta.prompt_token_count or 0) + (meta.tool_use_prompt_token_count or 0)
    thoughts = meta.thoughts_token_count or 0
    return Usage(
        input_tokens=prompt,
        output_tokens=(meta.candidates_token_count or 0) + thoughts,
        cached_input_tokens=min(meta.cached_content_token_count or 0, prompt),
        reasoning_tokens=thoughts,
    )


def to_response(
    response: types.GenerateContentResponse, label: Label, remember: Remember
) -> ModelResponse:
    """The `ModelResponse` of one whole answer (thought parts are not part of the text).

    Raises:
        ContentFilteredError: Gemini blocked the prompt (no candidates, a ``blockReason``).
        MalformedResponseError: a function call without a name.

    Example:
        >>> part = types.Part(text="Hi")
        >>> answer = types.GenerateContentResponse(
        ...     candidates=[types.Candidate(content=types.Content(parts=[part]))]
        ... )
        >>> to_response(answer, Label("gemini", "gemini-2.5-flash"), lambda i, s: None).text
        'Hi'
    """
    _check_blocked(response, label)
    namer = _CallNamer(response.response_id)
    texts: list[str] = []
    calls: list[ToolCall] = []
    for part in _parts(response):
        if part.function_call is not None:
            call_id, name, arguments = namer.call(part, label, remember)
            calls.append(ToolCall(call_id, name, part.function_call.args or {}, arguments))
        elif part.text is not None and not part.thought:
            texts.append(part.text)
    candidate = response.candidates[0] if response.candidates else None
    reason = None if candidate is None else candidate.finish_reason
    return ModelResponse(
        text="".join(texts),
        tool_calls=tuple(calls),
        usage=usage_of(response.usage_metadata),
        finish_reason=finish_reason(reason, bool(calls)),
        model=response.model_version or label.model,
        provider=label.provider,
    )


class StreamMapper:
    """Turns streamed chunks into events: text deltas, one `ToolCallDelta` per (whole) function
    call, and at the end the last chunk's usage and the `Finish`.

    Example:
        >>> mapper = StreamMapper(Label("gemini", "gemini-2.5-flash"), lambda i, s: None)
        >>> chunk = types.GenerateContentResponse(
        ...     candidates=[types.Candidate(content=types.Content(parts=[types.Part(text="Hi")]))]
        ... )
        >>> mapper.events(chunk)
        [TextDelta(text='Hi')]
    """

    def __init__(self, label: Label, remember: Remember) -> None:
        self._label = label
        self._remember = remember
        self._namer: _CallNamer | None = None
        self._calls = 0
        self._usage: types.GenerateContentResponseUsageMetadata | None = None
        self._reason: types.FinishReason | None = None

    def events(self, chunk: types.GenerateContentResponse) -> list[ModelEvent]:
        """The events of one chunk (raises `ContentFilteredError` for a blocked prompt)."""
        _check_blocked(chunk, self._label)
        if chunk.usage_metadata is not None:
            self._usage = chunk.usage_metadata
        if chunk.candidates and chunk.candidates[0].finish_reason is not None:
            self._reason = chunk.candidates[0].finish_reason
        events: list[ModelEvent] = []
        for part in _parts(chunk):
            if part.function_call is not None:
                if self._namer is None:
                    self._namer = _CallNamer(chunk.response_id)
                call_id, name, arguments = self._namer.call(part, self._label, self._remember)
                events.append(ToolCallDelta(self._calls, call_id, name, arguments))
                self._calls += 1
            elif part.text and not part.thought:
                events.append(TextDelta(part.text))
        return events

    def finish(self) -> list[ModelEvent]:
        """The closing events: the usage of the last chunk that had one, then `Finish`."""
        events: list[ModelEvent] = []
        if self._usage is not None:
            events.append(UsageUpdate(usage_of(self._usage)))
        events.append(Finish(finish_reason(self._reason, self._calls > 0)))
        return events


class _CallNamer:
    """Ids for the function calls of one answer: Gemini's own, or ``call_<key>_<n>`` (``key``
    is the response id, or random), unique across the answers of a conversation."""

    def __init__(self, response_id: str | None) -> None:
        self._key = response_id or secrets.token_hex(6)
        self._count = 0

    def call(self, part: types.Part, label: Label, remember: Remember) -> tuple[str, str, str]:
        call = part.function_call
        assert call is not None
        number = self._count
        self._count += 1
        if not call.name:
            raise MalformedResponseError(
                f"function call {number} has no name",
                provider=label.provider,
                model=label.model,
            )
        call_id = call.id or f"call_{self._key}_{number}"
        if part.thought_signature:
            remember(call_id, part.thought_signature)
        return call_id, call.name, _encoder.encode(call.args or {}).decode()


def _parts(response: types.GenerateContentResponse) -> list[types.Part]:
    if not response.candidates:
        return []
    content = response.candidates[0].content
    if content is None or not content.parts:
        return []
    return content.parts


def _check_blocked(response: types.GenerateContentResponse, label: Label) -> None:
    feedback = response.prompt_feedback
    if response.candidates or feedback is None or feedback.block_reason is None:
        return
    reason = getattr(feedback.block_reason, "value", str(feedback.block_reason))
    detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else ""
    raise ContentFilteredError(
        f"Gemini blocked the prompt (blockReason {reason}){detail}",
        provider=label.provider,
        model=label.model,
    )
