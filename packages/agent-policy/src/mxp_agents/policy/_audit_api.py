"""What governance records: an `AuditEvent` per decision, and the `AuditSink` protocol that
observers and durable sinks implement."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import msgspec

from mxp_agents.policy._decision import DecisionKind, PolicyDecision
from mxp_agents.policy._request import PolicyAction, PolicyRequest

__all__ = ["AuditEvent", "AuditSink"]


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One policy decision as the audit trail keeps it.

    ``subject`` is the action's label (``tool `pay```); ``timestamp`` Unix seconds;
    ``approval_id`` links an escalation to its approval; ``metadata`` is the request context's.

    Example:
        >>> event = AuditEvent.of(request, PolicyDecision.deny("no"), timestamp=0.0)
        >>> event.decision, event.subject  # doctest: +SKIP
        (<DecisionKind.DENY: 'deny'>, 'tool `pay`')
    """

    timestamp: float
    agent_id: str
    subject: str
    action: PolicyAction
    decision: DecisionKind
    reason: str | None = None
    approvers: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    tags: tuple[str, ...] = ()
    approval_id: str | None = None

    @classmethod
    def of(
        cls,
        request: PolicyRequest,
        decision: PolicyDecision,
        *,
        timestamp: float,
        approval_id: str | None = None,
    ) -> AuditEvent:
        """The event for ``decision`` on ``request``.

        Example:
            >>> AuditEvent.of(request, PolicyDecision.allow(), timestamp=1.0).decision
            <DecisionKind.ALLOW: 'allow'>
        """
        return cls(
            timestamp=timestamp,
            agent_id=request.agent_id,
            subject=request.subject,
            action=request.action,
            decision=decision.kind,
            reason=decision.reason,
            approvers=decision.approvers,
            metadata=dict(request.context.metadata),
            tags=request.context.tags,
            approval_id=approval_id,
        )


@runtime_checkable
class AuditSink(Protocol):
    """Receives every `AuditEvent`: a tracing observer, a hash-chained log, an MXP governance
    sink with a durable outbox, a fan-out of several. ``record`` returns once the sink has the
    event (durably, for durable sinks); an error propagates to the caller.

    Example:
        >>> await sink.record(event)  # doctest: +SKIP
    """

    async def record(self, event: AuditEvent) -> None:
        """Take ``event``."""
        ...
