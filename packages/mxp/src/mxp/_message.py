"""The MXP message: what a frame carries once decoded."""

from __future__ import annotations

import random
from typing import Any, Final, cast

import msgspec

from mxp._errors import InvalidFlags, PayloadTooLarge
from mxp._types import FLAGS_TABLE, MAX_PAYLOAD_SIZE, MAX_U64, VALID_FLAG_BITS, Flags, MessageType

_getrandbits: Final = random.getrandbits  # the global generator is reseeded after fork


def random_id() -> int:
    """A random 64-bit identifier, as ``Message.new`` draws for message and trace ids."""
    return _getrandbits(64)


class _ValidatingMeta(msgspec.StructMeta):
    """Validates every `Message` built by calling the class; the decoder builds through `_raw`."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        message = super().__call__(*args, **kwargs)
        payload = message.payload
        # Fast path: exactly the expected types and ranges (what every internal caller passes).
        if not (
            message.type.__class__ is MessageType
            and message.flags.__class__ is Flags
            and payload.__class__ is bytes
            and len(payload) <= MAX_PAYLOAD_SIZE
            and 0 <= message.message_id <= MAX_U64
            and 0 <= message.trace_id <= MAX_U64
        ):
            _normalise(message)
        return message


class Message(msgspec.Struct, frozen=True, gc=False, metaclass=_ValidatingMeta):
    """One MXP message: type, payload, flags and the two 64-bit ids.

    Instances are immutable, compare by value and validate on construction. `Message.new` draws
    random ids; `Message.reply` keeps a request's ids, as a reply must.

    Example:
        >>> msg = Message.new(MessageType.CALL, b"hello")
        >>> reply = msg.reply(MessageType.RESPONSE, b"world")
        >>> (reply.message_id, reply.trace_id) == (msg.message_id, msg.trace_id)
        True
        >>> Message(MessageType.EVENT, b"{}", flags=Flags.FINAL, message_id=7, trace_id=9).flags
        <Flags.FINAL: 8>
    """

    type: MessageType
    payload: bytes
    flags: Flags = Flags.NONE
    message_id: int = 0
    trace_id: int = 0

    @classmethod
    def new(
        cls,
        type: MessageType,
        payload: bytes | bytearray | memoryview = b"",
        *,
        flags: Flags | int = Flags.NONE,
        trace_id: int | None = None,
    ) -> Message:
        """A message with a random ``message_id`` and, unless given, a random ``trace_id``.

        Example:
            >>> Message.new(MessageType.EVENT, b"{}", flags=Flags.REQUIRES_ACK).flags
            <Flags.REQUIRES_ACK: 4>
        """
        return cls(
            type,
            payload,  # pyright: ignore[reportArgumentType] - normalised in __post_init__
            flags,  # pyright: ignore[reportArgumentType]
            _getrandbits(64),
            _getrandbits(64) if trace_id is None else trace_id,
        )

    def reply(
        self,
        type: MessageType,
        payload: bytes | bytearray | memoryview = b"",
        *,
        flags: Flags | int = Flags.NONE,
    ) -> Message:
        """A reply to this message, with its ``message_id`` and ``trace_id`` (as replies must)."""
        return Message(
            type,
            payload,  # pyright: ignore[reportArgumentType] - normalised in __post_init__
            flags,  # pyright: ignore[reportArgumentType]
            self.message_id,
            self.trace_id,
        )

    def with_flags(self, flags: Flags | int) -> Message:
        """A copy of this message with other flags."""
        return msgspec.structs.replace(self, flags=flags)

    def __repr__(self) -> str:
        shown = self.payload[:32]
        more = f"...(+{len(self.payload) - 32} bytes)" if len(self.payload) > 32 else ""
        return (
            f"Message(type={self.type.name}, flags={self.flags!r}, "
            f"message_id={self.message_id:#018x}, trace_id={self.trace_id:#018x}, "
            f"payload={shown!r}{more})"
        )


def _normalise(message: Message) -> None:
    """Slow path of `Message.__post_init__`: coerce what is coercible, reject the rest."""
    force = msgspec.structs.force_setattr
    force(message, "type", _check_type(message.type))
    force(message, "flags", _check_flags(message.flags))
    force(message, "message_id", _check_u64("message_id", message.message_id))
    force(message, "trace_id", _check_u64("trace_id", message.trace_id))
    force(message, "payload", _check_payload(message.payload))


def _check_type(value: object) -> MessageType:
    if isinstance(value, MessageType):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return MessageType(value)
        except ValueError:
            pass
    raise TypeError(f"type: expected an mxp.MessageType, got {value!r}")


def _check_flags(value: object) -> Flags:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFF:
        if value & ~VALID_FLAG_BITS:
            raise InvalidFlags(int(value))
        return FLAGS_TABLE[value]
    raise TypeError(f"flags: expected mxp.Flags or an int in 0..255, got {value!r}")


def _check_u64(name: str, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_U64:
        return int(value)
    raise ValueError(f"{name}: expected an unsigned 64-bit int, got {value!r}")


def _check_payload(value: object) -> bytes:
    if isinstance(value, bytes):
        payload = value
    elif isinstance(value, bytearray | memoryview):
        payload = bytes(cast("bytearray | memoryview[int]", value))
    else:
        kind = type(value).__name__
        raise TypeError(f"payload: expected bytes, bytearray or memoryview, got {kind}")
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise PayloadTooLarge(len(payload), MAX_PAYLOAD_SIZE)
    return payload


_raw: Final = msgspec.StructMeta.__call__
"""Builds a `Message` without validation: for the decoder, whose input is already checked."""
