"""`RecordingAuditSink`: an audit sink that keeps every event, for tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mxp_agents.tools._audit import AuditKind, ToolAuditEvent

__all__ = ["RecordingAuditSink"]


class RecordingAuditSink:
    """Keeps the `ToolAuditEvent`s it receives in ``events``, in order.

    Example:
        >>> sink = RecordingAuditSink()
        >>> executor = ToolExecutor(registry, audit=sink)  # doctest: +SKIP
        >>> await executor.execute(ToolCall("c1", "deploy", {}))  # doctest: +SKIP
        >>> sink.kinds()  # doctest: +SKIP
        ['denied']
    """

    def __init__(self) -> None:
        self.events: list[ToolAuditEvent] = []

    def emit(self, event: ToolAuditEvent) -> None:
        """Record ``event``.

        Example:
            >>> RecordingAuditSink().emit(event)  # doctest: +SKIP
        """
        self.events.append(event)

    def kinds(self) -> list[AuditKind]:
        """The kinds of the recorded events, in order.

        Example:
            >>> RecordingAuditSink().kinds()
            []
        """
        return [event.kind for event in self.events]

    def of_kind(self, kind: AuditKind) -> list[ToolAuditEvent]:
        """The recorded events of one kind, in order.

        Example:
            >>> RecordingAuditSink().of_kind("denied")
            []
        """
        return [event for event in self.events if event.kind == kind]

    def clear(self) -> None:
        """Forget every recorded event.

        Example:
            >>> RecordingAuditSink().clear()
        """
        self.events.clear()

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        return f"RecordingAuditSink({len(self.events)} events)"
