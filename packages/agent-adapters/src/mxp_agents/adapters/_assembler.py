"""Assembling a stream of `ModelEvent`s into one `ModelResponse`."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from types import AsyncGeneratorType
from typing import TYPE_CHECKING

from mxp_agents.adapters._errors import MalformedResponseError
from mxp_agents.adapters._events import Finish, FinishReason, TextDelta, ToolCallDelta, UsageUpdate
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters._usage_cache import usage_of
from mxp_agents.primitives import InvalidMessage, ToolCall

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mxp_agents.adapters._events import ModelEvent

__all__ = ["ResponseAssembler", "collect_response"]


class _PartialCall:
    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id: str | None = None
        self.name: str | None = None
        self.arguments: list[str] = []


class ResponseAssembler:
    """Collects the events of one streamed answer and builds the `ModelResponse`.

    Text deltas are concatenated; tool-call fragments are joined per ``index`` (they may
    interleave) and parsed as JSON arguments, in index order; usage updates (and their costs)
    are summed.
    Raises `MalformedResponseError` for an event after `Finish`, a missing `Finish`, a tool
    call without id or name, conflicting ids or names, or arguments that are not a JSON object.
    ``model`` and ``provider`` label errors and the response.

    Example:
        >>> assembler = ResponseAssembler(model="m", provider="p")
        >>> for event in (
        ...     TextDelta("Looking "),
        ...     ToolCallDelta(0, "call_1", "search", '{"q": '),
        ...     TextDelta("it up."),
        ...     ToolCallDelta(0, None, None, '"mxp"}'),
        ...     UsageUpdate(Usage(input_tokens=9, output_tokens=7)),
        ...     Finish(FinishReason.TOOL_CALLS),
        ... ):
        ...     assembler.add(event)
        >>> response = assembler.response()
        >>> response.text, response.tool_calls[0].arguments, response.usage.total
        ('Looking it up.', {'q': 'mxp'}, 16)
    """

    def __init__(self, *, model: str = "", provider: str = "") -> None:
        self.model = model
        self.provider = provider
        self._text: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._usage = [0, 0, 0, 0]  # input, output, cached input, reasoning
        self._cost: float | None = None
        self._finish: FinishReason | None = None

    @property
    def finish_reason(self) -> FinishReason | None:
        """The reason of the `Finish` event, or None while the stream is still open.

        Example:
            >>> ResponseAssembler().finish_reason is None
            True
        """
        return self._finish

    def add(self, event: ModelEvent) -> None:
        """Take the next event of the stream.

        Example:
            >>> assembler = ResponseAssembler()
            >>> assembler.add(TextDelta("hi"))
        """
        if self._finish is not None:
            raise self._error(f"got a {type(event).__name__} event after the Finish event")
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, ToolCallDelta):
            self._add_fragment(event)
        elif isinstance(event, UsageUpdate):
            usage, total = event.usage, self._usage
            total[0] += usage.input_tokens
            total[1] += usage.output_tokens
            total[2] += usage.cached_input_tokens
            total[3] += usage.reasoning_tokens
            if event.cost is not None:
                self._cost = event.cost if self._cost is None else self._cost + event.cost
        elif isinstance(event, Finish):  # pyright: ignore[reportUnnecessaryIsInstance]
            reason = event.reason
            self._finish = reason if type(reason) is FinishReason else FinishReason(reason)
        else:
            raise TypeError(f"expected a ModelEvent, got {type(event).__name__}")

    def response(self, model: str | None = None, provider: str | None = None) -> ModelResponse:
        """The assembled answer; ``model`` / ``provider`` default to the assembler's.

        Raises:
            MalformedResponseError: no `Finish` event came, or a tool call is incomplete or
                its arguments are not a JSON object.

        Example:
            >>> assembler = ResponseAssembler()
            >>> assembler.add(TextDelta("Paris."))
            >>> assembler.add(Finish())
            >>> assembler.response(model="gpt-4o", provider="openai").text
            'Paris.'
        """
        model = self.model if model is None else model
        provider = self.provider if provider is None else provider
        if self._finish is None:
            raise self._error("the stream ended without a Finish event", model, provider)
        calls = tuple(
            self._tool_call(index, self._calls[index], model, provider)
            for index in sorted(self._calls)
        )
        return ModelResponse(
            text="".join(self._text),
            tool_calls=calls,
            usage=usage_of(*self._usage),
            finish_reason=self._finish,
            model=model,
            provider=provider,
            cost=self._cost,
        )

    def _add_fragment(self, delta: ToolCallDelta) -> None:
        index = delta.index
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise self._error(f"a tool call index must be an int >= 0, got {index!r}")
        partial = self._calls.get(index)
        if partial is None:
            partial = self._calls[index] = _PartialCall()
        if delta.id is not None:
            if partial.id is not None and partial.id != delta.id:
                raise self._error(
                    f"tool call {index} got a second id {delta.id!r} (first {partial.id!r})"
                )
            partial.id = delta.id
        if delta.name is not None:
            if partial.name is not None and partial.name != delta.name:
                raise self._error(
                    f"tool call {index} got a second name {delta.name!r} (first {partial.name!r})"
                )
            partial.name = delta.name
        if delta.arguments:
            partial.arguments.append(delta.arguments)

    def _tool_call(self, index: int, partial: _PartialCall, model: str, provider: str) -> ToolCall:
        label = f"tool call {index}" + ("" if partial.name is None else f" ({partial.name!r})")
        if not partial.name:
            raise self._error(f"{label} has no tool name", model, provider)
        if not partial.id:
            raise self._error(f"{label} has no id", model, provider)
        raw = "".join(partial.arguments)
        try:
            return ToolCall.parse(partial.id, partial.name, raw)
        except InvalidMessage as error:
            reason = error.reason.replace(f"tool call arguments for {partial.name!r} ", "")
            raise self._error(f"{label}: arguments {reason}", model, provider) from None

    def _error(
        self, message: str, model: str | None = None, provider: str | None = None
    ) -> MalformedResponseError:
        return MalformedResponseError(
            message, provider=provider or self.provider or None, model=model or self.model or None
        )


async def collect_response(
    stream: AsyncIterator[ModelEvent], model: str = "", provider: str = ""
) -> ModelResponse:
    """Read a whole event stream and return the assembled `ModelResponse`.

    The stream is closed (``aclose``) when reading stops, also on an error or cancellation.
    A non-streaming ``complete`` is often just this over ``stream``.

    Example:
        >>> response = await collect_response(
        ...     adapter.stream(request), model=adapter.model_name, provider=adapter.provider
        ... )  # doctest: +SKIP
    """
    assembler = ResponseAssembler(model=model, provider=provider)
    try:
        async for event in stream:
            assembler.add(event)
    finally:
        if type(stream) is AsyncGeneratorType or isinstance(stream, AsyncGenerator):
            await stream.aclose()
    return assembler.response()
