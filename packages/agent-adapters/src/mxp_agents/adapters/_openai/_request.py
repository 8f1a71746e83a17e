"""`ModelRequest` -> the keyword arguments of ``client.chat.completions.create``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal, Required, TypedDict

import msgspec

from mxp_agents.adapters._request import ToolChoiceTool
from mxp_agents.primitives import Role

if TYPE_CHECKING:
    from collections.abc import Mapping

    from openai.types.chat import (
        ChatCompletionAssistantMessageParam,
        ChatCompletionFunctionToolParam,
        ChatCompletionMessageFunctionToolCallParam,
        ChatCompletionMessageParam,
        ChatCompletionToolChoiceOptionParam,
        ChatCompletionToolUnionParam,
    )
    from openai.types.shared_params import FunctionDefinition, ResponseFormatJSONSchema

    from mxp_agents.adapters._request import ModelRequest, ResponseFormat, ToolChoice
    from mxp_agents.primitives import Message, ToolCall, ToolDefinition

__all__ = ["ChatParams", "chat_params", "message_param", "tool_param"]

_encoder: Final = msgspec.json.Encoder()


class ChatParams(TypedDict, total=False):
    """The request part of ``chat.completions.create``'s keyword arguments (no ``stream``)."""

    model: Required[str]
    messages: Required[list[ChatCompletionMessageParam]]
    tools: list[ChatCompletionToolUnionParam]
    tool_choice: ChatCompletionToolChoiceOptionParam
    temperature: float
    max_completion_tokens: int
    stop: list[str]
    response_format: ResponseFormatJSONSchema
    extra_body: dict[str, Any]


def chat_params(
    request: ModelRequest, model: str, extra_body: Mapping[str, Any] | None = None
) -> ChatParams:
    """The Chat Completions arguments of ``request`` for ``model``.

    System messages stay at their place as ``"system"`` messages; ``tool_choice`` is sent
    only with tools; ``max_output_tokens`` becomes ``max_completion_tokens``;
    ``metadata`` is not sent (it is ours, and OpenAI stores ``metadata`` only with ``store``).

    Example:
        >>> from mxp_agents.adapters import ModelRequest
        >>> from mxp_agents.primitives import Message
        >>> params = chat_params(ModelRequest((Message.user("hi"),), max_output_tokens=5), "m")
        >>> params["messages"], params["max_completion_tokens"]
        ([{'role': 'user', 'content': 'hi'}], 5)
    """
    params: ChatParams = {
        "model": model,
        "messages": [message_param(message) for message in request.messages],
    }
    if request.tools:
        params["tools"] = [tool_param(tool) for tool in request.tools]
        params["tool_choice"] = tool_choice_param(request.tool_choice)
    if request.temperature is not None:
        params["temperature"] = request.temperature
    if request.max_output_tokens is not None:
        params["max_completion_tokens"] = request.max_output_tokens
    if request.stop:
        params["stop"] = list(request.stop)
    if request.response_format is not None:
        params["response_format"] = response_format_param(request.response_format)
    if extra_body:
        params["extra_body"] = dict(extra_body)
    return params


def message_param(message: Message) -> ChatCompletionMessageParam:
    """One conversation message as an OpenAI chat message.

    Example:
        >>> from mxp_agents.primitives import Message
        >>> message_param(Message.tool("12:00", tool_call_id="call_1"))
        {'role': 'tool', 'content': '12:00', 'tool_call_id': 'call_1'}
    """
    role = message.role
    if role is Role.TOOL:
        return {
            "role": "tool",
            "content": message.content,
            "tool_call_id": message.tool_call_id or "",
        }
    if role is Role.ASSISTANT:
        return _assistant_param(message)
    if role is Role.SYSTEM:
        if message.name is None:
            return {"role": "system", "content": message.content}
        return {"role": "system", "content": message.content, "name": message.name}
    if message.name is None:
        return {"role": "user", "content": message.content}
    return {"role": "user", "content": message.content, "name": message.name}


def _assistant_param(message: Message) -> ChatCompletionAssistantMessageParam:
    param: ChatCompletionAssistantMessageParam = {"role": "assistant"}
    if message.tool_calls:
        # OpenAI's own answers carry ``content: null`` next to tool calls.
        param["content"] = message.content or None
        param["tool_calls"] = [_tool_call_param(call) for call in message.tool_calls]
    else:
        param["content"] = message.content
    if message.name is not None:
        param["name"] = message.name
    return param


def _tool_call_param(call: ToolCall) -> ChatCompletionMessageFunctionToolCallParam:
    raw = call.raw_arguments
    arguments = raw if raw is not None and raw.strip() else _encoder.encode(call.arguments).decode()
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def tool_param(tool: ToolDefinition) -> ChatCompletionFunctionToolParam:
    """A tool as an OpenAI function tool.

    Example:
        >>> from mxp_agents.primitives import ToolDefinition
        >>> tool_param(ToolDefinition("clock"))["function"]["name"]
        'clock'
    """
    function: FunctionDefinition = {"name": tool.name, "parameters": tool.parameters}
    if tool.description:
        function["description"] = tool.description
    function["strict"] = tool.strict
    return {"type": "function", "function": function}


def tool_choice_param(choice: ToolChoice) -> ChatCompletionToolChoiceOptionParam:
    """``"auto"`` / ``"none"`` / ``"required"``, or the named-function form for one tool.

    Example:
        >>> tool_choice_param(ToolChoiceTool("clock"))
        {'type': 'function', 'function': {'name': 'clock'}}
    """
    if isinstance(choice, ToolChoiceTool):
        return {"type": "function", "function": {"name": choice.name}}
    mode: Literal["auto", "none", "required"] = choice
    return mode


def response_format_param(response_format: ResponseFormat) -> ResponseFormatJSONSchema:
    """Structured output as ``{"type": "json_schema", "json_schema": {...}}``.

    Example:
        >>> from mxp_agents.adapters import ResponseFormat
        >>> response_format_param(ResponseFormat("city", {"type": "object"}))["json_schema"]
        {'name': 'city', 'schema': {'type': 'object'}, 'strict': True}
    """
    return {
        "type": "json_schema",
        "json_schema": {
            "name": response_format.name,
            "schema": response_format.schema,
            "strict": response_format.strict,
        },
    }
