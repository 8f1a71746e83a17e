"""`RulesEngine`: ordered rules, first match wins, a default; sync `decide` and `judge`
beside the async `evaluate` and `verdict`; `reload` from its file, validating first."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

import msgspec
import trio

from mxp_agents.policy._errors import InvalidPolicy, PolicyError
from mxp_agents.policy._rules._compile import Compiled, RuleProblem, compile_policy
from mxp_agents.policy._rules._spec import Rule, RulesPolicy
from mxp_agents.policy._rules._verdict import Verdict, not_applicable_decision
from mxp_agents.primitives import validation_error_parts

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mxp_agents.policy._decision import PolicyDecision
    from mxp_agents.policy._request import PolicyRequest

__all__ = ["RulesEngine", "RulesSource"]


class RulesSource(Protocol):
    """Where a loaded engine reads its policy again (`load_rules` makes one per file)."""

    def read(self) -> RulesPolicy:
        """The policy as it is now (raises `RuleLoadError` when it cannot be read)."""
        ...

    def error(self, problem: RuleProblem) -> Exception:
        """``problem`` (a rule that does not compile) as an error naming the source."""
        ...


def _validated(policy: RulesPolicy) -> RulesPolicy:
    failure: tuple[str, str] | None = None
    try:
        return msgspec.convert(msgspec.to_builtins(policy), RulesPolicy)
    except msgspec.ValidationError as error:
        failure = validation_error_parts(error)
    except (TypeError, msgspec.EncodeError) as error:
        failure = (f"a rule holds a value that is not plain data: {error}", "$")
    raise InvalidPolicy(*failure)


class RulesEngine:
    """Ordered rules, the first whose matchers all hold decides; ``default`` when none does
    (``None``: not applicable). Rules compile once; a decision walks only the rules that can
    apply to the request's action kind.

    ``judge`` / ``verdict`` give a `Verdict` (decision or not applicable, cacheable, rule);
    ``decide`` / ``evaluate`` give the `PolicyDecision` (a not-applicable answer is a deny).
    ``clock`` (Unix seconds) feeds ``when.time`` windows. ``generation`` grows on each
    successful `reload` or `replace` (caches use it to invalidate).

    Raises:
        InvalidPolicy: a rule breaks the shape (``rule 'x': a deny needs a reason - at
            $.rules[2].reason``).

    Example:
        >>> engine = RulesEngine(
        ...     [Rule(name="reads", decision="allow", when=When(tool="*.get"))], default="deny"
        ... )
        >>> engine.decide(PolicyRequest("agent-1", InvokeTool("crm.get"))).is_allow
        True
        >>> engine.judge(PolicyRequest("agent-1", InvokeTool("crm.delete"))).rule is None
        True
    """

    def __init__(
        self,
        rules: Sequence[Rule] | RulesPolicy = (),
        *,
        default: str | None = "deny",
        default_reason: str | None = None,
        default_approvers: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
        source: RulesSource | None = None,
    ) -> None:
        if isinstance(rules, RulesPolicy):
            policy = rules
        else:
            policy = RulesPolicy(
                default=default,  # type: ignore[arg-type]
                default_reason=default_reason,
                default_approvers=list(default_approvers),
                rules=list(rules),
            )
        self._clock = clock
        self._source = source
        self._policy = _validated(policy)
        try:
            self._compiled = compile_policy(self._policy, clock)
        except RuleProblem as problem:
            raise (problem.invalid() if source is None else source.error(problem)) from None
        self._generation = 0

    @property
    def policy(self) -> RulesPolicy:
        """The policy in force.

        Example:
            >>> RulesEngine(default="allow").policy.default
            'allow'
        """
        return self._policy

    @property
    def generation(self) -> int:
        """How many times the rules were replaced (0 for the first ones).

        Example:
            >>> RulesEngine().generation
            0
        """
        return self._generation

    @property
    def cacheable(self) -> bool:
        """Whether every answer is pure (no rule reads the clock or opts out of caching).

        Example:
            >>> RulesEngine().cacheable
            True
        """
        return self._compiled.cacheable

    def __len__(self) -> int:
        return self._compiled.size

    def judge(self, request: PolicyRequest) -> Verdict:
        """The `Verdict` for ``request``: the first matching rule's, else the default's.

        Example:
            >>> RulesEngine(default=None).judge(PolicyRequest("a", InvokeTool("x"))).applicable
            False
        """
        table = self._compiled.kinds[request.action.__class__]
        key = table.key(request.action)
        found = table.memo.get(key)
        rules, default = found if found is not None else table.resolve(key)
        for checks, verdict in rules:
            for check in checks:
                if not check(request):
                    break
            else:
                return verdict
        return default

    def decide(self, request: PolicyRequest) -> PolicyDecision:
        """The decision for ``request``; a deny when no rule matches and there is no default.

        Example:
            >>> RulesEngine(default="allow").decide(PolicyRequest("a", InvokeTool("x"))).is_allow
            True
        """
        decision = self.judge(request).decision
        return decision if decision is not None else not_applicable_decision(request)

    async def verdict(self, request: PolicyRequest) -> Verdict:
        """`judge`, for compositions and caches.

        Example:
            >>> (await engine.verdict(request)).rule  # doctest: +SKIP
            'big-payments'
        """
        return self.judge(request)

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        """`decide`, as the `PolicyEngine` protocol asks.

        Example:
            >>> (await engine.evaluate(request)).kind  # doctest: +SKIP
            <DecisionKind.ESCALATE: 'escalate'>
        """
        return self.decide(request)

    def replace(self, policy: RulesPolicy) -> None:
        """Put ``policy`` in force if it compiles; otherwise raise and keep the current one.

        Example:
            >>> engine = RulesEngine()
            >>> engine.replace(RulesPolicy(default="allow"))
            >>> engine.generation
            1
        """
        validated = _validated(policy)
        try:
            compiled = compile_policy(validated, self._clock)
        except RuleProblem as problem:
            raise problem.invalid() from None
        self._policy, self._compiled = validated, compiled
        self._generation += 1

    async def reload(self) -> None:
        """Read the rules again from where they came from (`load_rules`), in a worker thread;
        a policy that fails to load raises and leaves the current rules in force.

        Raises:
            RuleLoadError: the file is missing, or a rule in it is wrong.
            PolicyError: this engine was built in Python, with no file to reload from.

        Example:
            >>> await engine.reload()  # doctest: +SKIP
        """
        source = self._source
        if source is None:
            raise PolicyError("this RulesEngine was not loaded from a file; use replace()")
        clock = self._clock

        def load() -> tuple[RulesPolicy, Compiled]:
            policy = source.read()
            try:
                return policy, compile_policy(policy, clock)
            except RuleProblem as problem:
                raise source.error(problem) from None

        self._policy, self._compiled = await trio.to_thread.run_sync(load)
        self._generation += 1
