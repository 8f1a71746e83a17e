"""The `PolicyEngine` protocol, and `consult`: asking an engine, failing closed."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

import trio

from mxp_agents.policy._decision import DecisionKind, PolicyDecision

if TYPE_CHECKING:
    from mxp_agents.policy._request import PolicyRequest

__all__ = ["DEFAULT_TIMEOUT", "FAIL_CLOSED", "PolicyEngine", "consult"]

DEFAULT_TIMEOUT: Final = 2.0
"""Seconds `consult` waits for an engine before it denies."""

FAIL_CLOSED: Final = "fail closed"
"""Every deny `consult` makes for a failing engine ends with this, so audits can tell them apart."""


@runtime_checkable
class PolicyEngine(Protocol):
    """Decides whether an action may happen: the rules engine, Rego, a composition, yours.

    Example:
        >>> decision = await engine.evaluate(PolicyRequest(agent_id, InvokeTool("pay")))
        >>> decision.kind  # doctest: +SKIP
        <DecisionKind.ESCALATE: 'escalate'>
    """

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        """The decision for ``request``."""
        ...


async def consult(
    engine: PolicyEngine, request: PolicyRequest, *, within: float = DEFAULT_TIMEOUT
) -> PolicyDecision:
    """Ask ``engine`` about ``request``, waiting at most ``within`` seconds. An error, no
    answer in time, or an answer that is not a `PolicyDecision` is a deny whose reason says
    so (fail closed). The caller's own cancellation propagates.

    Example:
        >>> decision = await consult(broken_engine, request)  # doctest: +SKIP
        >>> decision.reason  # doctest: +SKIP
        "policy engine failed for tool `pay`: RuntimeError('down') (fail closed)"
    """
    if not math.isfinite(within) or within <= 0:
        raise ValueError(f"within must be a finite number of seconds > 0, got {within!r}")
    subject = request.subject
    decision: object = None
    try:
        with trio.move_on_after(within) as scope:
            decision = await engine.evaluate(request)
    except Exception as error:
        return PolicyDecision(
            DecisionKind.DENY, f"policy engine failed for {subject}: {error!r} ({FAIL_CLOSED})"
        )
    if scope.cancelled_caught:
        return PolicyDecision(
            DecisionKind.DENY,
            f"policy engine did not answer for {subject} within {within:g} s ({FAIL_CLOSED})",
        )
    if not isinstance(decision, PolicyDecision):
        return PolicyDecision(
            DecisionKind.DENY,
            f"policy engine answered {type(decision).__name__}, not a PolicyDecision, for "
            f"{subject} ({FAIL_CLOSED})",
        )
    return decision
