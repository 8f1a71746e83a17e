"""Escalation's durable half: `ApprovalRequest`, its `ApprovalRecord`, the `fingerprint` that
binds an approval to one exact call, and the `ApprovalStore` protocol."""

from __future__ import annotations

import enum
import hashlib
from typing import Final, Protocol, runtime_checkable

import msgspec

from mxp_agents.policy._decision import DecisionKind
from mxp_agents.policy._request import PolicyAction

__all__ = [
    "ApprovalRecord",
    "ApprovalRequest",
    "ApprovalStatus",
    "ApprovalStore",
    "fingerprint",
]

_canonical: Final = msgspec.json.Encoder(order="sorted")


def fingerprint(agent_id: str, action: PolicyAction) -> str:
    """SHA-256 (hex) of the agent and the exact action (tool, version, arguments, ...), over
    canonical JSON (sorted keys): an approval given for one call cannot authorise another.

    Example:
        >>> a = fingerprint("agent-1", InvokeTool("pay", arguments={"amount": 120}))
        >>> b = fingerprint("agent-1", InvokeTool("pay", arguments={"amount": 121}))
        >>> len(a), a == b
        (64, False)
    """
    data = _canonical.encode({"agent_id": agent_id, "action": action})
    return hashlib.sha256(data).hexdigest()


class ApprovalStatus(enum.StrEnum):
    """Where an approval stands.

    Example:
        >>> ApprovalStatus("pending") is ApprovalStatus.PENDING
        True
    """

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


class ApprovalRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An escalated action waiting for a human: what, who asked, why, who may approve, until
    when. ``fingerprint`` is `fingerprint(agent_id, action)`; ``deadline`` and ``created`` are
    Unix seconds; at the deadline ``fallback`` applies (deny unless configured otherwise).

    Example:
        >>> request.fingerprint == fingerprint(request.agent_id, request.action)  # doctest: +SKIP
        True
    """

    id: str
    agent_id: str
    action: PolicyAction
    fingerprint: str
    reason: str
    approvers: tuple[str, ...] = ()
    run_id: str | None = None
    created: float
    deadline: float
    fallback: DecisionKind = DecisionKind.DENY


class ApprovalRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An `ApprovalRequest` and its outcome: ``status``, who decided, when, with what note.

    Example:
        >>> record.status  # doctest: +SKIP
        <ApprovalStatus.APPROVED: 'approved'>
    """

    request: ApprovalRequest
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_by: str | None = None
    decided_at: float | None = None
    note: str | None = None


@runtime_checkable
class ApprovalStore(Protocol):
    """Where approvals live durably (a local file store, PostgreSQL): shared between the agent
    that waits and whoever decides (the CLI, a governance agent), across restarts.

    ``submit`` stores a new request (the same id again returns the stored record);
    ``decide`` records a human's verdict only for the exact ``fingerprint`` of the pending
    request, by one of its approvers (when it names any), before its deadline — else
    `ApprovalError` saying which; ``wait`` returns once the request is decided or its deadline
    passed (then it is `EXPIRED`).

    Example:
        >>> record = await store.wait(request.id)  # doctest: +SKIP
    """

    async def submit(self, request: ApprovalRequest) -> ApprovalRecord:
        """Store ``request`` as pending (idempotent by id)."""
        ...

    async def get(self, approval_id: str) -> ApprovalRecord:
        """The record of one approval (`ApprovalError` when unknown)."""
        ...

    async def list(self, status: ApprovalStatus | None = None) -> list[ApprovalRecord]:
        """Approvals, oldest first, optionally only those with ``status``."""
        ...

    async def decide(
        self,
        approval_id: str,
        *,
        approve: bool,
        by: str,
        fingerprint: str,
        note: str | None = None,
    ) -> ApprovalRecord:
        """Approve or deny a pending approval bound to ``fingerprint``."""
        ...

    async def wait(self, approval_id: str) -> ApprovalRecord:
        """The record once decided, or `EXPIRED` at its deadline."""
        ...
