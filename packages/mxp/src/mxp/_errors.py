"""Errors of the MXP codec: one class per variant of the reference decoder.

``str(error)`` is the reference implementation's message, to the character.
"""

from __future__ import annotations


class MxpError(Exception):
    """Base class of every error raised by the ``mxp`` package.

    Example:
        >>> try:
        ...     mxp.decode(b"short")
        ... except mxp.MxpError as error:
        ...     print(error)
        buffer too small: need 40 bytes, got 5
    """


class BufferTooSmall(MxpError):
    """The buffer is shorter than a frame needs (the header, or the payload it announces)."""

    def __init__(self, needed: int, got: int) -> None:
        self.needed = needed
        self.got = got
        super().__init__(f"buffer too small: need {needed} bytes, got {got}")

    def __reduce__(self) -> tuple[type[BufferTooSmall], tuple[int, int]]:
        return (type(self), (self.needed, self.got))


class InvalidMagic(MxpError):
    """The first four bytes are not the MXP magic ``0x4D585031``."""

    def __init__(self, found: int) -> None:
        self.found = found
        super().__init__(f"invalid magic number: expected 0x4D585031, got {found:#x}")

    def __reduce__(self) -> tuple[type[InvalidMagic], tuple[int]]:
        return (type(self), (self.found,))


class ReservedFieldNonZero(MxpError):
    """A reserved field (``header.reserved``) is not zero."""

    def __init__(self, field: str, value: int) -> None:
        self.field = field
        self.value = value
        super().__init__(f"reserved field {field} must be zero (found {value})")

    def __reduce__(self) -> tuple[type[ReservedFieldNonZero], tuple[str, int]]:
        return (type(self), (self.field, self.value))


class InvalidMessageType(MxpError):
    """The type byte names no MXP message type."""

    def __init__(self, type_byte: int) -> None:
        self.type_byte = type_byte
        super().__init__(f"invalid message type: {type_byte:#x}")

    def __reduce__(self) -> tuple[type[InvalidMessageType], tuple[int]]:
        return (type(self), (self.type_byte,))


class InvalidFlags(MxpError):
    """The flags byte has a reserved bit (4-7) set."""

    def __init__(self, flags: int) -> None:
        self.flags = flags
        super().__init__(f"invalid flags value: {flags:#010b}")

    def __reduce__(self) -> tuple[type[InvalidFlags], tuple[int]]:
        return (type(self), (self.flags,))


class PayloadTooLarge(MxpError):
    """The payload is larger than the protocol allows (16 MiB)."""

    def __init__(self, size: int, max: int) -> None:
        self.size = size
        self.max = max
        super().__init__(f"payload too large: {size} bytes (max {max})")

    def __reduce__(self) -> tuple[type[PayloadTooLarge], tuple[int, int]]:
        return (type(self), (self.size, self.max))


class ChecksumMismatch(MxpError):
    """The stored xxh3-64 checksum differs from the one computed over header and payload.

    ``expected`` is the computed checksum, ``found`` the stored one (as in the reference).
    """

    def __init__(self, expected: int, found: int) -> None:
        self.expected = expected
        self.found = found
        super().__init__(f"checksum mismatch: expected {expected:#x}, got {found:#x}")

    def __reduce__(self) -> tuple[type[ChecksumMismatch], tuple[int, int]]:
        return (type(self), (self.expected, self.found))
