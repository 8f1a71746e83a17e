"""`ModelResponse`: one complete answer of a model."""

from __future__ import annotations

from typing import Any, TypeVar, overload

import msgspec

from mxp_agents.adapters._errors import InvalidModelValue, MalformedResponseError
from mxp_agents.adapters._events import FinishReason
from mxp_agents.adapters._validate import kind_of
from mxp_agents.primitives import DecodeError, Message, ToolCall, Usage, from_json

__all__ = ["ModelResponse"]

T = TypeVar("T")

_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()
_NO_USAGE = Usage()


class ModelResponse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A complete answer: text and/or tool calls, tokens used, why it ended, and who answered.

    Build it from a stream with `ResponseAssembler` / `collect_response`, or directly in a
    fake model. ``tool_calls`` must have distinct ids. Decide whether to run tools by
    ``tool_calls``, not by ``finish_reason``.

    Example:
        >>> response = ModelResponse(text="Paris.", model="gpt-4o", provider="openai")
        >>> response.message.content, response.finish_reason
        ('Paris.', <FinishReason.STOP: 'stop'>)
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = _NO_USAGE
    finish_reason: FinishReason = FinishReason.STOP
    model: str = ""
    provider: str = ""
    cost: float | None = None
    """What the call cost in US dollars, when the model's price is known (`PriceTable`)."""

    def __post_init__(self) -> None:
        if type(self.text) is not str:
            raise InvalidModelValue(f"expected str, got {kind_of(self.text)}", "$.text")
        calls = self.tool_calls
        if type(calls) is not tuple:
            if not isinstance(calls, list | tuple):  # pyright: ignore[reportUnnecessaryIsInstance]
                kind = kind_of(calls)
                raise InvalidModelValue(f"expected array, got {kind}", "$.tool_calls")
            calls = tuple(calls)  # pyright: ignore[reportUnknownArgumentType]
            msgspec.structs.force_setattr(self, "tool_calls", calls)
        if calls:
            _check_calls(calls)
        if type(self.finish_reason) is not FinishReason:
            msgspec.structs.force_setattr(self, "finish_reason", _finish_reason(self.finish_reason))
        if type(self.usage) is not Usage:
            raise InvalidModelValue(f"expected Usage, got {kind_of(self.usage)}", "$.usage")
        cost = self.cost
        if cost is not None and (type(cost) not in (int, float) or not cost >= 0):
            raise InvalidModelValue(f"expected a cost >= 0 or null, got {cost!r}", "$.cost")

    @property
    def message(self) -> Message:
        """The answer as the assistant `Message` to append to the conversation.

        Example:
            >>> ModelResponse(text="hi").message.role
            <Role.ASSISTANT: 'assistant'>
        """
        return Message.assistant(self.text, tool_calls=self.tool_calls)

    @overload
    def parsed_json(self) -> Any: ...
    @overload
    def parsed_json(self, type: type[T]) -> T: ...
    def parsed_json(self, type: Any = None) -> Any:
        """The text parsed as JSON (structured output), optionally into ``type`` (a Struct...).

        Raises:
            MalformedResponseError: the text is not JSON, or does not fit ``type``.

        Example:
            >>> ModelResponse(text='{"city": "Paris"}').parsed_json()
            {'city': 'Paris'}
        """
        try:
            if type is None:
                return _any_decoder.decode(self.text)
            return from_json(self.text, type)
        except (msgspec.DecodeError, DecodeError, ValueError) as error:
            raise MalformedResponseError(
                f"the answer is not the expected JSON: {error}",
                provider=self.provider or None,
                model=self.model or None,
            ) from None


def _check_calls(calls: tuple[object, ...]) -> None:
    seen: set[str] = set()
    for index, call in enumerate(calls):
        if not isinstance(call, ToolCall):
            kind = kind_of(call)
            raise InvalidModelValue(f"expected ToolCall, got {kind}", f"$.tool_calls[{index}]")
        if call.id in seen:
            raise InvalidModelValue(
                f"tool call id {call.id!r} appears more than once", f"$.tool_calls[{index}].id"
            )
        seen.add(call.id)


def _finish_reason(value: object) -> FinishReason:
    if isinstance(value, str):
        try:
            return FinishReason(value)
        except ValueError:
            pass
    names = ", ".join(reason.value for reason in FinishReason)
    raise InvalidModelValue(
        f"unknown finish reason {value!r}; use one of {names}", "$.finish_reason"
    )
