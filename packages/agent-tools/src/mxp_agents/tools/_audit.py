"""Audit events of tool calls: who asked for what, and what happened (never secrets or values)."""

import datetime as dt
from collections.abc import Callable
from typing import Literal, Protocol, TypeAlias, runtime_checkable

import msgspec

from mxp_agents.primitives import CapabilityId
from mxp_agents.tools._errors import ToolsError

__all__ = ["AuditKind", "AuditSinkLike", "ToolAuditEvent", "ToolAuditSink", "audit_emitter"]

AuditKind: TypeAlias = Literal["denied", "invoked", "failed", "timed_out", "invalid_arguments"]
"""What happened to a call: ``denied`` (unknown tool, capability not granted or secret missing:
never run), ``invalid_arguments`` (never run), ``invoked`` (ran and answered), ``failed`` (raised
or returned something that is not JSON), ``timed_out`` (cancelled at its deadline)."""


class ToolAuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One tool call's outcome, for the audit trail.

    Only the argument *keys* are recorded, never their values, and never a secret. ``version``
    is None when the tool is unknown; ``duration`` (seconds) is None when the tool never ran.

    Example:
        >>> event = ToolAuditEvent(
        ...     kind="denied", tool="deploy", call_id="call_1",
        ...     reason="capabilities not granted: deploy.prod",
        ...     missing_capabilities=("deploy.prod",),
        ...     timestamp=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        ... )
        >>> event.kind, event.missing_capabilities
        ('denied', ('deploy.prod',))
    """

    kind: AuditKind
    tool: str
    call_id: str
    reason: str
    timestamp: dt.datetime
    version: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    trace_id: int | None = None
    missing_capabilities: tuple[CapabilityId, ...] = ()
    argument_keys: tuple[str, ...] = ()
    duration: float | None = None


@runtime_checkable
class ToolAuditSink(Protocol):
    """Where a `ToolExecutor` sends `ToolAuditEvent`s; a plain callable works too.

    ``emit`` is called in the executor's task and must not block (hand the event to a memory
    channel with ``send_nowait`` if writing it takes I/O). An exception it raises propagates
    out of ``execute``: a broken audit trail is not silently ignored.

    Example:
        >>> class PrintSink:
        ...     def emit(self, event: ToolAuditEvent) -> None:
        ...         print(event.kind, event.tool)
        >>> isinstance(PrintSink(), ToolAuditSink)
        True
    """

    def emit(self, event: ToolAuditEvent) -> None:
        """Record ``event``."""
        ...


AuditSinkLike: TypeAlias = ToolAuditSink | Callable[[ToolAuditEvent], object]
"""A `ToolAuditSink` or a function taking a `ToolAuditEvent`."""


def audit_emitter(audit: AuditSinkLike | None) -> Callable[[ToolAuditEvent], object] | None:
    """The function to call with each event: ``audit.emit``, ``audit`` itself, or None.

    Raises:
        ToolsError: ``audit`` has no ``emit`` method and is not callable.

    Example:
        >>> events = []
        >>> audit_emitter(events.append) == events.append
        True
    """
    if audit is None:
        return None
    if isinstance(audit, ToolAuditSink):
        return audit.emit
    if callable(audit):
        return audit
    raise ToolsError(
        f"audit must have an emit(event) method or be callable, got {type(audit).__name__}"
    )
