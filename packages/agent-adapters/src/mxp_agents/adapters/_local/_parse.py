"""Reading a tool envelope the model wrote (``{"tool": ..., "arguments": ...}`` or an answer)."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters._errors import MalformedResponseError
from mxp_agents.adapters._events import FinishReason, TextDelta, ToolCallDelta

if TYPE_CHECKING:
    from mxp_agents.adapters._events import ModelEvent

__all__ = ["envelope_events", "next_call_id"]

_decoder: Final = msgspec.json.Decoder()
_encoder: Final = msgspec.json.Encoder()
_ids: Final = itertools.count(1)
_ANSWER_START: Final = re.compile(r'\s*\{\s*"answer"\s*:\s*"')
_LONGEST_ESCAPE: Final = 6  # \uXXXX


def next_call_id() -> str:
    """A tool call id unique in this process: ``call_1``, ``call_2``, ...

    Example:
        >>> next_call_id().startswith("call_")
        True
    """
    return f"call_{next(_ids)}"


def envelope_events(
    text: str, *, tools: frozenset[str], finish: FinishReason, model: str
) -> tuple[list[ModelEvent], FinishReason]:
    """The events for the envelope ``text``, and the answer's finish reason.

    A tool call becomes one `ToolCallDelta` (finish ``TOOL_CALLS``); an answer becomes a
    `TextDelta` (a JSON answer is re-encoded compactly); a text answer cut off at the output
    limit gives the text so far. Raises `MalformedResponseError` when the text is not an
    envelope: a tool call or JSON answer cut off at the output limit, or an unknown tool.

    Example:
        >>> events, reason = envelope_events(
        ...     '{"answer": "Hi"}', tools=frozenset(), finish=FinishReason.STOP, model="m"
        ... )
        >>> events, reason
        ([TextDelta(text='Hi')], <FinishReason.STOP: 'stop'>)
    """
    if finish is FinishReason.LENGTH:
        partial = _partial_answer(text)
        if partial is not None:
            return ([TextDelta(partial)] if partial else []), finish
    value = _decoded(text, finish, model)
    if not isinstance(value, dict):
        raise _malformed(f"expected a JSON object, got {text[:200]!r}", model)
    envelope: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
    if "tool" in envelope:
        name = envelope["tool"]
        arguments = envelope.get("arguments", {})
        if not isinstance(name, str) or name not in tools:
            raise _malformed(f"the model called an unknown tool {name!r}", model)
        if not isinstance(arguments, dict):
            raise _malformed(f"the arguments of tool {name!r} are not a JSON object", model)
        raw = _encoder.encode(arguments).decode()
        return [ToolCallDelta(0, next_call_id(), name, raw)], FinishReason.TOOL_CALLS
    if "answer" in envelope:
        answer = envelope["answer"]
        answer_text = answer if isinstance(answer, str) else _encoder.encode(answer).decode()
        return ([TextDelta(answer_text)] if answer_text else []), finish
    raise _malformed(f"expected a tool call or an answer, got {text[:200]!r}", model)


def _partial_answer(text: str) -> str | None:
    """The text of an ``{"answer": "...`` envelope cut off inside its string, else None."""
    start = _ANSWER_START.match(text)
    if start is None:
        return None
    body = text[start.end() :]
    # Drop what cannot end a JSON string: the closing quote and after, or a cut escape.
    for end in range(len(body), max(len(body) - _LONGEST_ESCAPE, 0) - 1, -1):
        try:
            value: object = _decoder.decode(f'"{body[:end]}"')
        except msgspec.DecodeError:
            continue
        return value if isinstance(value, str) else None
    return None


def _decoded(text: str, finish: FinishReason, model: str) -> object:
    try:
        return _decoder.decode(text)
    except msgspec.DecodeError as error:
        if finish is FinishReason.LENGTH:
            raise MalformedResponseError(
                "the model reached max_output_tokens before finishing its tool call or answer "
                f"({text[:200]!r}); allow more output tokens",
                provider="local",
                model=model,
                retryable=False,
            ) from None
        raise _malformed(f"the output is not JSON ({error}): {text[:200]!r}", model) from None


def _malformed(message: str, model: str) -> MalformedResponseError:
    return MalformedResponseError(message, provider="local", model=model)
