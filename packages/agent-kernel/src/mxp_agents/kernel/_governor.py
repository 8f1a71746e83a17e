"""Policy in the agent loop: `Governance` (an agent's engine, approval store and audit sink)
and `RunPolicy` (one run's questions to it), consulted before every model call, tool call,
memory write and outbound call.

One question goes: build the `PolicyRequest` (agent id, action, the run's metadata and tags),
`consult` the engine (fail closed), record the decision in the audit sink, and for an
escalation suspend on a durable `ApprovalRequest` until it is approved, denied or expired. The
answer is always a final allow or deny: the caller proceeds or takes its deny path.

An approval's id is derived from the run id, the action's fingerprint and how many times the
run escalated that fingerprint before: a restarted run (same ``run_id``) finds the approval it
asked for - pending or decided - instead of asking again, and one approval authorises one
execution, never a second identical call of the same run.
"""

from __future__ import annotations

import hashlib
import math
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

import trio

from mxp_agents.kernel._errors import AgentConfigError, KernelError
from mxp_agents.policy import (
    FAIL_CLOSED,
    ApprovalError,
    ApprovalRecord,
    ApprovalRequest,
    ApprovalStatus,
    ApprovalStore,
    AuditEvent,
    AuditSink,
    DecisionKind,
    PolicyContext,
    PolicyDecision,
    PolicyEngine,
    PolicyRequest,
    consult,
    fingerprint,
)

if TYPE_CHECKING:
    from mxp_agents.kernel._run import RunSpec
    from mxp_agents.policy import PolicyAction

__all__ = ["Governance", "PolicyDenied", "RunPolicy", "Ticket", "approval_id", "current_policy"]

_current: Final[ContextVar[RunPolicy | None]] = ContextVar("mxp_agents_run_policy", default=None)
_GRACE: Final = 5.0
"""Seconds past an approval's deadline the agent waits for its store to report it expired."""


def current_policy() -> RunPolicy | None:
    """The `RunPolicy` of the run this task belongs to (None: outside a governed run).

    Example:
        >>> current_policy() is None
        True
    """
    return _current.get()


def approval_id(run_id: str, print_: str, occurrence: int) -> str:
    """The id of the approval for the ``occurrence``-th escalation (from 1) of the action
    fingerprinted ``print_`` in run ``run_id``: the same on every restart of the run.

    Example:
        >>> approval_id("run-1", "ab" * 32, 1) == approval_id("run-1", "ab" * 32, 1)
        True
        >>> len(approval_id("run-1", "ab" * 32, 1))
        32
    """
    data = f"{run_id}\x00{print_}\x00{occurrence}".encode()
    return hashlib.sha256(data).hexdigest()[:32]


class PolicyDenied(KernelError):
    """A step the policy denied; ends the run with ``StopReason.POLICY_DENIED`` (raised for a
    denied memory write, the only step that cannot be refused in place).

    Example:
        >>> str(PolicyDenied("memory `tool`", "no tool records for sensitive runs"))
        'memory `tool` denied by policy: no tool records for sensitive runs'
    """

    def __init__(self, subject: str, reason: str) -> None:
        self.subject = subject
        self.reason = reason
        super().__init__(f"{subject} denied by policy: {reason}")


class Ticket:
    """One action of a run, fingerprinted and numbered in the order the run asked (so
    concurrent tool calls get the same approval ids on every restart).

    Example:
        >>> ticket = policy.ticket(InvokeTool("pay", arguments={"amount": 120}))  # doctest: +SKIP
    """

    __slots__ = ("action", "fingerprint", "occurrence")

    def __init__(self, action: PolicyAction, print_: str, occurrence: int) -> None:
        self.action = action
        self.fingerprint = print_
        self.occurrence = occurrence


