"""OpenAI answers -> our terms: usage, finish reasons and whole ``chat.completion`` objects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mxp_agents.adapters._assembler import ResponseAssembler
from mxp_agents.adapters._errors import MalformedResponseError
from mxp_agents.adapters._events import Finish, FinishReason, TextDelta, ToolCallDelta, UsageUpdate
from mxp_agents.adapters._usage_cache import usage_of

if TYPE_CHECKING:
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion

    from mxp_agents.adapters._response import ModelResponse
    from mxp_agents.primitives import Usage

__all__ = ["finish_reason", "response_of", "usage_counts", "usage_of_openai"]

_FINISH: Final = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    "content_filter": FinishReason.CONTENT_FILTER,
}


def finish_reason(
    reason: str | None, *, tool_calls: bool = False, refused: bool = False
) -> FinishReason:
    """Our `FinishReason` of OpenAI's ``finish_reason``.

    A refusal is ``content_filter``; a missing reason (some compatible servers) is
    ``tool_calls`` when there are tool calls, else ``stop``; an unknown one is ``other``.

    Example:
        >>> finish_reason("function_call"), finish_reason("stop", refused=True)
        (<FinishReason.TOOL_CALLS: 'tool_calls'>, <FinishReason.CONTENT_FILTER: 'content_filter'>)
    """
    if refused:
        return FinishReason.CONTENT_FILTER
    if reason is None:
        return FinishReason.TOOL_CALLS if tool_calls else FinishReason.STOP
    return _FINISH.get(reason, FinishReason.OTHER)


def usage_counts(usage: CompletionUsage) -> tuple[int, int, int, int]:
    """(input, output, cached input, reasoning) tokens of an OpenAI ``usage`` block.

    ``prompt_tokens`` includes ``prompt_tokens_details.cached_tokens`` and
    ``completion_tokens`` includes ``completion_tokens_details.reasoning_tokens``, as in `Usage`.

    Example:
        >>> from openai.types import CompletionUsage
        >>> usage_counts(CompletionUsage(prompt_tokens=9, completion_tokens=4, total_tokens=13))
        (9, 4, 0, 0)
    """
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    cached = (prompt.cached_tokens if prompt is not None else None) or 0
    reasoning = (completion.reasoning_tokens if completion is not None else None) or 0
    return (
        _count(usage.prompt_tokens),
        _count(usage.completion_tokens),
        _count(cached),
        _count(reasoning),
    )


def usage_of_openai(usage: CompletionUsage | None) -> Usage:
    """Our `Usage` of an OpenAI ``usage`` block (zero when there is none).

    Example:
        >>> from openai.types import CompletionUsage
        >>> usage_of_openai(CompletionUsage(prompt_tokens=9, completion_tokens=4, total_tokens=13))
        Usage(input_tokens=9, output_tokens=4, cached_input_tokens=0, reasoning_tokens=0)
    """
    if usage is None:
        return usage_of(0, 0)
    return usage_of(*usage_counts(usage))


def _count(value: object) -> int:
    # Compatible servers sometimes send null or floats; SDK objects are not validated.
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return 0
    return int(value)


def response_of(completion: ChatCompletion, *, model: str, provider: str) -> ModelResponse:
    """The `ModelResponse` of a ``chat.completion`` object (its first choice).

    The text is ``message.content``; a refusal (``message.refusal``) becomes the text with
    finish reason ``content_filter``. Tool-call arguments are parsed as JSON objects.
    ``model`` labels errors and is the fallback when the answer names no model.

    Raises:
        MalformedResponseError: no choices, a tool call that is not a function call, or
            arguments that are not a JSON object.

    Example:
        >>> response_of(completion, model="gpt-4o-mini", provider="openai").text  # doctest: +SKIP
        'Paris.'
    """
    answered_by = completion.model or model
    choices = [choice for choice in completion.choices if choice.index == 0] or completion.choices
    if not choices:
        raise MalformedResponseError(
            "the chat.completion has no choices", provider=provider, model=answered_by
        )
    choice = choices[0]
    message = choice.message
    assembler = ResponseAssembler(model=answered_by, provider=provider)
    text = message.content or ""
    refusal = message.refusal or ""
    if text or refusal:
        assembler.add(TextDelta(text + refusal))
    calls = message.tool_calls or []
    for index, call in enumerate(calls):
        if call.type != "function":
            raise MalformedResponseError(
                f"tool call {index} has type {call.type!r}; only function tools are offered",
                provider=provider,
                model=answered_by,
            )
        function = call.function
        assembler.add(ToolCallDelta(index, call.id, function.name, function.arguments or ""))
    assembler.add(UsageUpdate(usage_of_openai(completion.usage)))
    reason = finish_reason(choice.finish_reason, tool_calls=bool(calls), refused=bool(refusal))
    assembler.add(Finish(reason))
    return assembler.response()
