"""The rules engine: matchers, first match wins, defaults, not applicable, time, compile errors."""

from __future__ import annotations

import datetime as dt

import pytest

from mxp_agents.policy import (
    EmitEvent,
    InvalidPolicy,
    InvokeTool,
    MemoryWrite,
    ModelInference,
    OutboundMessage,
    PolicyContext,
    PolicyDecision,
    PolicyError,
    PolicyRequest,
)
from mxp_agents.policy._rules import (
    NOT_APPLICABLE,
    Condition,
    Rule,
    RulesEngine,
    RulesPolicy,
    TimeWindow,
    When,
)

AGENT = "agent-1"


def tool(
    name: str, tags: tuple[str, ...] = (), meta: dict[str, object] | None = None, **args: object
) -> PolicyRequest:
    return PolicyRequest(
        AGENT, InvokeTool(name, arguments=dict(args)), PolicyContext(meta or {}, tags)
    )


def payments() -> RulesEngine:
    return RulesEngine(
        [
            Rule(
                name="blocked-payees",
                decision="deny",
                reason="payee is blocked",
                when=When(tool="payments.*", args={"payee.country": Condition(in_=["KP", "IR"])}),
            ),
            Rule(
                name="big-payments",
                decision="escalate",
                reason="payments over 100 need finance",
                approvers=["finance"],
                when=When(tool=["payments.*"], args={"amount": Condition(gt=100)}),
            ),
            Rule(name="payments", decision="allow", when=When(tool="payments.*")),
            Rule(
                name="prod-models",
                decision="allow",
                when=When(provider="openai", model=["gpt-4o*", "o3"], tags=["prod"]),
            ),
            Rule(name="memory", decision="deny", reason="no secrets", when=When(channel="secret*")),
            Rule(name="outbound", decision="allow", when=When(message_type="call", target="crm.*")),
            Rule(
                name="events",
                decision="allow",
                when=When(event="deploy", metadata={"env": "staging"}),
            ),
        ],
        default="deny",
        default_reason="not in the policy",
    )


def test_first_match_wins_and_arguments_decide() -> None:
    engine = payments()
    assert engine.decide(tool("payments.charge", amount=50)).is_allow
    big = engine.judge(tool("payments.charge", amount=150))
    assert big.rule == "big-payments"
    assert big.decision == PolicyDecision.escalate("payments over 100 need finance", ["finance"])
    blocked = engine.decide(tool("payments.charge", amount=150, payee={"country": "KP"}))
    assert blocked == PolicyDecision.deny("payee is blocked")
    # a str amount is not a number: the comparison does not hold, the next rule decides
    assert engine.judge(tool("payments.charge", amount="150")).rule == "payments"
    assert engine.judge(tool("payments.charge", amount=True)).rule == "payments"
    assert engine.decide(tool("crm.delete")) == PolicyDecision.deny("not in the policy")


def test_every_action_kind_has_its_matchers() -> None:
    engine = payments()
    model = PolicyRequest(
        AGENT, ModelInference("openai", "gpt-4o-mini"), PolicyContext(tags=("prod", "eu"))
    )
    assert engine.judge(model).rule == "prod-models"
    untagged = PolicyRequest(AGENT, ModelInference("openai", "gpt-4o-mini"))
    assert engine.judge(untagged).rule is None
    assert (
        engine.judge(
            PolicyRequest(AGENT, ModelInference("openai", "gpt-3.5"), PolicyContext(tags=("prod",)))
        ).rule
        is None
    )
    assert engine.decide(PolicyRequest(AGENT, MemoryWrite("secrets"))).is_deny
    assert engine.judge(PolicyRequest(AGENT, MemoryWrite("secrets"))).rule == "memory"
    assert (
        engine.judge(PolicyRequest(AGENT, OutboundMessage("call", "crm.lookup"))).rule == "outbound"
    )
    assert engine.judge(PolicyRequest(AGENT, OutboundMessage("event", "crm.lookup"))).rule is None
    staging = PolicyRequest(AGENT, EmitEvent("deploy"), PolicyContext({"env": "staging"}))
    assert engine.judge(staging).rule == "events"
    prod = PolicyRequest(AGENT, EmitEvent("deploy"), PolicyContext({"env": "prod"}))
    assert engine.judge(prod).rule is None


def test_action_and_agent_matchers() -> None:
    engine = RulesEngine(
        [
            Rule(
                name="ops",
                decision="allow",
                when=When(agent="ops-*", action=["memory_write", "emit_event"]),
            ),
            Rule(name="anything", decision="deny", reason="catch-all"),
        ],
        default="allow",
    )
    ops_write = PolicyRequest("ops-7", MemoryWrite("tool"))
    assert engine.judge(ops_write).rule == "ops"
    assert engine.judge(PolicyRequest("ops-7", InvokeTool("x"))).rule == "anything"
    assert engine.judge(PolicyRequest("dev-1", EmitEvent("e"))).rule == "anything"


