"""`ModelRequest` -> the JSON body of Ollama's ``POST /api/chat``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, NotRequired, Required, TypeAlias, TypedDict

from mxp_agents.adapters._request import ToolChoiceTool
from mxp_agents.primitives import Role

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mxp_agents.adapters._request import ModelRequest, ToolChoice
    from mxp_agents.primitives import Message, ToolCall, ToolDefinition

__all__ = [
    "ChatBody",
    "WireMessage",
    "WireTool",
    "chat_body",
    "message_body",
    "offered_tools",
    "tool_body",
]

JSONObject: TypeAlias = dict[str, Any]


class WireFunctionCall(TypedDict):
    """``tool_calls[].function`` of an assistant message: the arguments are an object."""

    name: str
    arguments: JSONObject


class WireToolCall(TypedDict):
    """One tool call of an assistant message (``id`` is read by Ollama >= 0.12)."""

    id: str
    function: WireFunctionCall


class WireMessage(TypedDict):
    """One ``messages[]`` entry of an Ollama chat request."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: NotRequired[list[WireToolCall]]
    tool_name: NotRequired[str]
    tool_call_id: NotRequired[str]


class WireFunction(TypedDict):
    """``tools[].function``: name, description and the JSON Schema of the arguments."""

    name: str
    description: str
    parameters: JSONObject


class WireTool(TypedDict):
    """One ``tools[]`` entry (always ``"type": "function"``)."""

    type: Literal["function"]
    function: WireFunction


class ChatBody(TypedDict, total=False):
    """The body of ``POST /api/chat``."""

    model: Required[str]
    messages: Required[list[WireMessage]]
    stream: Required[bool]
    tools: list[WireTool]
    format: JSONObject
    options: JSONObject
    keep_alive: str | float
    think: bool | str


def chat_body(
    request: ModelRequest,
    model: str,
    *,
    stream: bool,
    options: Mapping[str, Any] | None = None,
    keep_alive: str | float | None = None,
    think: bool | str | None = None,
) -> ChatBody:
    """The ``/api/chat`` body of ``request`` for ``model``.

    System messages stay in place as ``"system"`` messages. ``temperature``,
    ``max_output_tokens`` and ``stop`` go into ``options`` (``num_predict`` for the token
    limit) over the adapter's own ``options``; ``response_format`` becomes ``format`` (the
    JSON Schema); the tools sent follow ``tool_choice`` (see `offered_tools`). ``keep_alive``
    and ``think`` are sent when set. ``metadata`` is not sent: Ollama has no such field.

    Example:
        >>> from mxp_agents.adapters import ModelRequest
        >>> from mxp_agents.primitives import Message
        >>> body = chat_body(
        ...     ModelRequest((Message.user("hi"),), max_output_tokens=5), "llama3.2", stream=False
        ... )
        >>> body["messages"], body["options"]
        ([{'role': 'user', 'content': 'hi'}], {'num_predict': 5})
    """
    body: ChatBody = {
        "model": model,
        "messages": _messages(request.messages),
        "stream": stream,
    }
    tools = offered_tools(request.tools, request.tool_choice)
    if tools:
        body["tools"] = [tool_body(tool) for tool in tools]
    if request.response_format is not None:
        body["format"] = request.response_format.schema
    merged: JSONObject = dict(options) if options else {}
    if request.temperature is not None:
        merged["temperature"] = request.temperature
    if request.max_output_tokens is not None:
        merged["num_predict"] = request.max_output_tokens
    if request.stop:
        merged["stop"] = list(request.stop)
    if merged:
        body["options"] = merged
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    if think is not None:
        body["think"] = think
    return body


def offered_tools(
    tools: tuple[ToolDefinition, ...], choice: ToolChoice
) -> tuple[ToolDefinition, ...]:
    """The tools to send: Ollama has no ``tool_choice``, so it is approximated.

    ``"auto"`` and ``"required"`` send every tool (Ollama cannot force a call: "required"
    is best effort); ``"none"`` sends none; a `ToolChoiceTool` sends only that tool (the
    model may still answer in text).

    Example:
        >>> from mxp_agents.primitives import ToolDefinition
        >>> tools = (ToolDefinition("clock"), ToolDefinition("search"))
        >>> [tool.name for tool in offered_tools(tools, ToolChoiceTool("search"))]
        ['search']
        >>> offered_tools(tools, "none")
        ()
    """
    if isinstance(choice, ToolChoiceTool):
        return tuple(tool for tool in tools if tool.name == choice.name)
    if choice == "none":
        return ()
    return tools


def tool_body(tool: ToolDefinition) -> WireTool:
    """A tool as an Ollama function tool; the parameters schema is sent unchanged.

    Example:
        >>> from mxp_agents.primitives import ToolDefinition
        >>> tool_body(ToolDefinition("clock", "The time."))["function"]["description"]
        'The time.'
    """
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def message_body(message: Message, tool_names: Mapping[str, str] | None = None) -> WireMessage:
    """One conversation message as an Ollama chat message.

    A tool message carries ``tool_name`` (its ``name``, else the name of the call it
    answers, looked up in ``tool_names``: call id -> tool name) and ``tool_call_id``.
    A user's ``name`` is not sent (Ollama has no such field).

    Example:
        >>> from mxp_agents.primitives import Message
        >>> message_body(Message.tool("12:00", tool_call_id="call_1"), {"call_1": "clock"})
        {'role': 'tool', 'content': '12:00', 'tool_name': 'clock', 'tool_call_id': 'call_1'}
    """
    role = message.role
    if role is Role.TOOL:
        call_id = message.tool_call_id or ""
        wire: WireMessage = {"role": "tool", "content": message.content}
        name = message.name or (tool_names or {}).get(call_id)
        if name:
            wire["tool_name"] = name
        wire["tool_call_id"] = call_id
        return wire
    if role is Role.ASSISTANT:
        wire = {"role": "assistant", "content": message.content}
        if message.tool_calls:
            wire["tool_calls"] = [_tool_call(call) for call in message.tool_calls]
        return wire
    if role is Role.SYSTEM:
        return {"role": "system", "content": message.content}
    return {"role": "user", "content": message.content}


def _messages(messages: tuple[Message, ...]) -> list[WireMessage]:
    names: dict[str, str] = {}
    wire: list[WireMessage] = []
    for message in messages:
        for call in message.tool_calls:
            names[call.id] = call.name
        wire.append(message_body(message, names))
    return wire


def _tool_call(call: ToolCall) -> WireToolCall:
    return {"id": call.id, "function": {"name": call.name, "arguments": call.arguments}}