class Governance:
    """An agent's policy: the engine, the approval store, the audit sink and their timeouts.

    ``timeout`` bounds each engine consultation and each store or sink operation;
    ``approval_timeout`` is how long an escalated step waits for a human (the approval's
    deadline); ``fallback`` is what an expired approval becomes (deny unless ``"allow"``).

    Raises:
        AgentConfigError: an argument of the wrong kind or a bad timeout (named).

    Example:
        >>> governance = Governance(engine, approvals=store, audit=sink)  # doctest: +SKIP
    """

    __slots__ = ("agent_id", "approval_timeout", "approvals", "audit", "engine", "fallback",
                 "timeout")  # fmt: skip

    def __init__(
        self,
        engine: PolicyEngine,
        *,
        agent_id: str,
        approvals: ApprovalStore | None = None,
        audit: AuditSink | None = None,
        timeout: float = 2.0,
        approval_timeout: float = 3600.0,
        fallback: DecisionKind | str = DecisionKind.DENY,
    ) -> None:
        if not isinstance(engine, PolicyEngine):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(
                f"policy must be a PolicyEngine (async evaluate(request)), "
                f"got {type(engine).__name__}"
            )
        if approvals is not None and not isinstance(approvals, ApprovalStore):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(
                f"approvals must be an ApprovalStore, got {type(approvals).__name__}"
            )
        if audit is not None and not isinstance(audit, AuditSink):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(
                f"policy_audit must be an AuditSink (async record(event)), "
                f"got {type(audit).__name__}"
            )
        _seconds("policy_timeout", timeout)
        _seconds("approval_timeout", approval_timeout)
        if fallback not in (DecisionKind.DENY, DecisionKind.ALLOW):
            raise AgentConfigError(f"approval_fallback must be 'deny' or 'allow', got {fallback!r}")
        self.engine = engine
        self.agent_id = agent_id
        self.approvals = approvals
        self.audit = audit
        self.timeout = float(timeout)
        self.approval_timeout = float(approval_timeout)
        self.fallback = DecisionKind(fallback)

    def for_run(self, spec: RunSpec) -> RunPolicy:
        """The `RunPolicy` of one run.

        Example:
            >>> policy = governance.for_run(spec)  # doctest: +SKIP
        """
        metadata: dict[str, Any] = dict(spec.metadata) if spec.metadata else {}
        metadata["run_id"] = spec.run_id
        if spec.trace_id is not None:
            metadata["trace_id"] = spec.trace_id
        else:
            metadata.pop("trace_id", None)
        return RunPolicy(self, spec.run_id, PolicyContext(metadata, tuple(spec.memory_tags)))