def test_metadata_conditions() -> None:
    engine = RulesEngine(
        [
            Rule(
                name="risky",
                decision="escalate",
                reason="risk",
                when=When(
                    metadata={"risk": {"ge": 3, "lt": 10}, "caller.team": {"glob": ["pay*", "fin"]}}
                ),
            ),
            Rule(
                name="unattended",
                decision="deny",
                reason="who?",
                when=When(metadata={"user": {"exists": False}}),
            ),
        ],
        default="allow",
    )

    def meta(**values: object) -> PolicyRequest:
        return PolicyRequest(AGENT, InvokeTool("t"), PolicyContext({"user": "u", **values}))

    assert engine.judge(meta(risk=3, caller={"team": "payments"})).rule == "risky"
    assert engine.judge(meta(risk=10, caller={"team": "payments"})).rule is None
    assert engine.judge(meta(risk=5, caller={"team": "ops"})).rule is None
    assert engine.judge(meta(risk=5, caller="payments")).rule is None
    assert engine.judge(PolicyRequest(AGENT, InvokeTool("t"))).rule == "unattended"


def test_not_applicable_default() -> None:
    engine = RulesEngine(
        [Rule(name="reads", decision="allow", when=When(tool="*.get"))], default=None
    )
    verdict = engine.judge(tool("crm.put"))
    assert not verdict.applicable
    assert verdict.rule is None
    decision = engine.decide(tool("crm.put"))
    assert decision.is_deny
    assert decision.reason is not None
    assert NOT_APPLICABLE in decision.reason
    assert "tool `crm.put`" in decision.reason


async def test_async_evaluate_matches_decide() -> None:
    engine = payments()
    for request in (tool("payments.x", amount=1), tool("payments.x", amount=1000), tool("nope")):
        assert await engine.evaluate(request) == engine.decide(request)
        assert await engine.verdict(request) == engine.judge(request)


def test_time_windows_use_the_clock_and_are_not_cacheable() -> None:
    now = [dt.datetime(2024, 6, 7, 15, 30, tzinfo=dt.UTC).timestamp()]  # a Friday
    engine = RulesEngine(
        [
            Rule(name="reads", decision="allow", when=When(tool="*.get")),
            Rule(
                name="friday-deploys",
                decision="deny",
                reason="no production deploys on Fridays",
                when=When(tool="deploy", time=TimeWindow(days=["fri"], between=["12:00", "23:59"])),
            ),
            Rule(
                name="night",
                decision="escalate",
                reason="night",
                when=When(time=TimeWindow(between=["22:00", "06:00"])),
            ),
            Rule(name="rest", decision="allow"),
        ],
        clock=lambda: now[0],
    )
    assert not engine.cacheable
    assert engine.judge(tool("crm.get")).cacheable  # decided before any clock rule
    friday = engine.judge(tool("deploy"))
    assert friday.rule == "friday-deploys"
    assert not friday.cacheable
    now[0] = dt.datetime(2024, 6, 7, 11, 59, tzinfo=dt.UTC).timestamp()
    assert engine.judge(tool("deploy")).rule == "rest"
    now[0] = dt.datetime(2024, 6, 8, 15, 0, tzinfo=dt.UTC).timestamp()  # Saturday
    assert engine.judge(tool("deploy")).rule == "rest"
    now[0] = dt.datetime(2024, 6, 8, 23, 0, tzinfo=dt.UTC).timestamp()
    assert engine.judge(tool("deploy")).rule == "night"
    now[0] = dt.datetime(2024, 6, 9, 5, 59, tzinfo=dt.UTC).timestamp()
    assert engine.judge(tool("deploy")).rule == "night"
    assert not engine.judge(tool("deploy")).cacheable
    # other action kinds see only the rules that can apply to them
    assert engine.judge(PolicyRequest(AGENT, MemoryWrite("m"))).rule == "night"


def test_time_zone() -> None:
    instant = dt.datetime(2024, 6, 7, 23, 30, tzinfo=dt.UTC).timestamp()  # Sat 08:30 in Tokyo
    engine = RulesEngine(
        [
            Rule(
                name="tokyo-weekend",
                decision="deny",
                reason="weekend",
                when=When(time=TimeWindow(days=["sat"], tz="Asia/Tokyo")),
            )
        ],
        default="allow",
        clock=lambda: instant,
    )
    assert engine.judge(tool("x")).rule == "tokyo-weekend"


