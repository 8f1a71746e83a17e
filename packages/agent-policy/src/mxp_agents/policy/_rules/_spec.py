"""The typed shape of a rules policy, as written in TOML or built in Python.

A policy is a `RulesPolicy`: a ``default`` decision and ordered ``rules``. Each `Rule` names
its decision and a `When` whose matchers must all hold; argument and metadata values take a
plain value (equality) or a `Condition` table of operators. Values are checked when the
policy is compiled (`RulesEngine`), so errors can name the rule and the field.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = ["OPERATORS", "Condition", "Rule", "RulesPolicy", "TimeWindow", "When"]

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "glob", "exists")
"""The operators a `Condition` table may use."""

Decision = Literal["allow", "deny", "escalate"]
Globs = str | list[str]


class Condition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Operators on one value; all that are set must hold. A missing value matches only
    ``exists = false``. ``gt``/``ge``/``lt``/``le`` take numbers; ``eq``/``ne`` a str,
    number or bool (``true`` never equals ``1``); ``in`` a non-empty list of those; ``glob``
    one or more fnmatch patterns (case-sensitive) for str values.

    Example:
        >>> Condition(gt=100, le=10_000).le
        10000
        >>> Condition(in_=["EUR", "USD"]).in_
        ['EUR', 'USD']
    """

    eq: Any = msgspec.UNSET
    ne: Any = msgspec.UNSET
    gt: Any = msgspec.UNSET
    ge: Any = msgspec.UNSET
    lt: Any = msgspec.UNSET
    le: Any = msgspec.UNSET
    in_: Any = msgspec.field(default=msgspec.UNSET, name="in")
    glob: Any = msgspec.UNSET
    exists: Any = msgspec.UNSET


class TimeWindow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """When a rule holds by the clock: ``days`` (``"mon"`` .. ``"sun"``) and/or ``between``
    two ``"HH:MM"`` times (start included, end excluded; a start after the end spans
    midnight), in the IANA time zone ``tz``. Rules reading the clock are never cached.

    Example:
        >>> TimeWindow(days=["fri"], between=["12:00", "23:59"]).tz
        'UTC'
    """

    days: list[str] | None = None
    between: list[str] | None = None
    tz: str = "UTC"


class When(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a rule matches; every matcher that is set must hold (none set: everything).

    ``action``: action kinds (``invoke_tool``, ``model_inference``, ``memory_write``,
    ``outbound_message``, ``emit_event``). Globs (one pattern or a list, any may match):
    ``tool`` (tool name), ``provider`` and ``model``, ``channel`` (memory writes),
    ``message_type`` and ``target`` (outbound messages), ``event`` (emitted events),
    ``agent`` (the agent id). A subject matcher implies its action kind. ``tags``: the
    request context must carry all of them. ``metadata`` / ``args``: context metadata and
    tool-call arguments by key (dots reach into nested tables), each a value (equality) or a
    `Condition` table. ``time``: a `TimeWindow`.

    Example:
        >>> When(tool=["payments.*"], args={"amount": {"gt": 100}}).tool
        ['payments.*']
    """

    action: Globs | None = None
    tool: Globs | None = None
    provider: Globs | None = None
    model: Globs | None = None
    channel: Globs | None = None
    message_type: Globs | None = None
    target: Globs | None = None
    event: Globs | None = None
    agent: Globs | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    args: dict[str, Any] | None = None
    time: TimeWindow | None = None


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One rule: when ``when`` holds, answer ``decision`` (a deny or an escalation needs a
    ``reason``; only an escalation names ``approvers``). ``cacheable = false`` keeps out
    of decision caches this rule's answers and every answer given after it was checked
    (after its subject globs held); a rule with a ``time`` matcher is never cacheable.

    Example:
        >>> rule = Rule(
        ...     name="big-payments",
        ...     decision="escalate",
        ...     reason="payments over 100 need finance",
        ...     approvers=["finance"],
        ...     when=When(tool="payments.*", args={"amount": Condition(gt=100)}),
        ... )
        >>> rule.name
        'big-payments'
    """

    name: str
    decision: Decision
    reason: str | None = None
    approvers: list[str] = msgspec.field(default_factory=list[str])
    when: When = msgspec.field(default_factory=When)
    cacheable: bool = True


class RulesPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A whole rules policy: ordered ``rules`` (the first that matches decides) and the
    ``default`` decision when none matches (``None``: not applicable, so a composition asks
    the next engine). ``default_reason`` and ``default_approvers`` complete a default deny
    or escalation (a reason is generated when omitted).

    Example:
        >>> policy = RulesPolicy(rules=[Rule(name="reads", decision="allow")])
        >>> policy.default, [rule.name for rule in policy.rules]
        ('deny', ['reads'])
    """

    default: Decision | None = "deny"
    default_reason: str | None = None
    default_approvers: list[str] = msgspec.field(default_factory=list[str])
    rules: list[Rule] = msgspec.field(default_factory=list[Rule])
