"""Token counting: the `TokenCounter` protocol and the model-free `ApproxTokenCounter`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

import msgspec

from mxp_agents.prompts._errors import InvalidArgument

if TYPE_CHECKING:
    from mxp_agents.primitives import Message

__all__ = ["ApproxTokenCounter", "TokenCounter"]

_encode: Final = msgspec.json.Encoder().encode


@runtime_checkable
class TokenCounter(Protocol):
    """Counts tokens the way a model would; plug in a real tokenizer for exact budgets.

    Example:
        >>> isinstance(ApproxTokenCounter(), TokenCounter)
        True
    """

    def count(self, message: Message) -> int:
        """Tokens ``message`` takes in a request, overheads included."""
        ...

    def count_text(self, text: str) -> int:
        """Tokens ``text`` takes on its own."""
        ...


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class ApproxTokenCounter:
    """A tokenizer-free estimate: ``ceil(utf8_bytes / bytes_per_token)`` per text.

    A message costs ``message_overhead`` plus its content, name and tool-call id; each tool
    call adds ``call_overhead`` plus its id, name and JSON arguments. The defaults (4 bytes a
    token, 4 tokens a message, 3 a call) track common BPE tokenizers on English text.

    Example:
        >>> counter = ApproxTokenCounter()
        >>> counter.count_text("hello world")
        3
        >>> counter.count(Message.user("hello world"))
        7
    """

    __slots__ = ("_bytes_per_token", "_call_overhead", "_message_overhead")

    def __init__(
        self, *, bytes_per_token: int = 4, message_overhead: int = 4, call_overhead: int = 3
    ) -> None:
        if bytes_per_token < 1:
            raise InvalidArgument(f"bytes_per_token must be >= 1, got {bytes_per_token}")
        if message_overhead < 0 or call_overhead < 0:
            raise InvalidArgument("message_overhead and call_overhead must be >= 0")
        self._bytes_per_token = bytes_per_token
        self._message_overhead = message_overhead
        self._call_overhead = call_overhead

    def count_text(self, text: str) -> int:
        """``ceil(len(text in UTF-8) / bytes_per_token)``.

        Example:
            >>> ApproxTokenCounter().count_text("héllo")
            2
        """
        return -(-_utf8_len(text) // self._bytes_per_token)

    def count(self, message: Message) -> int:
        """The overhead plus every text field of ``message`` and of its tool calls.

        Example:
            >>> ApproxTokenCounter().count(Message.tool("42", tool_call_id="call_1"))
            6
        """
        per = self._bytes_per_token
        size = _utf8_len(message.content)
        if message.name is not None:
            size += _utf8_len(message.name)
        if message.tool_call_id is not None:
            size += _utf8_len(message.tool_call_id)
        total = self._message_overhead + -(-size // per)
        for call in message.tool_calls:
            arguments = call.raw_arguments
            length = _utf8_len(arguments) if arguments is not None else len(_encode(call.arguments))
            call_size = _utf8_len(call.id) + _utf8_len(call.name) + length
            total += self._call_overhead + -(-call_size // per)
        return total

    def __repr__(self) -> str:
        return (
            f"ApproxTokenCounter(bytes_per_token={self._bytes_per_token}, "
            f"message_overhead={self._message_overhead}, call_overhead={self._call_overhead})"
        )