def test_cacheable_opt_out_taints_answers_given_after_it_was_checked() -> None:
    engine = RulesEngine(
        [
            Rule(name="a", decision="allow", when=When(tool="a")),
            Rule(name="b", decision="allow", when=When(tool="b"), cacheable=False),
            Rule(name="c", decision="allow", when=When(tool="c")),
        ]
    )
    assert [engine.judge(tool(n)).cacheable for n in "abcd"] == [True, False, True, True]
    assert engine.judge(PolicyRequest(AGENT, MemoryWrite("m"))).cacheable


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        (Rule(name="d", decision="deny"), "$.rules[0].reason", "a deny needs a reason"),
        (
            Rule(name="e", decision="escalate", reason=" "),
            "$.rules[0].reason",
            "an escalation needs a reason",
        ),
        (
            Rule(name="a", decision="allow", approvers=["x"]),
            "$.rules[0].approvers",
            "only an escalation",
        ),
        (
            Rule(name="g", decision="allow", when=When(tool="pay[ments")),
            "$.rules[0].when.tool",
            "unclosed '['",
        ),
        (
            Rule(name="g", decision="allow", when=When(tool=["ok", "[z-a]"])),
            "$.rules[0].when.tool[1]",
            "empty range",
        ),
        (
            Rule(name="g", decision="allow", when=When(tool=[])),
            "$.rules[0].when.tool",
            "at least one glob",
        ),
        (
            Rule(name="o", decision="allow", when=When(args={"n": {"gte": 1}})),
            "$.rules[0].when.args.n",
            "unknown operator 'gte'",
        ),
        (
            Rule(name="o", decision="allow", when=When(args={"n": {"gt": "1"}})),
            "$.rules[0].when.args.n.gt",
            "expected number, got str",
        ),
        (
            Rule(name="o", decision="allow", when=When(args={"n": [1, 2]})),
            "$.rules[0].when.args.n",
            "{ in = [...] }",
        ),
        (
            Rule(name="o", decision="allow", when=When(args={"n": {}})),
            "$.rules[0].when.args.n",
            "an empty condition",
        ),
        (
            Rule(name="o", decision="allow", when=When(args={"n": {"in": []}})),
            "$.rules[0].when.args.n.in",
            "non-empty array",
        ),
        (
            Rule(name="o", decision="allow", when=When(args={"n": {"exists": False, "eq": 1}})),
            "$.rules[0].when.args.n.exists",
            "cannot be combined",
        ),
        (
            Rule(name="k", decision="allow", when=When(action="invoke")),
            "$.rules[0].when.action",
            "unknown action kind",
        ),
        (
            Rule(name="k", decision="allow", when=When(action="memory_write", tool="x")),
            "$.rules[0].when.tool",
            "excluded by when.action",
        ),
        (
            Rule(name="k", decision="allow", when=When(tool="x", model="m")),
            "$.rules[0].when.model",
            "excluded by when.tool",
        ),
        (
            Rule(name="k", decision="allow", when=When(provider="p", args={"a": 1})),
            "$.rules[0].when.args",
            "invoke_tool actions only",
        ),
        (
            Rule(name="t", decision="allow", when=When(time=TimeWindow(days=["friday"]))),
            "$.rules[0].when.time.days[0]",
            "expected one of",
        ),
        (
            Rule(name="t", decision="allow", when=When(time=TimeWindow(between=["9:00", "17:00"]))),
            "$.rules[0].when.time.between[0]",
            "HH:MM",
        ),
        (
            Rule(
                name="t", decision="allow", when=When(time=TimeWindow(days=["mon"], tz="Mars/Base"))
            ),
            "$.rules[0].when.time.tz",
            "unknown time zone",
        ),
        (
            Rule(name="t", decision="allow", when=When(time=TimeWindow())),
            "$.rules[0].when.time",
            "needs days",
        ),
        (Rule(name=" ", decision="allow"), "$.rules[0].name", "must not be blank"),
    ],
)
def test_bad_rules_are_refused_with_a_path(rule: Rule, path: str, words: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        RulesEngine([rule])
    assert caught.value.path == path
    assert words in caught.value.reason


def test_duplicate_names_and_wrong_types_are_refused() -> None:
    with pytest.raises(
        InvalidPolicy,
        match=r"duplicate rule name \(rules\[0\] has it too\) - at \$\.rules\[1\]\.name",
    ):
        RulesEngine([Rule(name="x", decision="allow"), Rule(name="x", decision="allow")])
    with pytest.raises(InvalidPolicy, match=r"expected str, got int - at \$\.rules\[0\]\.name"):
        RulesEngine([Rule(name=3, decision="allow")])  # type: ignore[arg-type]
    with pytest.raises(InvalidPolicy, match=r"\$\.default"):
        RulesEngine(default="maybe")
    with pytest.raises(InvalidPolicy, match="not plain data"):
        RulesEngine([Rule(name="x", decision="allow", when=When(args={"n": object()}))])


def test_replace_validates_first() -> None:
    engine = payments()
    before = engine.policy
    with pytest.raises(InvalidPolicy):
        engine.replace(RulesPolicy(rules=[Rule(name="x", decision="deny")]))
    assert engine.policy is before
    assert engine.generation == 0
    assert engine.decide(tool("payments.charge", amount=5)).is_allow
    engine.replace(RulesPolicy(default="allow"))
    assert engine.generation == 1
    assert len(engine) == 0
    assert engine.decide(tool("payments.charge", amount=500)).is_allow


async def test_reload_needs_a_file() -> None:
    with pytest.raises(PolicyError, match="not loaded from a file"):
        await RulesEngine().reload()


def test_subject_memo_stays_bounded_and_correct() -> None:
    engine = RulesEngine([Rule(name="even", decision="allow", when=When(tool="t*[02468]"))])
    for number in range(5000):
        expected = number % 2 == 0
        assert engine.decide(tool(f"t{number}")).is_allow == expected
    table = engine._compiled.kinds[InvokeTool]
    assert 0 < len(table.memo) <= 4096
