"""Compiling a `RulesPolicy` once into per-action-kind tables of rules, each rule a tuple of
checks, with its precomputed `Verdict`."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from mxp_agents.policy._decision import DecisionKind, PolicyDecision
from mxp_agents.policy._errors import InvalidPolicy
from mxp_agents.policy._request import (
    EmitEvent,
    InvokeTool,
    MemoryWrite,
    ModelInference,
    OutboundMessage,
)
from mxp_agents.policy._rules._match import (
    MISSING,
    Problem,
    compile_condition,
    compile_globs,
    compile_time,
    getter,
)
from mxp_agents.policy._rules._verdict import Verdict

if TYPE_CHECKING:
    from mxp_agents.policy._request import PolicyRequest
    from mxp_agents.policy._rules._spec import Rule, RulesPolicy, When

__all__ = ["KINDS", "Compiled", "RuleProblem", "compile_policy"]

KINDS: Final[dict[str, type]] = {
    "invoke_tool": InvokeTool,
    "model_inference": ModelInference,
    "memory_write": MemoryWrite,
    "outbound_message": OutboundMessage,
    "emit_event": EmitEvent,
}

# matcher field -> (action kind it implies, attribute of the action it reads)
_SUBJECTS: Final = {
    "tool": ("invoke_tool", "name"),
    "provider": ("model_inference", "provider"),
    "model": ("model_inference", "model"),
    "channel": ("memory_write", "channel"),
    "message_type": ("outbound_message", "type"),
    "target": ("outbound_message", "target"),
    "event": ("emit_event", "event_type"),
}

Check = Callable[["PolicyRequest"], bool]
Subject = tuple[tuple[int, Callable[[str], bool]], ...]
Row = tuple[Subject, tuple[Check, ...], str, PolicyDecision, bool]
Resolved = tuple[tuple[tuple[tuple[Check, ...], Verdict], ...], Verdict]
_MEMO: Final = 4096
_ATTRIBUTES: Final = {
    "invoke_tool": ("name",),
    "model_inference": ("provider", "model"),
    "memory_write": ("channel",),
    "outbound_message": ("type", "target"),
    "emit_event": ("event_type",),
}
_METADATA: Final = operator.attrgetter("context.metadata")
_ARGUMENTS: Final = operator.attrgetter("action.arguments")


class RuleProblem(Exception):
    """A mistake in rule ``index`` (named ``name`` when it has one) at ``field``."""

    def __init__(self, index: int | None, name: str | None, field: str, reason: str) -> None:
        super().__init__(reason)
        self.index, self.name, self.field, self.reason = index, name, field, reason

    def invalid(self) -> InvalidPolicy:
        """The problem as an `InvalidPolicy` with a ``$.rules[i].field`` path."""
        where = "$" if self.index is None else f"$.rules[{self.index}]"
        path = f"{where}.{self.field}" if self.field else where
        prefix = f"rule {self.name!r}: " if self.name else ""
        return InvalidPolicy(prefix + self.reason, path)


class KindTable:
    """The rules that can apply to one action kind. ``key`` reads the action's subject
    (tool name; provider and model; ...); `resolve` gives, per subject, the rules whose
    subject globs hold (remembered: globs run once per subject) with their other checks and
    verdicts, and the default verdict."""

    __slots__ = ("default", "key", "memo", "rows", "single")

    def __init__(
        self, attributes: tuple[str, ...], rows: list[Row], default: PolicyDecision | None
    ) -> None:
        self.key: Callable[[Any], Any] = operator.attrgetter(*attributes)
        self.single = len(attributes) == 1
        self.rows = rows
        self.default = default
        self.memo: dict[Any, Resolved] = {}

    def resolve(self, key: Any) -> Resolved:
        """The candidate rules and the default verdict for subject ``key``."""
        parts = (key,) if self.single else key
        pure_so_far = True
        built: list[tuple[tuple[Check, ...], Verdict]] = []
        for subject, checks, name, decision, pure in self.rows:
            if all(match(parts[index]) for index, match in subject):
                pure_so_far = pure_so_far and pure
                built.append((checks, Verdict(decision, pure_so_far, name)))
        resolved = (tuple(built), Verdict(self.default, pure_so_far, None))
        if len(self.memo) >= _MEMO:
            self.memo.clear()
        self.memo[key] = resolved
        return resolved


class Compiled:
    """A compiled policy: a `KindTable` per action type, ``cacheable`` (every answer is
    pure) and ``size`` (number of rules)."""

    __slots__ = ("cacheable", "kinds", "size")

    def __init__(self, kinds: dict[type, KindTable], size: int, pure: bool) -> None:
        self.kinds, self.size, self.cacheable = kinds, size, pure


def _decision(kind: str | None, reason: str | None, approvers: list[str]) -> PolicyDecision:
    if kind != "escalate" and approvers:
        raise Problem("approvers", f"only an escalation names approvers, not a {kind}")
    if kind in ("deny", "escalate") and (reason is None or not reason.strip()):
        raise Problem(
            "reason", "a deny needs a reason" if kind == "deny" else "an escalation needs a reason"
        )
    for index, who in enumerate(approvers):
        if not who.strip():
            raise Problem(f"approvers[{index}]", "an approver must not be blank")
    return PolicyDecision(DecisionKind(kind), reason, tuple(approvers))


def _kinds(when: When) -> frozenset[str]:
    kinds = frozenset(KINDS)
    if when.action is not None:
        names = [when.action] if isinstance(when.action, str) else when.action
        if not names:
            raise Problem("when.action", "expected at least one action kind, got an empty list")
        for index, name in enumerate(names):
            if name not in KINDS:
                field = "when.action" if isinstance(when.action, str) else f"when.action[{index}]"
                raise Problem(field, f"unknown action kind {name!r} (use {', '.join(KINDS)})")
        kinds = frozenset(names)
    for field, (kind, _) in _SUBJECTS.items():
        if getattr(when, field) is not None:
            if kind not in kinds:
                raise Problem(
                    f"when.{field}", f"matches {kind} actions only, excluded by {_why(when, field)}"
                )
            kinds = frozenset({kind})
    if when.args is not None and "invoke_tool" not in kinds:
        raise Problem(
            "when.args", f"matches invoke_tool actions only, excluded by {_why(when, 'args')}"
        )
    return frozenset({"invoke_tool"}) if when.args is not None else kinds


def _why(when: When, field: str) -> str:
    for other in ("action", *_SUBJECTS):
        if other != field and getattr(when, other) is not None:
            return f"when.{other}"
    return "another matcher"


def _entries(
    table: dict[str, Any], field: str, read: Callable[[PolicyRequest], Any]
) -> list[Check]:
    checks: list[Check] = []
    for key, value in table.items():
        get = getter(key, field)
        predicate = compile_condition(value, f"{field}.{key}")
        if "." in key:
            checks.append(lambda request, g=get, p=predicate: p(g(read(request))))
        else:  # the common case, one call less
            checks.append(lambda request, k=key, p=predicate: p(read(request).get(k, MISSING)))
    return checks


def _subject(when: When) -> dict[str, Callable[[str], bool]]:
    """Glob tests by the action attribute they read."""
    tests: dict[str, Callable[[str], bool]] = {}
    for field, (_, attribute) in _SUBJECTS.items():
        patterns = getattr(when, field)
        if patterns is not None:
            tests[attribute] = compile_globs(patterns, f"when.{field}")
    return tests


def _checks(when: When, clock: Callable[[], float]) -> tuple[list[Check], bool]:
    checks: list[Check] = []
    if when.agent is not None:
        match = compile_globs(when.agent, "when.agent")
        checks.append(lambda request: match(request.agent_id))
    if when.tags is not None:
        for index, tag in enumerate(when.tags):
            if not tag.strip():
                raise Problem(f"when.tags[{index}]", "a tag must not be blank")
        needed = frozenset(when.tags)
        checks.append(lambda request: needed.issubset(request.context.tags))
    if when.metadata is not None:
        checks += _entries(when.metadata, "when.metadata", _METADATA)
    if when.args is not None:
        checks += _entries(when.args, "when.args", _ARGUMENTS)
    if when.time is not None:
        within = compile_time(when.time, "when.time")
        checks.append(lambda _request: within(clock()))
    return checks, when.time is None


def compile_policy(policy: RulesPolicy, clock: Callable[[], float]) -> Compiled:
    """Compile ``policy``; ``clock`` gives Unix seconds to time windows.

    Raises:
        RuleProblem: a rule (or the default) that breaks a rule of the shape.

    Example:
        >>> compile_policy(RulesPolicy(), time.time).size
        0
    """
    rows: dict[str, list[Row]] = {kind: [] for kind in KINDS}
    pure_all = True
    names: dict[str, int] = {}
    for index, rule in enumerate(policy.rules):
        name = rule.name if rule.name.strip() else None
        try:
            compiled = _rule(rule, names, clock)
        except Problem as problem:
            raise RuleProblem(index, name, problem.field, problem.reason) from None
        names[rule.name] = index
        kinds, subject, checks, decision, pure = compiled
        pure_all = pure_all and pure
        for kind in kinds:
            attributes = _ATTRIBUTES[kind]
            tests = tuple((attributes.index(a), match) for a, match in subject.items())
            rows[kind].append((tests, checks, rule.name, decision, pure))
    try:
        default = None
        if policy.default is not None:
            reason = policy.default_reason
            if reason is None and policy.default != "allow":
                reason = f"no rule matched (default {policy.default})"
            default = _decision(policy.default, reason, policy.default_approvers)
    except Problem as problem:
        raise RuleProblem(None, None, f"default_{problem.field}", problem.reason) from None
    tables = {KINDS[kind]: KindTable(_ATTRIBUTES[kind], rows[kind], default) for kind in KINDS}
    return Compiled(tables, len(policy.rules), pure_all)


def _rule(
    rule: Rule, names: dict[str, int], clock: Callable[[], float]
) -> tuple[
    frozenset[str], dict[str, Callable[[str], bool]], tuple[Check, ...], PolicyDecision, bool
]:
    if not rule.name.strip():
        raise Problem("name", "a rule name must not be blank")
    if rule.name in names:
        raise Problem("name", f"duplicate rule name (rules[{names[rule.name]}] has it too)")
    decision = _decision(rule.decision, rule.reason, rule.approvers)
    kinds = _kinds(rule.when)
    subject = _subject(rule.when)
    checks, timeless = _checks(rule.when, clock)
    return kinds, subject, tuple(checks), decision, timeless and rule.cacheable
