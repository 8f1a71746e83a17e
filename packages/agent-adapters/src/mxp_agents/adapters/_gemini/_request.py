"""`ModelRequest` → the Gemini SDK's ``contents`` and ``GenerateContentConfig``."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Final

import msgspec
from google.genai import types

from mxp_agents.adapters._request import ModelRequest, ToolChoice, ToolChoiceTool
from mxp_agents.primitives import Message, Role, ToolCall

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SKIP_SIGNATURE", "to_config", "to_contents"]

SKIP_SIGNATURE: Final = base64.urlsafe_b64decode("skip_thought_signature_validator")
"""The placeholder thought signature Google documents for function calls whose real signature
is unknown (history from another model or process); the SDK sends it back as that text."""

_decoder: Final = msgspec.json.Decoder()
_MODES: Final = {
    "none": types.FunctionCallingConfigMode.NONE,
    "required": types.FunctionCallingConfigMode.ANY,
}


def to_contents(
    messages: tuple[Message, ...], signatures: Mapping[str, bytes]
) -> tuple[list[types.Part], list[types.Content]]:
    """The system instruction parts (one per system message) and the conversation turns.

    User messages become ``user`` turns, assistant messages ``model`` turns (text, then one
    ``function_call`` part per tool call), tool messages ``function_response`` parts in a
    ``user`` turn, consecutive ones merged into one turn. Empty user and assistant messages
    (no text, no tool calls) are left out. ``signatures`` maps tool call ids to
    the thought signatures Gemini sent with them.

    Example:
        >>> system, contents = to_contents((Message.system("Be brief."), Message.user("Hi")), {})
        >>> system[0].text, contents[0].role
        ('Be brief.', 'user')
    """
    system: list[types.Part] = []
    turns: list[tuple[str, list[types.Part]]] = []
    names: dict[str, str] = {}  # tool call id -> tool name, to name each function response
    results: list[types.Part] | None = None  # the parts of the open tool-result turn
    for message in messages:
        role = message.role
        if role is Role.TOOL:
            if results is None:
                results = []
                turns.append(("user", results))
            results.append(_result_part(message, names))
            continue
        results = None
        if role is Role.SYSTEM:
            system.append(types.Part(text=message.content))
        elif not message.content and not message.tool_calls:
            continue  # nothing to send: Gemini refuses empty text parts
        elif role is Role.USER:
            turns.append(("user", [types.Part(text=message.content)]))
        else:
            for call in message.tool_calls:
                names[call.id] = call.name
            turns.append(("model", _model_parts(message, signatures)))
    # Built last: a Content copies its parts when it is made.
    return system, [types.Content(role=role, parts=parts) for role, parts in turns]


def _model_parts(message: Message, signatures: Mapping[str, bytes]) -> list[types.Part]:
    parts: list[types.Part] = []
    if message.content:
        parts.append(types.Part(text=message.content))
    for number, call in enumerate(message.tool_calls):
        signature = signatures.get(call.id)
        if signature is None and number == 0:
            # Gemini 3 rejects a turn whose first function call has no signature.
            signature = SKIP_SIGNATURE
        parts.append(types.Part(function_call=_function_call(call), thought_signature=signature))
    return parts


def _function_call(call: ToolCall) -> types.FunctionCall:
    return types.FunctionCall(id=call.id, name=call.name, args=call.arguments)


def _result_part(message: Message, names: Mapping[str, str]) -> types.Part:
    call_id = message.tool_call_id or ""
    name = message.name or names.get(call_id, "")
    response = types.FunctionResponse(id=call_id, name=name, response=_response_value(message))
    return types.Part(function_response=response)


def _response_value(message: Message) -> dict[str, Any]:
    """The tool's output as Gemini's ``response`` object: a JSON object output as itself, any
    other output under ``"result"``."""
    content = message.content
    if content.lstrip().startswith("{"):
        try:
            value: object = _decoder.decode(content)
        except msgspec.DecodeError:
            pass
        else:
            if isinstance(value, dict):
                parsed: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
                return parsed
    return {"result": content}


def to_config(request: ModelRequest, system: list[types.Part]) -> types.GenerateContentConfig:
    """The generation config of ``request``: system instruction, tools, sampling, format.

    The SDK's automatic function calling and automatic continuation are switched off: the
    adapter answers with the model's own output of one HTTP call.

    Example:
        >>> to_config(ModelRequest((Message.user("Hi"),), stop=("END",)), []).stop_sequences
        ['END']
    """
    config = types.GenerateContentConfig(
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        automatic_continuation=False,
    )
    if system:
        config.system_instruction = types.Content(parts=system)
    if request.tools:
        declarations = [
            types.FunctionDeclaration(
                name=tool.name,
                description=tool.description or None,
                parameters_json_schema=tool.parameters,
            )
            for tool in request.tools
        ]
        config.tools = [types.Tool(function_declarations=declarations)]
        config.tool_config = _tool_config(request.tool_choice)
    if request.temperature is not None:
        config.temperature = request.temperature
    if request.max_output_tokens is not None:
        config.max_output_tokens = request.max_output_tokens
    if request.stop:
        config.stop_sequences = list(request.stop)
    if request.response_format is not None:
        config.response_mime_type = "application/json"
        config.response_json_schema = request.response_format.schema
    return config


def _tool_config(choice: ToolChoice) -> types.ToolConfig | None:
    if isinstance(choice, ToolChoiceTool):
        calling = types.FunctionCallingConfig(
            mode=types.FunctionCallingConfigMode.ANY, allowed_function_names=[choice.name]
        )
    elif choice in _MODES:
        calling = types.FunctionCallingConfig(mode=_MODES[choice])
    else:
        return None  # "auto" is Gemini's default
    return types.ToolConfig(function_calling_config=calling)
