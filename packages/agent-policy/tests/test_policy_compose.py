"""Combining engines (deny overrides, first applicable) and caching pure decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from mxp_agents.policy import (
    FAIL_CLOSED,
    DecisionKind,
    InvokeTool,
    PolicyDecision,
    PolicyError,
    PolicyRequest,
    consult,
)
from mxp_agents.policy._compose import CachedEngine, CombinedEngine, CombineMode, combine
from mxp_agents.policy._rules import NOT_APPLICABLE, Rule, RulesEngine, Verdict, When, load_rules

ALLOW = PolicyDecision.allow()
DENY = PolicyDecision.deny("no")
ESCALATE = PolicyDecision.escalate("ask", ["ops"])


def request(name: str = "pay", **args: object) -> PolicyRequest:
    return PolicyRequest("agent", InvokeTool(name, arguments=dict(args)))


def fixed(decision: PolicyDecision | None, name: str) -> RulesEngine:
    """An engine answering ``decision`` to everything (None: not applicable)."""
    if decision is None:
        return RulesEngine(default=None)
    rule = Rule(
        name=name,
        decision=decision.kind.value,  # type: ignore[arg-type]
        reason=decision.reason,
        approvers=list(decision.approvers),
    )
    return RulesEngine([rule], default=None)


class Foreign:
    """An engine with only `evaluate` (like a third-party one), counting its calls."""

    def __init__(self, decision: PolicyDecision, *, cacheable: bool = False) -> None:
        self.decision, self.cacheable, self.calls, self.generation = decision, cacheable, 0, 0
        self.bump_during_evaluate = False

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        self.calls += 1
        if self.bump_during_evaluate:
            self.generation += 1
        return self.decision


class Broken:
    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        raise RuntimeError("engine down")


ANSWERS = [ALLOW, DENY, ESCALATE, None]


@pytest.mark.parametrize("first", ANSWERS)
@pytest.mark.parametrize("second", ANSWERS)
@pytest.mark.parametrize("third", ANSWERS)
async def test_deny_overrides_and_first_applicable(
    first: PolicyDecision | None, second: PolicyDecision | None, third: PolicyDecision | None
) -> None:
    answers = [first, second, third]
    engines = [fixed(answer, f"e{i}") for i, answer in enumerate(answers)]
    present = [(i, a) for i, a in enumerate(answers) if a is not None]

    overrides = combine(engines, mode="deny_overrides")
    verdict = overrides.judge(request())
    assert await overrides.verdict(request()) == verdict
    expected = None
    for kind in (DecisionKind.DENY, DecisionKind.ESCALATE, DecisionKind.ALLOW):
        expected = next(((i, a) for i, a in present if a.kind is kind), None)
        if expected is not None:
            break
    if expected is None:
        assert not verdict.applicable
        decision = await overrides.evaluate(request())
        assert decision.is_deny
        assert NOT_APPLICABLE in (decision.reason or "")
    else:
        assert (verdict.rule, verdict.decision) == (f"e{expected[0]}", expected[1])
        assert overrides.decide(request()) == expected[1]

    first_app = combine(engines, mode="first_applicable")
    verdict = first_app.judge(request())
    if present:
        assert (verdict.rule, verdict.decision) == (f"e{present[0][0]}", present[0][1])
        assert await first_app.evaluate(request()) == present[0][1]
    else:
        assert not verdict.applicable


async def test_deny_overrides_stops_at_the_first_deny() -> None:
    later = Foreign(ALLOW)
    engine = combine([fixed(ALLOW, "a"), fixed(DENY, "d"), later])
    assert (await engine.evaluate(request())) == DENY
    assert later.calls == 0
    first = combine(
        [fixed(None, "x"), fixed(ESCALATE, "e"), later], mode=CombineMode.FIRST_APPLICABLE
    )
    assert (await first.evaluate(request())).is_escalate
    assert later.calls == 0


async def test_foreign_engines_are_applicable_and_async_only() -> None:
    foreign = Foreign(ESCALATE)
    engine = combine([fixed(None, "n"), foreign], mode="first_applicable")
    assert not engine.is_sync
    verdict = await engine.verdict(request())
    assert verdict == Verdict(ESCALATE, cacheable=False, rule=None)
    with pytest.raises(PolicyError, match="no sync judge"):
        engine.decide(request())
    pure = await combine([Foreign(ALLOW, cacheable=True)]).verdict(request())
    assert pure.cacheable


async def test_nested_compositions_and_cacheability() -> None:
    clocked = RulesEngine(
        [
            Rule(
                name="clock",
                decision="deny",
                reason="late",
                when=When(tool="never", time={"days": ["mon"]}),  # type: ignore[arg-type]
            )
        ],  # type: ignore[arg-type]
        default="allow",
    )
    inner = combine([fixed(None, "n"), clocked], mode="first_applicable")
    outer = combine([inner, fixed(ALLOW, "a")])
    verdict = outer.judge(request())
    assert verdict.decision == ALLOW
    assert verdict.cacheable  # the clock rule cannot apply to `pay`: its clock is not read
    clocked_verdict = outer.judge(request("never"))
    assert clocked_verdict.decision is not None
    assert not clocked_verdict.cacheable  # the clock rule was checked


async def test_errors_propagate_so_consult_fails_closed() -> None:
    engine = combine([fixed(ALLOW, "a"), Broken()])
    with pytest.raises(RuntimeError, match="engine down"):
        await engine.evaluate(request())
    decision = await consult(engine, request())
    assert decision.is_deny
    assert FAIL_CLOSED in (decision.reason or "")
    # a deny before the broken engine still decides (it is never asked)
    assert (await combine([fixed(DENY, "d"), Broken()]).evaluate(request())) == DENY


def test_bad_combinations() -> None:
    with pytest.raises(PolicyError, match="at least one engine"):
        combine([])
    with pytest.raises(PolicyError, match="unknown combining mode 'majority'"):
        combine([RulesEngine()], mode="majority")
    with pytest.raises(PolicyError, match=r"engines\[1\] is not a policy engine"):
        CombinedEngine([RulesEngine(), object()])  # type: ignore[list-item]


# ---------------------------------------------------------------- cache


def payments() -> RulesEngine:
    return RulesEngine(
        [
            Rule(
                name="big",
                decision="escalate",
                reason="big",
                when=When(tool="pay", args={"amount": {"gt": 100}}),
            ),
            Rule(name="pay", decision="allow", when=When(tool="pay")),
        ]
    )


def test_cache_hits_misses_and_invalidate() -> None:
    cached = CachedEngine(payments(), maxsize=8)
    assert cached.decide(request(amount=5)).is_allow
    assert cached.decide(request(amount=5)).is_allow
    assert cached.decide(request(amount=500)).is_escalate
    stats = cached.stats
    assert (stats.hits, stats.misses, stats.size) == (1, 2, 2)
    # argument order does not matter: the key is canonical
    twin = PolicyRequest("agent", InvokeTool("pay", arguments={"b": 1, "amount": 5}))
    same = PolicyRequest("agent", InvokeTool("pay", arguments={"amount": 5, "b": 1}))
    cached.decide(twin)
    cached.decide(same)
    assert cached.stats.hits == 2
    cached.invalidate()
    assert cached.stats.size == 0
    assert cached.stats.invalidations == 1
    cached.decide(request(amount=5))
    assert cached.stats.misses == 4


def test_cache_is_a_bounded_lru() -> None:
    cached = CachedEngine(payments(), maxsize=2)
    cached.decide(request(amount=1))
    cached.decide(request(amount=2))
    cached.decide(request(amount=1))  # 1 is now the most recent
    cached.decide(request(amount=3))  # evicts 2
    assert cached.stats.size == 2
    hits = cached.stats.hits
    cached.decide(request(amount=1))
    assert cached.stats.hits == hits + 1
    cached.decide(request(amount=2))
    assert cached.stats.hits == hits + 1  # 2 was evicted


def test_cache_follows_replace_and_skips_impure_answers() -> None:
    engine = payments()
    cached = CachedEngine(engine)
    assert cached.decide(request(amount=500)).is_escalate
    engine.replace(engine.policy.__class__(default="deny", default_reason="closed"))
    assert cached.decide(request(amount=500)) == PolicyDecision.deny("closed")
    assert cached.stats.invalidations == 1
    clocked = RulesEngine(
        [
            Rule(
                name="t",
                decision="allow",
                when=When(time={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}),  # type: ignore[arg-type]
            )
        ]
    )  # type: ignore[arg-type]
    impure = CachedEngine(clocked)
    impure.decide(request())
    impure.decide(request())
    assert (impure.stats.hits, impure.stats.uncacheable, impure.stats.size) == (0, 2, 0)


def test_unencodable_requests_are_answered_uncached() -> None:
    cached = CachedEngine(RulesEngine(default="allow"))
    odd = request(blob=object())
    assert cached.decide(odd).is_allow
    assert (cached.stats.uncacheable, cached.stats.size) == (1, 0)


async def test_cache_of_an_async_engine() -> None:
    foreign = Foreign(ALLOW, cacheable=True)
    cached = CachedEngine(foreign)
    assert not cached.is_sync
    for _ in range(3):
        assert (await cached.evaluate(request())).is_allow
    assert foreign.calls == 1
    assert cached.stats.hits == 2
    impure = Foreign(ALLOW)
    cached_impure = CachedEngine(impure)
    await cached_impure.evaluate(request())
    await cached_impure.evaluate(request())
    assert impure.calls == 2
    with pytest.raises(PolicyError, match="no sync judge"):
        cached_impure.decide(request())


async def test_an_answer_computed_across_a_reload_is_not_stored() -> None:
    foreign = Foreign(ALLOW, cacheable=True)
    foreign.bump_during_evaluate = True
    cached = CachedEngine(foreign)
    await cached.evaluate(request())
    assert cached.stats.size == 0
    assert cached.stats.uncacheable == 1


async def test_cache_over_a_composition_notices_a_reloaded_file(tmp_path: Path) -> None:
    file = tmp_path / "policy.toml"
    await trio.Path(file).write_text('[policy]\ndefault = "allow"\n')
    rules = load_rules(file)
    cached = CachedEngine(combine([rules, fixed(ALLOW, "a")]))
    assert cached.decide(request()).is_allow
    assert cached.decide(request()).is_allow
    assert cached.stats.hits == 1
    await trio.Path(file).write_text('[policy]\ndefault = "deny"\ndefault_reason = "frozen"\n')
    await rules.reload()
    assert cached.generation == 1
    assert cached.decide(request()) == PolicyDecision.deny("frozen")
    assert cached.stats.invalidations == 1


def test_bad_cache_options() -> None:
    with pytest.raises(PolicyError, match="maxsize must be an int >= 1"):
        CachedEngine(RulesEngine(), maxsize=0)
    with pytest.raises(PolicyError, match="not a policy engine"):
        CachedEngine(object())  # type: ignore[arg-type]
