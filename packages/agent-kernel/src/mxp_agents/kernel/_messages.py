"""Messages built from values that were already checked, without checking them again.

`Message` checks its fields on construction (a few microseconds). The loop builds messages from
values that passed the same checks: a `ModelResponse` (text, distinct `ToolCall`s), a
`ToolResult` (non-blank call id and name, text content) or task text it checked itself. These
helpers copy a prototype message and set the fields, which gives the same `Message` for a
tenth of the cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, cast

import msgspec

from mxp_agents.primitives import Message

if TYPE_CHECKING:
    from collections.abc import Callable

    from mxp_agents.adapters import ModelResponse
    from mxp_agents.primitives import ToolResult

__all__ = ["assistant_message", "tool_message", "user_message"]

_set: Final = msgspec.structs.force_setattr
_copy: Final = cast("Callable[[Message], Message]", Message.__copy__)  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
_USER: Final = Message.user("")
_ASSISTANT: Final = Message.assistant("")
_TOOL: Final = Message.tool("", tool_call_id="-")


def user_message(text: str) -> Message:
    """``Message.user(text)`` for a ``text`` known to be a str.

    Example:
        >>> user_message("hi") == Message.user("hi")
        True
    """
    message = _copy(_USER)
    _set(message, "content", text)
    return message


def assistant_message(response: ModelResponse) -> Message:
    """``response.message``: the assistant message of a (checked) `ModelResponse`.

    Example:
        >>> assistant_message(ModelResponse(text="hi")) == Message.assistant("hi")
        True
    """
    message = _copy(_ASSISTANT)
    _set(message, "content", response.text)
    if response.tool_calls:
        _set(message, "tool_calls", response.tool_calls)
    return message


def tool_message(result: ToolResult) -> Message:
    """``result.to_message()`` for a (checked) `ToolResult`.

    Example:
        >>> result = ToolResult(tool_call_id="c1", name="add", content="5")
        >>> tool_message(result) == result.to_message()
        True
    """
    message = _copy(_TOOL)
    _set(message, "content", result.content)
    _set(message, "name", result.name)
    _set(message, "tool_call_id", result.tool_call_id)
    return message
