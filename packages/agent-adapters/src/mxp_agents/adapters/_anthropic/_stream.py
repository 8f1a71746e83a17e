"""Anthropic's streamed events (``message_start`` ... ``message_stop``) → our `ModelEvent`s."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from anthropic.types import (
    InputJSONDelta,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    TextBlock,
    ToolUseBlock,
)
from anthropic.types import TextDelta as WireTextDelta

from mxp_agents.adapters._anthropic._response import finish_reason
from mxp_agents.adapters._events import (
    Finish,
    FinishReason,
    ModelEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from mxp_agents.adapters._usage_cache import usage_of

if TYPE_CHECKING:
    from anthropic.types import RawMessageStreamEvent

    from mxp_agents.adapters._anthropic._response import UsageCounts

__all__ = ["StreamTranslator"]


class StreamTranslator:
    """Turns the raw events of one Anthropic stream into ours, one at a time.

    ``text_delta`` → `TextDelta`; a ``tool_use`` block start → `ToolCallDelta` with id and
    name, its ``input_json_delta`` fragments → `ToolCallDelta` arguments (tool calls numbered
    0, 1, ... in block order); usage (cumulative on the wire, in ``message_start`` and
    ``message_delta``) → `UsageUpdate` increments; ``message_stop`` → `Finish` with the
    ``stop_reason`` of ``message_delta``. Thinking and server-tool blocks are skipped.
    ``model`` is the model named by ``message_start``.

    Example:
        >>> translator = StreamTranslator()
        >>> translator.translate(event)  # doctest: +SKIP
        TextDelta(text='Hel')
    """

    __slots__ = ("_reported", "_stop_reason", "_tools", "_wire", "finished", "model")

    def __init__(self) -> None:
        self._tools: dict[int, int] = {}  # content block index -> our tool call index
        self._wire = [0, 0, 0, 0, 0]  # input, cache read, cache creation, output, thinking
        self._reported = [0, 0, 0, 0]  # input, output, cached input, reasoning (ours)
        self._stop_reason: str | None = None
        self.model: str | None = None
        self.finished = False

    def translate(self, event: RawMessageStreamEvent) -> ModelEvent | None:
        """Our event for ``event``, or None when it carries nothing for us.

        Example:
            >>> StreamTranslator().translate(stop_event)  # doctest: +SKIP
            Finish(reason=<FinishReason.OTHER: 'other'>)
        """
        if isinstance(event, RawContentBlockDeltaEvent):
            delta = event.delta
            if isinstance(delta, WireTextDelta):
                return TextDelta(delta.text) if delta.text else None
            if isinstance(delta, InputJSONDelta):
                index = self._tools.get(event.index)
                if index is None or not delta.partial_json:
                    return None
                return ToolCallDelta(index, None, None, delta.partial_json)
            return None  # thinking, signature and citations deltas
        if isinstance(event, RawContentBlockStartEvent):
            block = event.content_block
            if isinstance(block, TextBlock):
                return TextDelta(block.text) if block.text else None
            if isinstance(block, ToolUseBlock):
                index = self._tools[event.index] = len(self._tools)
                arguments = msgspec.json.encode(block.input).decode() if block.input else ""
                return ToolCallDelta(index, block.id, block.name, arguments)
            return None
        if isinstance(event, RawMessageDeltaEvent):
            if event.delta.stop_reason is not None:
                self._stop_reason = event.delta.stop_reason
            return self._usage(event.usage)
        if isinstance(event, RawMessageStartEvent):
            self.model = event.message.model
            return self._usage(event.message.usage)
        if isinstance(event, RawMessageStopEvent):
            self.finished = True
            return Finish(self.reason)
        return None  # content_block_stop, and event types this SDK does not know

    @property
    def reason(self) -> FinishReason:
        """Our finish reason for the ``stop_reason`` seen so far.

        Example:
            >>> StreamTranslator().reason
            <FinishReason.OTHER: 'other'>
        """
        return finish_reason(self._stop_reason)

    def _usage(self, usage: UsageCounts) -> UsageUpdate | None:
        wire = self._wire
        for slot, value in enumerate(
            (usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens)
        ):
            if value is not None:
                wire[slot] = value
        wire[3] = usage.output_tokens
        details = usage.output_tokens_details
        if details is not None:
            wire[4] = details.thinking_tokens
        totals = (wire[0] + wire[1] + wire[2], wire[3], wire[1], min(wire[4], wire[3]))
        reported = self._reported
        increments = [
            max(0, total - before) for total, before in zip(totals, reported, strict=True)
        ]
        if not any(increments):
            return None
        self._reported = [
            max(total, before) for total, before in zip(totals, reported, strict=True)
        ]
        return UsageUpdate(usage_of(*increments))
