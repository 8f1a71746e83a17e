"""Memory errors over MXP: an `AgentMemoryError` of the served store or journal as an Error body
(`MemoryErrorBody`) or a last stream item (`MemoryStreamError`), and back to the same class;
`MemoryServiceError` for everything else (kernel refusals, timeouts, the transport)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.memory import (
    AgentMemoryError,
    InvalidRecord,
    JournalClosed,
    JournalCorrupted,
    JournalError,
    VectorStoreError,
)

if TYPE_CHECKING:
    from mxp.transport import Address

__all__ = [
    "KINDS",
    "MemoryErrorBody",
    "MemoryServiceError",
    "MemoryStreamError",
    "body_of",
    "decode_error",
    "error_of",
]

KINDS: Final[dict[str, type[AgentMemoryError]]] = {
    "invalid_record": InvalidRecord,
    "journal_corrupted": JournalCorrupted,
    "journal_closed": JournalClosed,
    "journal": JournalError,
    "vector_store": VectorStoreError,
}
"""The ``kind`` of each memory error class on the wire, most specific first (any other
`AgentMemoryError`: ``"memory_error"``)."""
RETRYABLE_CODES: Final = frozenset(
    {"busy", "suspended", "unavailable", "shutting_down", "timeout", "transport"}
)


class MemoryServiceError(VectorStoreError, JournalError):
    """A memory call that the service did not answer with a result or a memory error: the
    kernel refused it (``busy``, ``suspended``, ``shutting_down``, ``invalid_request``,
    ``deadline_exceeded``, ...), the service does not serve what was asked (``unsupported``),
    or the call failed on the way (``timeout``, ``transport``, ``unreachable``).

    It is both a `VectorStoreError` and a `JournalError`, so callers of either protocol catch
    it. ``retryable`` tells whether the same call may succeed later.

    Example:
        >>> error = MemoryServiceError("busy", "queue full", "127.0.0.1:7001", retry_after_ms=250)
        >>> str(error), error.retryable
        ('memory service at 127.0.0.1:7001 answered busy: queue full', True)
    """

    def __init__(
        self, code: str, error: str, where: str, *, retry_after_ms: int | None = None
    ) -> None:
        self.code = code
        self.error = error
        self.where = where
        self.retry_after_ms = retry_after_ms
        super().__init__(f"memory service at {where} answered {code}: {error}")

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later (or at another server).

        Example:
            >>> MemoryServiceError("unsupported", "no journal", "x:1").retryable
            False
        """
        return self.code in RETRYABLE_CODES

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (self.code, self.error, self.where, self.retry_after_ms),
        )


def _rebuild(code: str, error: str, where: str, retry_after_ms: int | None) -> MemoryServiceError:
    return MemoryServiceError(code, error, where, retry_after_ms=retry_after_ms)


class MemoryErrorBody(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An Error body of a memory call: `mxp.bodies.ErrorResponse` plus what rebuilds the error.

    ``code`` is ``memory_error`` for an error of the served store or journal (``kind`` names
    its class; ``reason`` and ``path`` rebuild an `InvalidRecord`, ``reason`` and
    ``location`` a `JournalCorrupted`), else ``unsupported`` or a kernel code.

    Example:
        >>> body_of(InvalidRecord("expected 3 values, got 2", "$.points[0].vector")).kind
        'invalid_record'
    """

    error: str
    code: str
    retry_after_ms: int | None = None
    kind: str | None = None
    reason: str | None = None
    path: str | None = None
    location: str | None = None


class MemoryStreamError(
    MemoryErrorBody, frozen=True, kw_only=True, omit_defaults=True, tag="error", tag_field="type"
):
    """The last item of a read that failed after it started (a kernel `CallFailed` reads as
    one too).

    Example:
        >>> msgspec.json.encode(MemoryStreamError(error="gone", code="shutting_down"))
        b'{"type":"error","error":"gone","code":"shutting_down"}'
    """


_error: Final = msgspec.json.Decoder(MemoryErrorBody)


def decode_error(payload: bytes) -> MemoryErrorBody:
    """An Error body; an unreadable one becomes code ``unknown`` with its text.

    Example:
        >>> decode_error(b'{"error": "queue full", "code": "busy"}').code
        'busy'
    """
    try:
        return _error.decode(payload)
    except msgspec.MsgspecError:
        text = payload[:200].decode("utf-8", "replace")
        return MemoryErrorBody(error=f"unreadable Error body: {text!r}", code="unknown")


def body_of(error: AgentMemoryError) -> MemoryErrorBody:
    """The Error body carrying ``error`` (see `error_of` for the way back).

    Example:
        >>> body_of(JournalCorrupted("bad checksum", "0.seg@64")).location
        '0.seg@64'
    """
    kind = next((k for k, cls in KINDS.items() if isinstance(error, cls)), "memory_error")
    if isinstance(error, InvalidRecord):
        return MemoryErrorBody(
            error=str(error), code="memory_error", kind=kind, reason=error.reason, path=error.path
        )
    if isinstance(error, JournalCorrupted):
        return MemoryErrorBody(
            error=str(error),
            code="memory_error",
            kind=kind,
            reason=error.reason,
            location=error.location,
        )
    return MemoryErrorBody(error=str(error), code="memory_error", kind=kind)


def error_of(body: MemoryErrorBody, where: str | Address) -> AgentMemoryError:
    """The error an Error body (or failed stream) stands for: a ``memory_error`` rebuilt as
    the served side raised it (same class and text), anything else a `MemoryServiceError`.

    Example:
        >>> error_of(MemoryErrorBody(error="no journal", code="unsupported"), "127.0.0.1:7001")
        MemoryServiceError('memory service at 127.0.0.1:7001 answered unsupported: no journal')
    """
    place = where if isinstance(where, str) else f"{where[0]}:{where[1]}"
    if body.code != "memory_error":
        return MemoryServiceError(body.code, body.error, place, retry_after_ms=body.retry_after_ms)
    kind = KINDS.get(body.kind or "", AgentMemoryError)
    if kind is InvalidRecord:
        if body.reason is None:
            return InvalidRecord(body.error)
        return InvalidRecord(body.reason, body.path)
    if kind is JournalCorrupted:
        if body.reason is None or body.location is None:
            return JournalError(body.error)
        return JournalCorrupted(body.reason, body.location)
    return kind(body.error)
