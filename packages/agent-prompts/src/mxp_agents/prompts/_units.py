"""Grouping a conversation into units that are kept or compressed as a whole.

A unit is a system message alone, a user or plain assistant message alone, or an assistant
message with tool calls together with every tool message answering one of its calls (even if
other messages sit between them). A tool message that answers no earlier call joins the unit
before it, so a kept unit never begins with a tool result unless the conversation itself does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mxp_agents.primitives import Message, Role

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Unit", "group_units"]


class Unit:
    """The indices (ascending) of the messages of one unit, and whether it is a system message.

    Example:
        >>> [unit.indices for unit in group_units([Message.user("hi")])]
        [[0]]
    """

    __slots__ = ("indices", "system")

    def __init__(self, first: int, *, system: bool = False) -> None:
        self.indices = [first]
        self.system = system

    def __repr__(self) -> str:
        return f"Unit(indices={self.indices!r}, system={self.system})"


def group_units(messages: Sequence[Message]) -> list[Unit]:
    """The units of ``messages`` ordered by their first message.

    Example:
        >>> from mxp_agents.primitives import ToolCall
        >>> conversation = [
        ...     Message.user("time?"),
        ...     Message.assistant(tool_calls=[ToolCall("c1", "clock")]),
        ...     Message.tool("12:00", tool_call_id="c1"),
        ...     Message.assistant("It is noon."),
        ... ]
        >>> [unit.indices for unit in group_units(conversation)]
        [[0], [1, 2], [3]]
    """
    units: list[Unit] = []
    calls: dict[str, Unit] = {}
    last: Unit | None = None
    for index, message in enumerate(messages):
        role = message.role
        if role is Role.SYSTEM:
            units.append(Unit(index, system=True))
            continue
        if role is Role.TOOL:
            owner = calls.get(message.tool_call_id or "")
            target = owner if owner is not None else last
            if target is not None:
                target.indices.append(index)
                continue
        unit = Unit(index)
        units.append(unit)
        last = unit
        for call in message.tool_calls:
            calls[call.id] = unit
    return units
