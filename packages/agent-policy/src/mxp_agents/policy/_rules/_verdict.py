"""`Verdict`: an engine's answer with what compositions and caches need to know about it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from mxp_agents.policy._decision import DecisionKind, PolicyDecision

if TYPE_CHECKING:
    from mxp_agents.policy._request import PolicyRequest

__all__ = ["NOT_APPLICABLE", "Verdict", "not_applicable_decision"]

NOT_APPLICABLE: Final = "not applicable"
"""Ends the reason of the deny an engine gives when none of its rules applies."""


class Verdict(msgspec.Struct, frozen=True):
    """An engine's detailed answer: the ``decision`` (``None``: not applicable — the engine
    has nothing to say, and a composition asks the next one), whether it is ``cacheable``
    (pure: the same request always gets it) and the ``rule`` that decided (None for a
    default or an engine without rules).

    Example:
        >>> verdict = Verdict(PolicyDecision.allow(), cacheable=True, rule="read-only")
        >>> verdict.applicable, verdict.rule
        (True, 'read-only')
        >>> Verdict(None).applicable
        False
    """

    decision: PolicyDecision | None
    cacheable: bool = True
    rule: str | None = None

    @property
    def applicable(self) -> bool:
        """Whether the engine had something to say.

        Example:
            >>> Verdict(PolicyDecision.deny("no")).applicable
            True
        """
        return self.decision is not None


def not_applicable_decision(request: PolicyRequest) -> PolicyDecision:
    """The deny `evaluate` answers when an engine (or a whole composition) is not applicable:
    nothing allowed the action, so it does not happen.

    Example:
        >>> not_applicable_decision(PolicyRequest("a", InvokeTool("pay"))).reason
        'no policy applies to tool `pay` (not applicable)'
    """
    return PolicyDecision(
        DecisionKind.DENY, f"no policy applies to {request.subject} ({NOT_APPLICABLE})"
    )
