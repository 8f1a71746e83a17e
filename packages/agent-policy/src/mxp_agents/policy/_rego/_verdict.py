"""The decision object a Rego policy returns, checked strictly and turned into a
`PolicyDecision`.

Shape (exactly one verdict, set to ``true``):

- ``{"allow": true}`` (optionally ``"reason"``),
- ``{"deny": true, "reason": "..."}``,
- ``{"escalate": true, "reason": "...", "approvers": ["..."]}`` (``approvers`` optional).

Any other key, a verdict that is not ``true``, no verdict or two, a missing or blank reason,
approvers on anything but an escalation: `InvalidPolicy` naming the field.
"""

from __future__ import annotations

from typing import Any, Final, cast

from mxp_agents.policy._decision import DecisionKind, PolicyDecision
from mxp_agents.policy._errors import InvalidPolicy
from mxp_agents.primitives import kind_of

__all__ = ["to_decision"]

_VERDICTS: Final = ("allow", "deny", "escalate")
_KEYS: Final = frozenset((*_VERDICTS, "reason", "approvers"))
_ALLOW: Final = PolicyDecision(DecisionKind.ALLOW)


def to_decision(value: Any, where: str) -> PolicyDecision:
    """The `PolicyDecision` for a policy's decision object found at ``where`` (the query).

    Example:
        >>> value = {"escalate": True, "reason": "big", "approvers": ["finance"]}
        >>> to_decision(value, "data.mxp.decision").approvers
        ('finance',)
        >>> to_decision({"allow": True, "deny": True, "reason": "x"}, "data.mxp.decision")
        Traceback (most recent call last):
        ...
        mxp_agents.policy._errors.InvalidPolicy: two verdicts at once (allow, deny); ...
    """
    if type(value) is not dict:
        raise InvalidPolicy(
            f'expected a decision object like {{"allow": true}}, got {kind_of(value)}', where
        )
    fields = cast("dict[str, Any]", value)
    if len(fields) == 1 and fields.get("allow") is True:
        return _ALLOW
    unknown = sorted(key for key in fields if key not in _KEYS)
    if unknown:
        raise InvalidPolicy(
            f"unknown field {unknown[0]!r}; a decision has allow | deny | escalate, reason, "
            "approvers",
            f"{where}.{unknown[0]}",
        )
    chosen: list[str] = []
    for verdict in _VERDICTS:
        if verdict in fields:
            if fields[verdict] is not True:
                raise InvalidPolicy(
                    f"a verdict is `true` when present, got {_show(fields[verdict])}; leave out "
                    "the verdicts that do not apply",
                    f"{where}.{verdict}",
                )
            chosen.append(verdict)
    if not chosen:
        raise InvalidPolicy("no verdict: expected one of allow, deny, escalate set to true", where)
    if len(chosen) > 1:
        raise InvalidPolicy(
            f"two verdicts at once ({', '.join(chosen)}); a decision has exactly one", where
        )
    kind = DecisionKind(chosen[0])
    reason = fields.get("reason")
    if reason is not None and type(reason) is not str:
        raise InvalidPolicy(f"expected str, got {kind_of(reason)}", f"{where}.reason")
    if kind is not DecisionKind.ALLOW and (reason is None or not reason.strip()):
        what = "a deny" if kind is DecisionKind.DENY else "an escalation"
        raise InvalidPolicy(f"{what} needs a non-blank reason", f"{where}.reason")
    approvers = fields.get("approvers", [])
    if "approvers" in fields and kind is not DecisionKind.ESCALATE:
        raise InvalidPolicy(f"only an escalation names approvers, not a {kind.value}", where)
    if type(approvers) is not list:
        raise InvalidPolicy(
            f"expected a list of str, got {kind_of(approvers)}", f"{where}.approvers"
        )
    for index, who in enumerate(approvers):  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        if type(who) is not str or not who.strip():  # pyright: ignore[reportUnknownArgumentType, reportUnknownMemberType]
            raise InvalidPolicy(
                f"an approver is a non-blank str, got {_show(who)}",  # pyright: ignore[reportUnknownArgumentType]
                f"{where}.approvers[{index}]",
            )
    return PolicyDecision(kind, reason, tuple(approvers))  # pyright: ignore[reportUnknownArgumentType]


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str | bool | int | float) else kind_of(value)
    return text if len(text) <= 40 else text[:37] + "..."
