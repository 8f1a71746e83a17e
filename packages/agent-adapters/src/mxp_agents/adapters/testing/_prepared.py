"""A scripted text / JSON / tool-call answer, built once and replayed fast for every request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters._usage_cache import usage_of
from mxp_agents.adapters.testing._stream import (
    content_events,
    estimate_tokens,
    finish_event,
    input_tokens,
    normalised_calls,
    output_characters,
    usage_events,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters.testing._steps import Step
    from mxp_agents.primitives import Usage

__all__ = ["PreparedAnswer", "prepared"]

_replace: Final = msgspec.structs.replace


class PreparedAnswer:
    """The response and stream events of one text, JSON or tool-call `Step` for one model.

    Built once per step and model (the events on first use); per call only the usage is
    made, unless the step scripted it: input tokens are estimated from each request.

    Example:
        >>> answer = prepared(Step.text("hi"), "scripted", "scripted", None)
        >>> answer.complete(request).text
        'hi'
    """

    __slots__ = (
        "_chunk_size",
        "_content",
        "_finish",
        "_fixed",
        "_output_tokens",
        "_response",
        "_streamed",
    )

    def __init__(self, step: Step, model: str, provider: str, chunk_size: int | None) -> None:
        calls = normalised_calls(step.calls)
        self._output_tokens = estimate_tokens(output_characters(step.content, calls))
        self._fixed = step.usage is not None
        usage = step.usage if step.usage is not None else usage_of(0, self._output_tokens)
        self._response: Final = ModelResponse(
            text=step.content,
            tool_calls=calls,
            usage=usage,
            finish_reason=step.finish_reason,
            model=model,
            provider=provider,
        )
        self._chunk_size = chunk_size
        self._streamed = step.streamed
        self._content: tuple[ModelEvent, ...] | None = None
        self._finish = finish_event(step.finish_reason)

    def _usage(self, request: ModelRequest) -> Usage:
        if self._fixed:
            return self._response.usage
        return usage_of(input_tokens(request), self._output_tokens)

    def complete(self, request: ModelRequest) -> ModelResponse:
        """The whole answer to ``request``.

        Example:
            >>> prepared(Step.text("hi"), "m", "p", None).complete(request).finish_reason
            <FinishReason.STOP: 'stop'>
        """
        if self._fixed:
            return self._response
        return _replace(self._response, usage=self._usage(request))

    def events(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """The answer to ``request`` as stream events (usage, content, usage, `Finish`).

        Example:
            >>> answer = prepared(Step.text("hi"), "m", "p", None)
            >>> [type(event).__name__ for event in answer.events(request)]
            ['UsageUpdate', 'TextDelta', 'UsageUpdate', 'Finish']
        """
        content = self._content
        if content is None:
            text, calls = self._response.text, self._response.tool_calls
            content = self._content = content_events(
                text, calls, streamed=self._streamed, chunk_size=self._chunk_size
            )
        first, last = usage_events(self._usage(request), streamed=self._streamed)
        if last is not None:
            yield first
        yield from content
        yield first if last is None else last
        yield self._finish


def prepared(step: Step, model: str, provider: str, chunk_size: int | None) -> PreparedAnswer:
    """The `PreparedAnswer` of ``step`` for this model, cached on the step (steps repeat in
    long scripts: ``[Step.text("ok")] * 100_000`` builds one answer).

    Example:
        >>> step = Step.text("ok")
        >>> prepared(step, "m", "p", None) is prepared(step, "m", "p", None)
        True
    """
    key = (model, provider, chunk_size)
    cache = step._cache  # pyright: ignore[reportPrivateUsage]
    answer = cache.get(key)
    if answer is None:
        answer = cache[key] = PreparedAnswer(step, model, provider, chunk_size)
    return answer
