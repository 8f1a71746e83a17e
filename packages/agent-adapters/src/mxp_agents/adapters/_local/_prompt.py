"""A `ModelRequest` as chat messages for a llama.cpp chat template, plus what to constrain."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import msgspec

from mxp_agents.adapters._request import ToolChoiceTool
from mxp_agents.primitives import Role

if TYPE_CHECKING:
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.primitives import Message, ToolCall, ToolDefinition

__all__ = ["Mode", "Plan", "envelope_text", "plan_request"]

_encoder: Final = msgspec.json.Encoder()


class Mode(enum.Enum):
    """What the model's output is: free text, JSON following a schema, or a tool envelope."""

    TEXT = "text"
    JSON = "json"
    TOOLS = "tools"


class Plan(NamedTuple):
    """Everything a generation needs from the request, decided before the model runs.

    ``tools`` are the tools the model may call (TOOLS mode); ``answer`` is the schema of a
    direct answer in TOOLS mode (None: the model must call a tool; ``{"type": "string"}``:
    plain text); ``schema`` is the response format's schema in JSON mode.
    """

    messages: list[dict[str, str]]
    mode: Mode
    tools: tuple[ToolDefinition, ...] = ()
    answer: dict[str, Any] | None = None
    schema: dict[str, Any] | None = None


def plan_request(request: ModelRequest) -> Plan:
    """The chat messages and output constraint for ``request``.

    Example:
        >>> plan = plan_request(ModelRequest((Message.user("Hi"),)))
        >>> plan.mode, plan.messages
        (<Mode.TEXT: 'text'>, [{'role': 'user', 'content': 'Hi'}])
    """
    choice = request.tool_choice
    response_format = request.response_format
    if request.tools and choice != "none":
        if isinstance(choice, ToolChoiceTool):
            tools = tuple(tool for tool in request.tools if tool.name == choice.name)
        else:
            tools = request.tools
        answer: dict[str, Any] | None = None
        if choice == "auto":
            answer = response_format.schema if response_format is not None else _TEXT
        note = _tools_note(tools, choice, answer)
        return Plan(_messages(request.messages, note), Mode.TOOLS, tools, answer)
    if response_format is not None:
        note = "Reply with only a JSON value that follows this JSON Schema:\n" + _json(
            response_format.schema
        )
        return Plan(_messages(request.messages, note), Mode.JSON, schema=response_format.schema)
    return Plan(_messages(request.messages, None), Mode.TEXT)


def envelope_text(call: ToolCall) -> str:
    """A tool call written the way the model is told to write one.

    Example:
        >>> envelope_text(ToolCall("call_1", "clock"))
        '{"tool":"clock","arguments":{}}'
    """
    return _json({"tool": call.name, "arguments": call.arguments})


_TEXT: Final[dict[str, Any]] = {"type": "string"}


def _json(value: object) -> str:
    return _encoder.encode(value).decode()


def _tools_note(
    tools: tuple[ToolDefinition, ...], choice: object, answer: dict[str, Any] | None
) -> str:
    lines = [
        "You can call tools. To call a tool, reply with only this JSON object: "
        '{"tool": "<tool name>", "arguments": {<the tool\'s arguments>}}'
    ]
    if answer is None:
        if isinstance(choice, ToolChoiceTool):
            lines.append(f"Now call the tool {choice.name!r}.")
        else:
            lines.append("Now call one of the tools.")
    elif answer is _TEXT:
        lines.append('To answer without a tool, reply with {"answer": "<your answer>"}.')
    else:
        lines.append(
            'To answer without a tool, reply with {"answer": <your answer>}, where the answer '
            "follows this JSON Schema: " + _json(answer)
        )
    lines.append("The tools:")
    for tool in tools:
        description = f": {tool.description}" if tool.description else ""
        lines.append(
            f"- {tool.name}{description} Arguments (JSON Schema): {_json(tool.parameters)}"
        )
    return "\n".join(lines)


def _messages(messages: tuple[Message, ...], note: str | None) -> list[dict[str, str]]:
    system = [message.content for message in messages if message.role is Role.SYSTEM]
    if note:
        system.append(note)
    names = {call.id: call.name for message in messages for call in message.tool_calls}
    chat: list[dict[str, str]] = []
    if any(system):
        chat.append({"role": "system", "content": "\n\n".join(part for part in system if part)})
    for message in messages:
        role = message.role
        if role is Role.USER:
            chat.append({"role": "user", "content": message.content})
        elif role is Role.ASSISTANT:
            parts = [message.content] if message.content else []
            parts.extend(envelope_text(call) for call in message.tool_calls)
            chat.append({"role": "assistant", "content": "\n".join(parts)})
        elif role is Role.TOOL:
            call_id = message.tool_call_id or ""
            name = message.name or names.get(call_id, "?")
            chat.append(
                {
                    "role": "user",
                    "content": f"Result of tool {name!r} (call {call_id}):\n{message.content}",
                }
            )
    return chat
