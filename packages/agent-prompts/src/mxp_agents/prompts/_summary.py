"""Summaries of compressed turns: the `Summarizer` type and the model-free default."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from mxp_agents.primitives import Message
from mxp_agents.prompts._errors import InvalidArgument

__all__ = ["ExtractiveSummarizer", "Summarizer"]

Summarizer = Callable[[Sequence[Message]], str | Awaitable[str]]
"""``summarizer(dropped_messages) -> text`` (or an awaitable of text, for `ContextWindow.afit`).

It receives the compressed messages in conversation order and returns the summary body.
"""

_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s")


class ExtractiveSummarizer:
    """A deterministic summary without a model: one line per message with its first sentence.

    Each line reads ``- <role>[ (<name>)]: <first sentence of the first non-blank line>``, cut
    to ``max_chars`` characters with ``…``; an assistant's tool calls are listed as
    ``[called a, b]``.

    Example:
        >>> summarize = ExtractiveSummarizer(max_chars=40)
        >>> turns = [Message.user("Find flights to Oslo. Cheap ones."), Message.assistant("OK")]
        >>> print(summarize(turns))
        - user: Find flights to Oslo.
        - assistant: OK
    """

    __slots__ = ("_max_chars",)

    def __init__(self, *, max_chars: int = 160) -> None:
        if max_chars < 2:
            raise InvalidArgument(f"max_chars must be >= 2, got {max_chars}")
        self._max_chars = max_chars

    def gist(self, text: str) -> str:
        """The first sentence of the first non-blank line of ``text``, cut to ``max_chars``.

        Example:
            >>> ExtractiveSummarizer(max_chars=8).gist("\\n  Hello there world. Bye")
            'Hello t…'
        """
        line = text.lstrip().split("\n", 1)[0].strip()
        sentence = _SENTENCE_END.split(line, maxsplit=1)[0]
        if len(sentence) > self._max_chars:
            return sentence[: self._max_chars - 1].rstrip() + "…"
        return sentence

    def __call__(self, messages: Sequence[Message]) -> str:
        """One summary line per message, in order.

        Example:
            >>> result = Message.tool("12:00\\nUTC", tool_call_id="c1", name="clock")
            >>> ExtractiveSummarizer()([result])
            '- tool (clock): 12:00'
        """
        lines: list[str] = []
        for message in messages:
            label = message.role.value
            if message.name is not None:
                label += f" ({message.name})"
            gist = self.gist(message.content)
            if message.tool_calls:
                called = "[called " + ", ".join(call.name for call in message.tool_calls) + "]"
                gist = f"{gist} {called}" if gist else called
            lines.append(f"- {label}: {gist or '(empty)'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ExtractiveSummarizer(max_chars={self._max_chars})"
