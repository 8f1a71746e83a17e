"""Importance scores (0-100) for context-window compression: the default heuristic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mxp_agents.primitives import Message, Role

__all__ = ["Scorer", "default_score"]

Scorer = Callable[[Message, int, int], float]
"""``scorer(message, position, count) -> score`` in 0-100.

``position`` is the message's rank among the non-system messages (0 = oldest) and ``count``
how many non-system messages there are.
"""

_LENGTH_POINTS: Final = 20.0
_LENGTH_FULL: Final = 500
_RECENCY_POINTS: Final = 40.0
_BASE: Final = {Role.USER: 20.0, Role.ASSISTANT: 15.0, Role.TOOL: 5.0}


def default_score(message: Message, position: int, count: int) -> float:
    """The default importance of ``message``: role, length and recency.

    * system: 100 (system messages are always kept anyway);
    * user: 20 + length + recency; assistant: 15 + length + recency;
    * tool result: 5 + (length + recency) / 2;

    where ``length = 20 * min(1, len(content) / 500)`` and
    ``recency = 40 * position / (count - 1)`` (40 when there is one message). With the default
    threshold of 30, short turns in the older part of a conversation score below it.

    Example:
        >>> default_score(Message.user("x" * 500), 9, 10)
        80.0
        >>> default_score(Message.tool("ok", tool_call_id="c1"), 0, 10)
        5.04
    """
    role = message.role
    if role is Role.SYSTEM:
        return 100.0
    length = _LENGTH_POINTS * min(1.0, len(message.content) / _LENGTH_FULL)
    recency = _RECENCY_POINTS * (position / (count - 1) if count > 1 else 1.0)
    if role is Role.TOOL:
        return _BASE[role] + (length + recency) / 2
    return _BASE[role] + length + recency
