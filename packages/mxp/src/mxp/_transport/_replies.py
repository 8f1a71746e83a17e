"""Error replies: building them (handler failures, refusals) and reading them back.

Also turns a reassembled reply stream into one `Message` (an Error if it ended in an error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mxp._errors import MxpError
from mxp._message import Message
from mxp._transport import _wire as wire
from mxp._transport._errors import RemoteError
from mxp._types import MessageType
from mxp.bodies import ErrorResponse, decode_body, encode_body

if TYPE_CHECKING:
    from mxp._transport._inbound import InboundStream

_ERROR: Final = MessageType.ERROR


def error_body(code: str, text: str) -> bytes:
    """The encoded `ErrorResponse` body of an Error reply."""
    return encode_body(ErrorResponse(error=text, code=code))


def error_reply(msg: Message, code: str, text: str) -> Message:
    """The Error reply to ``msg``."""
    return msg.reply(_ERROR, error_body(code, text))


def raise_if_error(reply: Message) -> None:
    """Raise `RemoteError` if ``reply`` is an Error frame."""
    if reply.type is not _ERROR:
        return
    try:
        body = decode_body(reply.payload, ErrorResponse)
    except MxpError:
        raise RemoteError(
            "unknown", reply.payload[:200].decode("utf-8", "replace"), reply
        ) from None
    raise RemoteError(body.code, body.error, reply)


def describe(error: BaseException, msg: Message, label: str) -> str:
    """The text of an Error reply for a handler that raised ``error``."""
    return (
        f"handler for {msg.type.name} (message {msg.message_id:#018x}) at {label} raised "
        f"{type(error).__name__}: {error}"
    )


def stream_message(stream: InboundStream, payload: bytes) -> Message:
    """The reassembled reply of ``stream`` as one message (Error if it ended in an error)."""
    msg_type = _ERROR if stream.close_status == wire.CLOSE_ERROR else stream.msg_type
    return Message(msg_type, payload, stream.msg_flags, stream.stream_id, stream.trace_id)
