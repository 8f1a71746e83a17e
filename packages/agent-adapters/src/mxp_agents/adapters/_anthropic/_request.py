"""`ModelRequest` → the keyword arguments of Anthropic's ``messages.create``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

import msgspec
from anthropic import transform_schema

from mxp_agents.adapters._errors import InvalidRequestError
from mxp_agents.adapters._request import ModelRequest, ToolChoiceTool
from mxp_agents.primitives import Message, Role

if TYPE_CHECKING:
    from mxp_agents.adapters._request import ResponseFormat, ToolChoice
    from mxp_agents.primitives import ToolDefinition

__all__ = ["AnthropicCall", "build_call", "wire_messages", "wire_system"]

Block = dict[str, Any]
Turn = dict[str, Any]

_EPHEMERAL: Final = {"type": "ephemeral"}
_ROLE_OF: Final[dict[Role, Literal["user", "assistant"]]] = {
    Role.USER: "user",
    Role.ASSISTANT: "assistant",
    Role.TOOL: "user",  # tool results travel as tool_result blocks inside a user turn
}


class AnthropicCall(msgspec.Struct, frozen=True, kw_only=True):
    """The parts of one ``messages.create`` call, ready for the SDK.

    Optional parts are None (or empty) when the request leaves them out, so the SDK omits them
    and the API applies its defaults. ``extra_body`` carries fields the SDK no longer types
    (``temperature``).

    Example:
        >>> call = build_call(
        ...     ModelRequest((Message.system("Be brief."), Message.user("Hi"))),
        ...     model="claude-haiku-4-5",
        ...     default_max_tokens=1024,
        ... )
        >>> call.system, call.max_tokens
        ([{'type': 'text', 'text': 'Be brief.'}], 1024)
    """

    model: str
    max_tokens: int
    messages: list[Turn]
    system: list[Block] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    stop_sequences: list[str] | None = None
    output_config: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    extra_body: dict[str, Any] | None = None


def build_call(
    request: ModelRequest, *, model: str, default_max_tokens: int, cache_system: bool = False
) -> AnthropicCall:
    """The Anthropic call for ``request``.

    System messages before the first user/assistant turn become the ``system`` parameter (one
    text block each, the last marked for prompt caching when ``cache_system``); later ones stay
    at their place as ``system``-role messages. ``max_output_tokens`` (else
    ``default_max_tokens``) becomes the required ``max_tokens``.

    Example:
        >>> build_call(ModelRequest((Message.user("Hi"),), stop=("END",)),
        ...            model="claude-haiku-4-5", default_max_tokens=64).stop_sequences
        ['END']
    """
    system = wire_system(request.messages, cache_system=cache_system)
    tools = [_tool(tool) for tool in request.tools] if request.tools else None
    return AnthropicCall(
        model=model,
        max_tokens=request.max_output_tokens or default_max_tokens,
        messages=wire_messages(request.messages),
        system=system or None,
        tools=tools,
        tool_choice=_tool_choice(request.tool_choice) if tools else None,
        stop_sequences=list(request.stop) or None,
        output_config=_output_config(request.response_format, model),
        metadata=_metadata(request.metadata),
        extra_body=None if request.temperature is None else {"temperature": request.temperature},
    )


def wire_system(messages: tuple[Message, ...], *, cache_system: bool = False) -> list[Block]:
    """The leading system messages as the ``system`` parameter's text blocks, in order.

    Empty system messages are skipped (the API refuses empty text blocks).

    Example:
        >>> wire_system((Message.system("A"), Message.system("B"), Message.user("Hi")))
        [{'type': 'text', 'text': 'A'}, {'type': 'text', 'text': 'B'}]
    """
    blocks: list[Block] = []
    for message in messages:
        if message.role is not Role.SYSTEM:
            break
        if message.content:
            blocks.append({"type": "text", "text": message.content})
    if cache_system and blocks:
        blocks[-1] = {**blocks[-1], "cache_control": _EPHEMERAL}
    return blocks


def wire_messages(messages: tuple[Message, ...]) -> list[Turn]:
    """The conversation after the leading system messages as Anthropic turns.

    Assistant tool calls become ``tool_use`` blocks; tool messages become ``tool_result``
    blocks in a user turn. Consecutive turns of one role are merged (the API wants user and
    assistant to alternate) and, in a user turn, tool results are moved before any text (the
    API wants them first). A later system message is kept in place as a ``system`` turn.
    Messages with nothing to send (empty text, no calls) are left out.

    Example:
        >>> from mxp_agents.primitives import ToolCall
        >>> turns = wire_messages((
        ...     Message.user("Time?"),
        ...     Message.assistant(tool_calls=[ToolCall("toolu_1", "clock")]),
        ...     Message.tool("12:00", tool_call_id="toolu_1"),
        ... ))
        >>> [turn["role"] for turn in turns], turns[2]["content"][0]["type"]
        (['user', 'assistant', 'user'], 'tool_result')
    """
    turns: list[Turn] = []
    leading = True
    for message in messages:
        role = message.role
        if role is Role.SYSTEM:
            if not leading and message.content:
                turns.append({"role": "system", "content": message.content})
            continue
        leading = False
        blocks = _blocks(message)
        if not blocks:
            continue
        wire_role = _ROLE_OF[role]
        if turns and turns[-1]["role"] == wire_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    for turn in turns:
        if turn["role"] == "user":
            content: list[Block] = turn["content"]
            content.sort(key=_results_first)  # stable: keeps the order within each kind
    return turns


def _blocks(message: Message) -> list[Block]:
    if message.role is Role.TOOL:
        block: Block = {"type": "tool_result", "tool_use_id": message.tool_call_id}
        if message.content:
            block["content"] = message.content
        return [block]
    blocks: list[Block] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    blocks.extend(
        {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
        for call in message.tool_calls
    )
    return blocks


def _results_first(block: Block) -> int:
    return 0 if block["type"] == "tool_result" else 1


def _tool(tool: ToolDefinition) -> dict[str, Any]:
    wire: dict[str, Any] = {"name": tool.name, "input_schema": tool.parameters}
    if tool.description:
        wire["description"] = tool.description
    if tool.strict:
        wire["strict"] = True
    return wire


def _tool_choice(choice: ToolChoice) -> dict[str, Any] | None:
    if isinstance(choice, ToolChoiceTool):
        return {"type": "tool", "name": choice.name}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return None  # "auto" is the API's default


def _output_config(response_format: ResponseFormat | None, model: str) -> dict[str, Any] | None:
    if response_format is None:
        return None
    schema = response_format.schema
    if response_format.strict:
        try:
            schema = transform_schema(schema)
        except (ValueError, TypeError, AttributeError) as error:
            raise InvalidRequestError(
                f"response format {response_format.name!r}: the schema cannot be used for "
                f"Anthropic structured output ({error}); pass strict=False to send it unchanged",
                provider="anthropic",
                model=model,
            ) from None
    return {"format": {"type": "json_schema", "schema": schema}}


def _metadata(metadata: dict[str, str]) -> dict[str, str] | None:
    user_id = metadata.get("user_id")
    return None if user_id is None else {"user_id": user_id}
