"""The MXP audit event of the reference runtime: its body, which decisions it reports, and
`OutboxSink`, which queues those bodies durably for the governance agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.policy._decision import DecisionKind
from mxp_agents.policy._errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mxp_agents.policy._audit._outbox import Outbox
    from mxp_agents.policy._audit_api import AuditEvent

__all__ = ["MXP_AUDITED", "OutboxSink", "mxp_audit_body", "mxp_audited"]

MXP_AUDITED: Final = frozenset({DecisionKind.DENY, DecisionKind.ESCALATE})
"""The decisions the reference runtime's ``MxpAuditObserver`` sends: deny and escalate."""

_RUST_NAMES: Final = {
    DecisionKind.ALLOW: "Allow",
    DecisionKind.DENY: "Deny",
    DecisionKind.ESCALATE: "Escalate",
}


def mxp_audit_body(event: AuditEvent) -> bytes:
    """The body of the MXP ``Event`` the reference runtime sends for a decision: compact JSON,
    keys sorted at every level (serde_json's map), ``decision`` the Rust name of the kind.

    Example:
        >>> body = mxp_audit_body(AuditEvent.of(request, PolicyDecision.deny("no"), timestamp=0.0))
        >>> body[:60]
        b'{"agent_id":"a1","approvers":[],"decision":"Deny","metadata"'
    """
    body: dict[str, Any] = {
        "agent_id": event.agent_id,
        "approvers": list(event.approvers),
        "decision": _RUST_NAMES[event.decision],
        "metadata": event.metadata,
        "reason": event.reason,
        "subject": event.subject,
    }
    try:
        return msgspec.json.encode(body, order="sorted")
    except (TypeError, OverflowError, ValueError) as error:
        raise AuditError(
            f"cannot encode the audit event as JSON: {error} - at $.metadata"
        ) from None


def mxp_audited(event: AuditEvent, decisions: Iterable[DecisionKind] = MXP_AUDITED) -> bool:
    """Whether the MXP audit sink sends ``event``: its decision is one of ``decisions``
    (default: deny and escalate, as the reference runtime).

    Example:
        >>> mxp_audited(AuditEvent.of(request, PolicyDecision.allow(), timestamp=0.0))
        False
    """
    return event.decision in decisions


class OutboxSink:
    """An `AuditSink` queuing `mxp_audit_body` of each event whose decision is in
    ``decisions`` into a durable `Outbox`; ``record`` returns once the body is on disk. The
    kernel delivers the outbox to the governance agent (``Outbox.deliver``).

    Example:
        >>> sink = OutboxSink(outbox)
        >>> await sink.record(event)  # doctest: +SKIP
    """

    def __init__(self, outbox: Outbox, decisions: Iterable[DecisionKind] = MXP_AUDITED) -> None:
        self.outbox = outbox
        self.decisions = frozenset(DecisionKind(kind) for kind in decisions)

    async def record(self, event: AuditEvent) -> None:
        """Queue ``event``'s MXP body if its decision is audited over MXP.

        Example:
            >>> await OutboxSink(outbox).record(event)  # doctest: +SKIP
        """
        if mxp_audited(event, self.decisions):
            await self.outbox.put(mxp_audit_body(event))
