"""The events of a streamed model answer and why an answer ended.

A stream is any number of `TextDelta`, `ToolCallDelta` and `UsageUpdate` events followed by
exactly one `Finish`. The events are a tagged union (``"type"`` field), so they encode to JSON
and decode back as `ModelEvent`.
"""

import enum
from typing import Annotated

import msgspec

from mxp_agents.primitives import Usage

__all__ = ["Finish", "FinishReason", "ModelEvent", "TextDelta", "ToolCallDelta", "UsageUpdate"]


class FinishReason(enum.StrEnum):
    """Why the model stopped: its turn was over, a limit, tool calls, a content filter, other.

    Adapters map each provider's reasons onto these (``end_turn`` -> ``stop``,
    ``max_tokens`` -> ``length``, ``tool_use`` -> ``tool_calls``, ``SAFETY`` ->
    ``content_filter``). Decide on tool calls by ``ModelResponse.tool_calls``, not this value:
    some providers report ``stop`` with tool calls.

    Example:
        >>> FinishReason("length") is FinishReason.LENGTH
        True
    """

    STOP = "stop"
    LENGTH = "length"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"
    OTHER = "other"


class TextDelta(msgspec.Struct, frozen=True, tag="text_delta", tag_field="type"):
    """The next piece of the answer's text.

    Example:
        >>> msgspec.json.encode(TextDelta("Hel"))
        b'{"type":"text_delta","text":"Hel"}'
    """

    text: str


class ToolCallDelta(msgspec.Struct, frozen=True, tag="tool_call_delta", tag_field="type"):
    """A fragment of tool call number ``index`` (0, 1, ... within one answer).

    ``arguments`` is the next piece of the call's JSON argument text; concatenated in order the
    pieces of one index form a JSON object. ``id`` and ``name`` usually come on the first
    fragment of an index and are None on the others. Fragments of different indexes may
    interleave (parallel tool calls).

    Example:
        >>> first = ToolCallDelta(0, "call_1", "search", '{"query": ')
        >>> rest = ToolCallDelta(0, None, None, '"mxp"}')
        >>> first.arguments + rest.arguments
        '{"query": "mxp"}'
    """

    index: Annotated[int, msgspec.Meta(ge=0)]
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class UsageUpdate(msgspec.Struct, frozen=True, tag="usage", tag_field="type"):
    """Tokens used, as an increment: the answer's usage is the sum of all its updates.

    Adapters whose provider reports cumulative totals send the difference, so a stream may
    report input tokens first and output tokens at the end. ``cost`` is what these tokens
    cost in US dollars when the adapter knows the model's price (see `PriceTable`), else None.

    Example:
        >>> UsageUpdate(Usage(input_tokens=12)).usage.input_tokens
        12
    """

    usage: Usage
    cost: float | None = None


class Finish(msgspec.Struct, frozen=True, tag="finish", tag_field="type"):
    """The last event of every stream, with the reason the model stopped.

    Example:
        >>> Finish(FinishReason.TOOL_CALLS).reason
        <FinishReason.TOOL_CALLS: 'tool_calls'>
    """

    reason: FinishReason = FinishReason.STOP


ModelEvent = TextDelta | ToolCallDelta | UsageUpdate | Finish
"""One event of a streamed answer; decode a JSON event with ``msgspec.json.decode(data,
type=ModelEvent)``."""
