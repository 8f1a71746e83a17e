"""`Transcript`: the conversation part of a `SeenRequest`, gathered turn by turn by the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

__all__ = ["Conversation", "Transcript"]


class Conversation(TypedDict):
    """The `SeenRequest` fields a `Transcript` fills, to unpack into it with ``**``."""

    system: str
    roles: tuple[str, ...]
    texts: tuple[str, ...]
    tool_call_ids: tuple[str, ...]
    tool_result_ids: tuple[str, ...]


@dataclass
class Transcript:
    """System texts, turns (role and text), tool call ids and tool result ids, in order.

    Example:
        >>> transcript = Transcript(system=["Be brief."])
        >>> transcript.turn("user", "Hi")
        >>> SeenRequest(**transcript.fields(), stream=True).roles  # doctest: +SKIP
        ('user',)
        >>> transcript.fields()["system"]
        'Be brief.'
    """

    system: list[str] = field(default_factory=list[str])
    roles: list[str] = field(default_factory=list[str])
    texts: list[str] = field(default_factory=list[str])
    call_ids: list[str] = field(default_factory=list[str])
    result_ids: list[str] = field(default_factory=list[str])

    def turn(self, role: str, text: str) -> None:
        """Add one turn.

        Example:
            >>> Transcript().turn("assistant", "Hello")
        """
        self.roles.append(role)
        self.texts.append(text)

    def fields(self) -> Conversation:
        """The `SeenRequest` fields: system texts joined with newlines, the rest as tuples.

        Example:
            >>> Transcript(system=["a", "b"]).fields()["system"]
            'a\\nb'
        """
        return Conversation(
            system="\n".join(self.system),
            roles=tuple(self.roles),
            texts=tuple(self.texts),
            tool_call_ids=tuple(self.call_ids),
            tool_result_ids=tuple(self.result_ids),
        )
