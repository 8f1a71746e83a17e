"""Anthropic Messages requests as the fake server reads them: the body, the checks the real API
makes, and the request translated back into `SeenRequest`."""

from __future__ import annotations

from typing import Any, Final

import msgspec

from mxp_agents.adapters.testing.conformance import SeenRequest
from mxp_agents.adapters.testing.fakes._transcript import Transcript

__all__ = ["MessagesBody", "api_key_of", "problem", "seen_request"]

FIRST_STRICT_VERSION: Final = "2026-10-21"  # the API version that refuses sampling parameters
_SAMPLING: Final = ("temperature", "top_p", "top_k")
_CHOICES: Final = {"auto": "auto", "any": "required", "none": "none"}


class Block(msgspec.Struct, frozen=True):
    """One content block of a request (text, tool_use, tool_result; others kept loosely)."""

    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: Any = None
    tool_use_id: str | None = None
    content: str | list[Block] | None = None


class Turn(msgspec.Struct, frozen=True):
    """One entry of ``messages``."""

    role: str
    content: str | list[Block]


class Tool(msgspec.Struct, frozen=True):
    """One entry of ``tools``."""

    name: str
    input_schema: dict[str, Any]
    description: str | None = None


class ToolChoice(msgspec.Struct, frozen=True):
    """``tool_choice``."""

    type: str
    name: str | None = None


class OutputFormat(msgspec.Struct, frozen=True):
    """``output_config.format``."""

    type: str
    schema: dict[str, Any] | None = None


class OutputConfig(msgspec.Struct, frozen=True):
    """``output_config``."""

    format: OutputFormat | None = None


class MessagesBody(msgspec.Struct, frozen=True):
    """The JSON body of ``POST /v1/messages`` (the fields the fake looks at).

    Example:
        >>> body = msgspec.json.decode(
        ...     b'{"model": "m", "max_tokens": 5, "messages": []}', type=MessagesBody
        ... )
        >>> body.max_tokens
        5
    """

    model: str
    max_tokens: int
    messages: list[Turn]
    system: str | list[Block] | None = None
    tools: list[Tool] = []
    tool_choice: ToolChoice | None = None
    stop_sequences: list[str] = []
    output_config: OutputConfig | None = None
    stream: bool = False
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None


def api_key_of(headers: dict[str, str]) -> str | None:
    """The credential of a request: ``x-api-key``, else the ``Authorization: Bearer`` token.

    Example:
        >>> api_key_of({"authorization": "Bearer sk-ant-1"})
        'sk-ant-1'
    """
    key = headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _blocks(content: str | list[Block]) -> list[Block]:
    return [Block("text", text=content)] if isinstance(content, str) else content


def _text(content: str | list[Block] | None) -> str:
    if content is None:
        return ""
    return "".join(block.text or "" for block in _blocks(content) if block.type == "text")


def problem(body: MessagesBody, headers: dict[str, str]) -> str | None:
    """The message of the 400 the real API would answer ``body`` with, or None if it is fine.

    Checked: sampling parameters under API version 2026-10-21 and later, empty content and
    text blocks, every ``tool_result`` answering a ``tool_use`` of the turn just before, and
    every ``tool_use`` answered in the next turn, tool results first.

    Example:
        >>> problem(msgspec.json.decode(
        ...     b'{"model": "m", "max_tokens": 5, "messages": []}', type=MessagesBody
        ... ), {})
        'messages: at least one message is required'
    """
    if headers.get("anthropic-version", "") >= FIRST_STRICT_VERSION:
        for name in _SAMPLING:
            if getattr(body, name) is not None:
                return f"{name}: Extra inputs are not permitted"
    if not body.messages:
        return "messages: at least one message is required"
    pending: set[str] = set()
    for number, turn in enumerate(body.messages):
        where = f"messages.{number}"
        blocks = _blocks(turn.content)
        if turn.role == "system":
            continue
        if not blocks:
            return f"{where}: all messages must have non-empty content"
        if any(block.type == "text" and not block.text for block in blocks):
            return f"{where}: text content blocks must be non-empty"
        results = [block.tool_use_id or "" for block in blocks if block.type == "tool_result"]
        if pending and set(results) != pending:
            ids = ", ".join(sorted(pending - set(results)))
            return (
                f"messages.{number - 1}: `tool_use` ids were found "
                f"without `tool_result` blocks immediately after: {ids}. Each `tool_use` block "
                "must have a corresponding `tool_result` block in the next message."
            )
        stray = [result for result in results if result not in pending]
        if stray:
            return (
                f"{where}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{stray[0]}. Each `tool_result` block must have a corresponding `tool_use` "
                "block in the previous message."
            )
        kinds = [block.type == "tool_result" for block in blocks]
        if results and kinds != sorted(kinds, reverse=True):
            return f"{where}.content: `tool_result` blocks must come before any other content"
        pending = {block.id or "" for block in blocks if block.type == "tool_use"}
    return None


def seen_request(body: MessagesBody, headers: dict[str, str]) -> SeenRequest:
    """``body`` (with its ``headers``) read back into `SeenRequest` terms.

    System text is the ``system`` parameter's and that of ``system`` turns, joined with
    newlines. Each text block of a user turn counts as one ``user`` turn and each
    ``tool_result`` block as one ``tool`` turn; an assistant turn is one ``assistant`` turn.

    Example:
        >>> seen_request(msgspec.json.decode(
        ...     b'{"model": "m", "max_tokens": 5, "system": "Be brief.",'
        ...     b' "messages": [{"role": "user", "content": "Hi"}]}', type=MessagesBody
        ... ), {}).roles
        ('user',)
    """
    transcript = Transcript(system=[] if body.system is None else [_text(body.system)])
    for turn in body.messages:
        blocks = _blocks(turn.content)
        if turn.role == "system":
            transcript.system.append(_text(turn.content))
        elif turn.role == "assistant":
            transcript.turn("assistant", _text(blocks))
            ids = (block.id or "" for block in blocks if block.type == "tool_use")
            transcript.call_ids.extend(ids)
        else:
            for block in blocks:
                if block.type == "tool_result":
                    transcript.turn("tool", _text(block.content))
                    transcript.result_ids.append(block.tool_use_id or "")
                elif block.type == "text":
                    transcript.turn("user", block.text or "")
    choice = body.tool_choice
    output_format = None if body.output_config is None else body.output_config.format
    return SeenRequest(
        **transcript.fields(),
        tool_names=tuple(tool.name for tool in body.tools),
        tool_choice=None if choice is None else _CHOICES.get(choice.type, choice.name),
        temperature=body.temperature,
        max_output_tokens=body.max_tokens,
        stop=tuple(body.stop_sequences),
        response_schema=None if output_format is None else output_format.schema,
        stream=body.stream,
        api_key=api_key_of(headers),
    )
