"""The trace id of the frame being handled, carried by a context variable."""

from __future__ import annotations

import contextvars
from typing import Final

from mxp._message import Message, random_id
from mxp._types import Flags, MessageType

CURRENT_TRACE: Final = contextvars.ContextVar[int | None]("mxp_current_trace_id", default=None)


def current_trace_id() -> int | None:
    """The trace id of the frame whose handler is running in this task, or None outside one.

    Example:
        >>> async def handler(message, peer):
        ...     assert current_trace_id() == message.trace_id
        ...     return message.reply(MessageType.RESPONSE, b"ok")
    """
    return CURRENT_TRACE.get()


def new_message(
    type: MessageType,
    payload: bytes | bytearray | memoryview = b"",
    *,
    flags: Flags | int = Flags.NONE,
) -> Message:
    """`Message.new`, but inside a handler the new message continues the handled frame's trace.

    Outside a handler the trace id is random, as with `Message.new`.

    Example:
        >>> async def handler(message, peer):
        ...     call = new_message(MessageType.CALL, b"sub-task")
        ...     assert call.trace_id == message.trace_id
        ...     return await endpoint.request(call, other_peer)
    """
    trace = CURRENT_TRACE.get()
    return Message.new(type, payload, flags=flags, trace_id=random_id() if trace is None else trace)
