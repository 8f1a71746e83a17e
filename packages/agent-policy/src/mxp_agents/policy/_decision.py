"""`PolicyDecision`: allow, deny (with a reason) or escalate (with a reason and approvers)."""

from __future__ import annotations

import enum

import msgspec

from mxp_agents.policy._errors import InvalidPolicy
from mxp_agents.primitives import kind_of

__all__ = ["DecisionKind", "PolicyDecision"]


class DecisionKind(enum.StrEnum):
    """The three answers of a policy engine.

    Example:
        >>> DecisionKind("escalate") is DecisionKind.ESCALATE
        True
    """

    ALLOW = "allow"
    DENY = "deny"
    ESCALATE = "escalate"


class PolicyDecision(msgspec.Struct, frozen=True, omit_defaults=True):
    """An engine's answer. Build it with `allow`, `deny` or `escalate`.

    A deny and an escalation carry a non-blank ``reason``; an escalation names its
    ``approvers`` (who may approve; empty: anyone allowed to approve).

    Example:
        >>> PolicyDecision.escalate("payments over 100 need finance", ["finance"]).approvers
        ('finance',)
        >>> PolicyDecision.deny(" ")
        Traceback (most recent call last):
        ...
        mxp_agents.policy._errors.InvalidPolicy: a deny needs a reason - at $.reason
    """

    kind: DecisionKind
    reason: str | None = None
    approvers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kind: object = self.kind
        if not isinstance(kind, DecisionKind):  # pyright: ignore[reportUnnecessaryIsInstance]
            try:
                msgspec.structs.force_setattr(self, "kind", DecisionKind(kind))
            except ValueError:
                raise InvalidPolicy(
                    f"kind must be 'allow', 'deny' or 'escalate', got {kind!r}", "$.kind"
                ) from None
        reason: object = self.reason
        if self.kind is not DecisionKind.ALLOW and (
            not isinstance(reason, str) or not reason.strip()
        ):
            raise InvalidPolicy(f"a {self.kind.value} needs a reason", "$.reason")
        if reason is not None and not isinstance(reason, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidPolicy(f"expected str, got {kind_of(reason)}", "$.reason")
        approvers: object = self.approvers
        if not isinstance(approvers, tuple):  # pyright: ignore[reportUnnecessaryIsInstance]
            if isinstance(approvers, str) or not isinstance(approvers, list):
                raise InvalidPolicy(
                    f"expected a list of str, got {kind_of(approvers)}", "$.approvers"
                )
            msgspec.structs.force_setattr(self, "approvers", tuple(approvers))  # pyright: ignore[reportUnknownArgumentType]
        for index, who in enumerate(self.approvers):
            if not isinstance(who, str) or not who.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
                raise InvalidPolicy("approver must be a non-blank str", f"$.approvers[{index}]")
        if self.approvers and self.kind is not DecisionKind.ESCALATE:
            raise InvalidPolicy(
                f"only an escalation names approvers, not a {self.kind.value}", "$.approvers"
            )

    @classmethod
    def allow(cls, reason: str | None = None) -> PolicyDecision:
        """Let the action happen.

        Example:
            >>> PolicyDecision.allow().is_allow
            True
        """
        return cls(DecisionKind.ALLOW, reason)

    @classmethod
    def deny(cls, reason: str) -> PolicyDecision:
        """Refuse the action, saying why.

        Example:
            >>> PolicyDecision.deny("no production deploys on Fridays").reason
            'no production deploys on Fridays'
        """
        return cls(DecisionKind.DENY, reason)

    @classmethod
    def escalate(cls, reason: str, approvers: tuple[str, ...] | list[str] = ()) -> PolicyDecision:
        """Ask a human first: the action waits for an approval.

        Example:
            >>> PolicyDecision.escalate("large refund", ["finance"]).kind
            <DecisionKind.ESCALATE: 'escalate'>
        """
        return cls(DecisionKind.ESCALATE, reason, tuple(approvers))

    @property
    def is_allow(self) -> bool:
        """True for an allow.

        Example:
            >>> PolicyDecision.allow().is_allow
            True
        """
        return self.kind is DecisionKind.ALLOW

    @property
    def is_deny(self) -> bool:
        """True for a deny.

        Example:
            >>> PolicyDecision.deny("no").is_deny
            True
        """
        return self.kind is DecisionKind.DENY

    @property
    def is_escalate(self) -> bool:
        """True for an escalation.

        Example:
            >>> PolicyDecision.escalate("why").is_escalate
            True
        """
        return self.kind is DecisionKind.ESCALATE
