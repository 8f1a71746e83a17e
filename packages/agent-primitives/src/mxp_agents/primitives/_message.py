"""`Role` and `Message`: one turn of a conversation between a user, a model and tools."""

import enum
from collections.abc import Iterable

import msgspec

from mxp_agents.primitives._checks import kind_of, quote, require_str, require_text
from mxp_agents.primitives._errors import InvalidMessage
from mxp_agents.primitives._sequences import as_tuple, store
from mxp_agents.primitives._tool_call import ToolCall

__all__ = ["Message", "Role"]


class Role(enum.StrEnum):
    """Who speaks in a `Message`.

    Example:
        >>> Role("assistant") is Role.ASSISTANT
        True
    """

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class Message(msgspec.Struct, frozen=True, omit_defaults=True):
    """One conversation message: role, text content, and the tool-call links that role allows.

    Rules, checked on construction and decoding (`InvalidMessage` names the field):
    only ``assistant`` messages carry ``tool_calls`` (with distinct ids); a ``tool`` message
    needs the ``tool_call_id`` of the call it answers and no other role may have one; ``name``,
    when given, is not blank. Empty optional fields are left out of the JSON form.

    Example:
        >>> Message.user("What is MXP?").content
        'What is MXP?'
    """

    role: Role
    content: str = ""
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def __post_init__(self) -> None:
        role = _checked_role(self.role)
        store(self, "role", role)
        require_str(self.content, "$.content", InvalidMessage)
        if self.name is not None:
            require_text(self.name, "$.name", InvalidMessage, "name")
        calls = _checked_tool_calls(self.tool_calls)
        if calls and role is not Role.ASSISTANT:
            raise InvalidMessage(
                f"only assistant messages carry tool_calls, got a {role} message", "$.tool_calls"
            )
        store(self, "tool_calls", calls)
        if role is Role.TOOL:
            if self.tool_call_id is None:
                raise InvalidMessage(
                    "a tool message needs a tool_call_id naming the call it answers",
                    "$.tool_call_id",
                )
            require_text(self.tool_call_id, "$.tool_call_id", InvalidMessage, "tool_call_id")
        elif self.tool_call_id is not None:
            raise InvalidMessage(
                f"only tool messages carry a tool_call_id, got a {role} message", "$.tool_call_id"
            )

    @classmethod
    def system(cls, content: str) -> "Message":
        """A system message (instructions for the model).

        Example:
            >>> Message.system("Be brief.").role
            <Role.SYSTEM: 'system'>
        """
        return cls(Role.SYSTEM, content)

    @classmethod
    def user(cls, content: str, *, name: str | None = None) -> "Message":
        """A user message, optionally naming the speaker.

        Example:
            >>> Message.user("hi", name="ada").name
            'ada'
        """
        return cls(Role.USER, content, name)

    @classmethod
    def assistant(cls, content: str = "", *, tool_calls: Iterable[ToolCall] = ()) -> "Message":
        """An assistant (model) message, with the tool calls it asks for.

        Example:
            >>> Message.assistant(tool_calls=[ToolCall("c1", "clock")]).tool_calls[0].name
            'clock'
        """
        return cls(Role.ASSISTANT, content, tool_calls=tuple(tool_calls))

    @classmethod
    def tool(cls, content: str, *, tool_call_id: str, name: str | None = None) -> "Message":
        """A tool message carrying the result of the call ``tool_call_id``.

        Example:
            >>> Message.tool("12:00", tool_call_id="c1").tool_call_id
            'c1'
        """
        return cls(Role.TOOL, content, name, tool_call_id=tool_call_id)


def _checked_role(value: object) -> Role:
    if isinstance(value, Role):
        return value
    if isinstance(value, str):
        try:
            return Role(value)
        except ValueError:
            pass
        roles = ", ".join(role.value for role in Role)
        raise InvalidMessage(f"unknown role {quote(value)}; use one of {roles}", "$.role")
    raise InvalidMessage(f"expected Role, got {kind_of(value)}", "$.role")


def _checked_tool_calls(value: object) -> tuple[ToolCall, ...]:
    calls: list[ToolCall] = []
    seen: set[str] = set()
    for index, item in enumerate(as_tuple(value, "$.tool_calls", InvalidMessage)):
        if not isinstance(item, ToolCall):
            path = f"$.tool_calls[{index}]"
            raise InvalidMessage(f"expected ToolCall, got {kind_of(item)}", path)
        if item.id in seen:
            raise InvalidMessage(
                f"tool call id {quote(item.id)} appears more than once", f"$.tool_calls[{index}].id"
            )
        seen.add(item.id)
        calls.append(item)
    return tuple(calls)
