"""``chat.completion.chunk`` objects -> `ModelEvent`s, one chunk at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.adapters._errors import MalformedResponseError
from mxp_agents.adapters._events import Finish, TextDelta, ToolCallDelta, UsageUpdate
from mxp_agents.adapters._openai._response import finish_reason, usage_counts
from mxp_agents.adapters._usage_cache import usage_of

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionChunk

    from mxp_agents.adapters._events import ModelEvent

__all__ = ["ChunkMapper"]


class ChunkMapper:
    """Turns the chunks of one streamed answer into events, then gives the `Finish`.

    Text deltas (``delta.content``) -> `TextDelta`; refusal deltas (``delta.refusal``) ->
    `TextDelta` and a ``content_filter`` finish; tool-call deltas -> `ToolCallDelta` by their
    ``index`` (id and name on the first fragment, arguments in pieces); a ``usage`` block (the
    last chunk, with no choices, under ``stream_options.include_usage``) -> `UsageUpdate` of
    what was not reported yet, so servers that repeat running totals are counted once.
    Only choice 0 is read.

    Example:
        >>> mapper = ChunkMapper(model="gpt-4o-mini", provider="openai")
        >>> events = [event for chunk in chunks for event in mapper.events(chunk)]  # doctest: +SKIP
        >>> mapper.finish().reason  # doctest: +SKIP
        <FinishReason.STOP: 'stop'>
    """

    __slots__ = ("_calls", "_model", "_provider", "_reason", "_refused", "_reported", "_seen")

    def __init__(self, *, model: str, provider: str) -> None:
        self._model = model
        self._provider = provider
        self._reported = (0, 0, 0, 0)
        self._reason: str | None = None
        self._seen = False  # a finish_reason arrived
        self._refused = False
        self._calls = False

    def events(self, chunk: ChatCompletionChunk) -> list[ModelEvent]:
        """The events of one chunk (often one, sometimes none).

        Example:
            >>> ChunkMapper(model="m", provider="p").events(chunk)  # doctest: +SKIP
            [TextDelta(text='Hel')]
        """
        events: list[ModelEvent] = []
        for choice in chunk.choices or ():
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta is not None:  # pyright: ignore[reportUnnecessaryComparison]
                if delta.content:
                    events.append(TextDelta(delta.content))
                if delta.refusal:
                    self._refused = True
                    events.append(TextDelta(delta.refusal))
                for call in delta.tool_calls or ():
                    function = call.function
                    name = (function.name if function is not None else None) or None
                    arguments = (function.arguments if function is not None else None) or ""
                    if call.id or name or arguments:
                        self._calls = True
                        events.append(ToolCallDelta(call.index, call.id or None, name, arguments))
            if choice.finish_reason is not None:
                self._reason = choice.finish_reason
                self._seen = True
        if chunk.usage is not None:
            update = self._usage_update(usage_counts(chunk.usage))
            if update is not None:
                events.append(update)
        return events

    def _usage_update(self, counts: tuple[int, int, int, int]) -> UsageUpdate | None:
        old = self._reported
        self._reported = (
            max(counts[0], old[0]),
            max(counts[1], old[1]),
            max(counts[2], old[2]),
            max(counts[3], old[3]),
        )
        increment = [new - before for new, before in zip(self._reported, old, strict=True)]
        if not any(increment):
            return None
        return UsageUpdate(usage_of(*increment))

    def finish(self) -> Finish:
        """The `Finish` event, once the stream has ended.

        Raises:
            MalformedResponseError: the stream ended without a ``finish_reason``.

        Example:
            >>> ChunkMapper(model="m", provider="p").finish()
            Traceback (most recent call last):
            ...
            mxp_agents.adapters._errors.MalformedResponseError: p model 'm': the stream ended ...
        """
        if not self._seen:
            raise MalformedResponseError(
                "the stream ended without a finish_reason",
                provider=self._provider,
                model=self._model,
            )
        return Finish(finish_reason(self._reason, tool_calls=self._calls, refused=self._refused))
