"""The agent's side of a governance agent (`serve_governance`): `MxpApprovals`, an
`ApprovalStore` whose approvals live at the governance agent, and `MxpAuditSink`, which sends
the reference runtime's audit body of each decision there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.kernel._governance_link import GovernanceFailure, GovernanceLink
from mxp_agents.kernel._governance_server import GOVERNANCE_CAPABILITY
from mxp_agents.kernel._governance_service import Decide, Get, List, Submit, Wait, encode_body
from mxp_agents.policy import (
    MXP_AUDITED,
    ApprovalError,
    ApprovalRecord,
    ApprovalStatus,
    AuditError,
    DecisionKind,
    mxp_audit_body,
    mxp_audited,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mxp.transport import Endpoint
    from mxp_agents.policy import ApprovalRequest, AuditEvent
    from mxp_agents.policy._audit._outbox import Backoff, Outbox

__all__ = ["MxpApprovals", "MxpAuditSink"]

_record: Final = msgspec.json.Decoder(ApprovalRecord)
_records: Final = msgspec.json.Decoder(list[ApprovalRecord])
_POLL: Final = 20.0
"""Seconds one ``wait`` Call lets the governance agent hold it before answering."""
_RECORDED: Final = b'{"recorded":true}'


class MxpApprovals:
    """An `ApprovalStore` at a governance agent: give it as an agent's ``approvals=``.

    ``target`` is the governance agent's address or capability (``governance.approvals``,
    discovered through ``registry`` or the running `Kernel`'s). ``wait`` long-polls the
    governance agent (``wait`` Calls of up to 20 s each) until the approval is decided or its
    deadline passed. ``timeout`` bounds each other Call. Failures are `ApprovalError`s (the
    kernel then fails closed).

    Example:
        >>> agent = Agent("payer", model=model, tools=[pay], policy=engine,
        ...               approvals=MxpApprovals("governance.approvals"))
    """

    def __init__(
        self,
        target: str | tuple[str, int] = GOVERNANCE_CAPABILITY,
        *,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        try:
            self._link: Final = GovernanceLink(
                target, endpoint=endpoint, registry=registry, timeout=timeout
            )
        except ValueError as error:
            raise ApprovalError(f"MxpApprovals: {error}") from None

    @property
    def target(self) -> str:
        """The governance agent's address or capability.

        Example:
            >>> MxpApprovals().target
            'governance.approvals'
        """
        return self._link.target

    async def submit(self, request: ApprovalRequest) -> ApprovalRecord:
        """Send ``request`` to the governance agent (idempotent by id).

        Example:
            >>> (await approvals.submit(request)).status  # doctest: +SKIP
            <ApprovalStatus.PENDING: 'pending'>
        """
        return _record.decode(await self._call(Submit(request=request)))

    async def get(self, approval_id: str) -> ApprovalRecord:
        """One approval as the governance agent has it.

        Example:
            >>> (await approvals.get("a1")).status  # doctest: +SKIP
            <ApprovalStatus.APPROVED: 'approved'>
        """
        return _record.decode(await self._call(Get(id=approval_id)))

    async def list(self, status: ApprovalStatus | None = None) -> list[ApprovalRecord]:
        """The governance agent's approvals, optionally one status only.

        Example:
            >>> await approvals.list(ApprovalStatus.PENDING)  # doctest: +SKIP
            []
        """
        return _records.decode(await self._call(List(status=status)))

    async def decide(
        self,
        approval_id: str,
        *,
        approve: bool,
        by: str,
        fingerprint: str,
        note: str | None = None,
    ) -> ApprovalRecord:
        """Approve or deny at the governance agent (bound to ``fingerprint``).

        Example:
            >>> await approvals.decide("a1", approve=True, by="alice",
            ...                        fingerprint=fp)  # doctest: +SKIP
        """
        call = Decide(id=approval_id, approve=approve, by=by, fingerprint=fingerprint, note=note)
        return _record.decode(await self._call(call))

    async def wait(self, approval_id: str) -> ApprovalRecord:
        """The approval once decided, or `EXPIRED` at its deadline; cancel to stop earlier.

        Example:
            >>> (await approvals.wait("a1")).status  # doctest: +SKIP
            <ApprovalStatus.DENIED: 'denied'>
        """
        while True:
            call = Wait(id=approval_id, within=_POLL)
            answer = await self._call(call, wait=_POLL + self._link.timeout)
            record = _record.decode(answer)
            if record.status is not ApprovalStatus.PENDING:
                return record

    async def _call(
        self, call: Submit | Get | List | Decide | Wait, wait: float | None = None
    ) -> bytes:
        try:
            return await self._link.call(encode_body(call), wait=wait)
        except GovernanceFailure as failure:
            raise ApprovalError(str(failure)) from None

    def __repr__(self) -> str:
        return f"MxpApprovals({self.target!r})"


class MxpAuditSink:
    """An `AuditSink` sending the reference runtime's audit body (`mxp_audit_body`) of each
    decision in ``decisions`` (deny and escalate by default) to a governance agent.

    Each body goes as a Call, acknowledged by the governance agent once its ``on_audit`` has
    it (an MXP Event's Ack only says the peer's transport received it). Without ``outbox``,
    ``record`` returns once acknowledged and raises `AuditError` otherwise (the kernel then
    treats the decision as a deny). With an `Outbox`, ``record`` returns once the body is on
    disk, and `deliver` (run it in a nursery) sends the queue in order, retrying each body
    until acknowledged, across restarts.

    Example:
        >>> async with Outbox("state/audit-outbox") as outbox, trio.open_nursery() as nursery:
        ...     sink = MxpAuditSink("governance.approvals", outbox=outbox)
        ...     nursery.start_soon(sink.deliver)
        ...     agent = Agent("payer", model=model, policy=engine, policy_audit=sink)
    """

    def __init__(
        self,
        target: str | tuple[str, int] = GOVERNANCE_CAPABILITY,
        *,
        endpoint: Endpoint | None = None,
        registry: str | None = None,
        outbox: Outbox | None = None,
        decisions: Iterable[DecisionKind | str] = MXP_AUDITED,
        timeout: float = 10.0,
    ) -> None:
        try:
            self._link: Final = GovernanceLink(
                target, endpoint=endpoint, registry=registry, timeout=timeout
            )
            self.decisions: Final = frozenset(DecisionKind(kind) for kind in decisions)
        except ValueError as error:
            raise AuditError(f"MxpAuditSink: {error}") from None
        self.outbox: Final = outbox

    async def record(self, event: AuditEvent) -> None:
        """Send (or queue, with an outbox) ``event``'s body if its decision is audited.

        Example:
            >>> await sink.record(event)  # doctest: +SKIP
        """
        if not mxp_audited(event, self.decisions):
            return
        body = mxp_audit_body(event)
        if self.outbox is not None:
            await self.outbox.put(body)
        else:
            await self.send(body)

    async def send(self, body: bytes) -> None:
        """Send one audit body and return once the governance agent acknowledged it.

        Raises:
            AuditError: no acknowledgement (the message says why).

        Example:
            >>> await sink.send(mxp_audit_body(event))  # doctest: +SKIP
        """
        try:
            answer = await self._link.call(body)
        except GovernanceFailure as failure:
            raise AuditError(f"audit event not delivered: {failure}") from None
        if answer != _RECORDED:
            raise AuditError(f"audit event not acknowledged: the answer was {answer[:80]!r}")

    async def deliver(self, *, backoff: Backoff | None = None, until_empty: bool = False) -> None:
        """Deliver the outbox to the governance agent (until cancelled, or empty).

        Raises:
            AuditError: no outbox, or ``backoff.attempts`` failures in a row.

        Example:
            >>> nursery.start_soon(sink.deliver)  # doctest: +SKIP
        """
        if self.outbox is None:
            raise AuditError("MxpAuditSink.deliver: the sink has no outbox")
        await self.outbox.deliver(
            self.send, backoff=backoff, send_timeout=self._link.timeout, until_empty=until_empty
        )

    def __repr__(self) -> str:
        return f"MxpAuditSink({self._link.target!r}, outbox={self.outbox is not None})"