class RunPolicy:
    """One run's questions to its agent's `Governance`; each answer is a final allow or deny.

    Example:
        >>> decision = await policy.check(ModelInference("openai", "gpt-4o"))  # doctest: +SKIP
        >>> decision.is_allow  # doctest: +SKIP
        True
    """

    __slots__ = ("_counts", "context", "governance", "run_id")

    def __init__(self, governance: Governance, run_id: str, context: PolicyContext) -> None:
        self.governance = governance
        self.run_id = run_id
        self.context = context
        self._counts: dict[str, int] = {}

    def active(self) -> _Active:
        """Make this the `current_policy` of the calling task (and the tasks it starts).

        Example:
            >>> with policy.active():  # doctest: +SKIP
            ...     await loop_body()
        """
        return _Active(self)

    def ticket(self, action: PolicyAction) -> Ticket:
        """Fingerprint and number ``action`` now, in the run's order (no await).

        Example:
            >>> policy.ticket(ModelInference("openai", "gpt-4o")).occurrence  # doctest: +SKIP
            1
        """
        print_ = fingerprint(self.governance.agent_id, action)
        count = self._counts[print_] = self._counts.get(print_, 0) + 1
        return Ticket(action, print_, count)

    async def check(self, action: PolicyAction | Ticket) -> PolicyDecision:
        """Ask whether the run may do ``action``: an allow, or a deny whose reason says why
        (an engine failure, a denied or expired approval, an audit sink that failed).

        Example:
            >>> (await policy.check(InvokeTool("pay"))).is_allow  # doctest: +SKIP
            True
        """
        ticket = action if isinstance(action, Ticket) else self.ticket(action)
        governance = self.governance
        request = PolicyRequest(governance.agent_id, ticket.action, self.context)
        decision = await consult(governance.engine, request, within=governance.timeout)
        if not decision.is_escalate:
            return await self._recorded(request, decision, None) or decision
        approval = approval_id(self.run_id, ticket.fingerprint, ticket.occurrence)
        refused = await self._recorded(request, decision, approval)
        if refused is not None:
            return refused
        final = await self._escalate(request, decision, ticket, approval)
        return await self._recorded(request, final, approval) or final

    async def _recorded(
        self, request: PolicyRequest, decision: PolicyDecision, approval: str | None
    ) -> PolicyDecision | None:
        """None once ``decision`` is in the audit trail; a deny when it cannot be recorded."""
        sink = self.governance.audit
        if sink is None:
            return None
        event = AuditEvent.of(request, decision, timestamp=time.time(), approval_id=approval)
        try:
            with trio.fail_after(self.governance.timeout):
                await sink.record(event)
        except Exception as error:
            return PolicyDecision.deny(
                f"cannot record the decision on {request.subject} in the audit trail: "
                f"{_describe(error)} ({FAIL_CLOSED})"
            )
        return None

    async def _escalate(
        self, request: PolicyRequest, decision: PolicyDecision, ticket: Ticket, approval: str
    ) -> PolicyDecision:
        governance = self.governance
        store = governance.approvals
        subject = request.subject
        if store is None:
            return PolicyDecision.deny(
                f"{subject} needs an approval ({decision.reason}) but the agent has no approval "
                f"store ({FAIL_CLOSED})"
            )
        now = time.time()
        print_ = ticket.fingerprint
        asked = ApprovalRequest(
            id=approval,
            agent_id=governance.agent_id,
            action=ticket.action,
            fingerprint=print_,
            reason=decision.reason or subject,
            approvers=decision.approvers,
            run_id=self.run_id,
            created=now,
            deadline=now + governance.approval_timeout,
            fallback=governance.fallback,
        )
        try:
            with trio.fail_after(governance.timeout):
                record = await _existing(store, approval) or await store.submit(asked)
            if record.status is ApprovalStatus.PENDING and record.request.fingerprint == print_:
                record = await self._wait(store, record)
        except Exception as error:
            return PolicyDecision.deny(
                f"approval {approval} for {subject} failed: {_describe(error)} ({FAIL_CLOSED})"
            )
        return _outcome(record, print_, subject)

    async def _wait(self, store: ApprovalStore, record: ApprovalRecord) -> ApprovalRecord:
        patience = record.request.deadline - time.time() + _GRACE
        with trio.move_on_after(max(patience, _GRACE)):
            return await store.wait(record.request.id)
        return ApprovalRecord(request=record.request, status=ApprovalStatus.EXPIRED)


async def _existing(store: ApprovalStore, approval: str) -> ApprovalRecord | None:
    """The approval a previous life of the run asked for, if the store has it."""
    try:
        return await store.get(approval)
    except ApprovalError:  # unknown id: this is the first time the run asks
        return None


def _outcome(record: ApprovalRecord, print_: str, subject: str) -> PolicyDecision:
    asked = record.request
    if asked.fingerprint != print_:
        return PolicyDecision.deny(
            f"approval {asked.id} is bound to another call than {subject} (fingerprint "
            f"{asked.fingerprint[:12]}... is not {print_[:12]}...): refused"
        )
    note = f": {record.note}" if record.note else ""
    status = record.status
    if status is ApprovalStatus.APPROVED:
        return PolicyDecision.allow(f"approval {asked.id} approved by {record.decided_by}{note}")
    if status is ApprovalStatus.DENIED:
        return PolicyDecision.deny(f"approval {asked.id} denied by {record.decided_by}{note}")
    if status is ApprovalStatus.EXPIRED:
        text = f"approval {asked.id} for {subject} expired at its deadline (fallback: "
        if asked.fallback is DecisionKind.ALLOW:
            return PolicyDecision.allow(text + "allow)")
        return PolicyDecision.deny(text + "deny)")
    return PolicyDecision.deny(
        f"approval {asked.id} for {subject} is still {status.value} ({FAIL_CLOSED})"
    )


def _describe(error: BaseException) -> str:
    if isinstance(error, trio.TooSlowError):
        return "no answer in time"
    return repr(error)


def _seconds(name: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise AgentConfigError(f"{name} must be a finite number of seconds > 0, got {value!r}")


class _Active:
    """The context manager of `RunPolicy.active`."""

    __slots__ = ("_policy", "_token")

    def __init__(self, policy: RunPolicy) -> None:
        self._policy = policy

    def __enter__(self) -> RunPolicy:
        self._token = _current.set(self._policy)
        return self._policy

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
