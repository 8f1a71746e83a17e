"""Loading rules from TOML: the worked policy, sections, errors naming file, rule and field,
and reload that never replaces working rules with broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from mxp_agents.policy import (
    InvokeTool,
    ModelInference,
    PolicyContext,
    PolicyDecision,
    PolicyLoadError,
    PolicyRequest,
)
from mxp_agents.policy._rules import RuleLoadError, load_rules

POLICY = """\
[policy]
default = "deny"
default_reason = "not covered by the payments policy"

[[policy.rules]]
name = "blocked-countries"
decision = "deny"
reason = "payments to sanctioned countries are forbidden"
when.tool = "payments.*"
when.args."payee.country" = { in = ["KP", "IR", "SY"] }

[[policy.rules]]
name = "big-payments"
decision = "escalate"
reason = "payments over 100 need finance"
approvers = ["finance"]
when.tool = ["payments.charge", "payments.refund"]
when.args.amount = { gt = 100 }

[[policy.rules]]
name = "payments"
decision = "allow"
when.tool = "payments.*"
when.args.currency = { in = ["EUR", "USD"] }

[[policy.rules]]
name = "prod-models"
decision = "allow"
[policy.rules.when]
provider = "openai"
model = ["gpt-4o*"]
tags = ["prod"]
metadata.tier = { ge = 2 }
"""


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def pay(amount: object, currency: str = "EUR", country: str = "FR") -> PolicyRequest:
    args = {"amount": amount, "currency": currency, "payee": {"country": country}}
    return PolicyRequest("agent", InvokeTool("payments.charge", arguments=args))


def test_worked_policy(tmp_path: Path) -> None:
    engine = load_rules(write(tmp_path, POLICY))
    assert len(engine) == 4
    assert engine.cacheable
    assert engine.decide(pay(50)).is_allow
    assert engine.decide(pay(500)) == PolicyDecision.escalate(
        "payments over 100 need finance", ["finance"]
    )
    assert engine.judge(pay(500, country="KP")).rule == "blocked-countries"
    assert engine.decide(pay(50, currency="GBP")) == PolicyDecision.deny(
        "not covered by the payments policy"
    )
    model = PolicyRequest(
        "agent", ModelInference("openai", "gpt-4o"), PolicyContext({"tier": 3}, ("prod",))
    )
    assert engine.judge(model).rule == "prod-models"


def test_standalone_file_and_nested_section(tmp_path: Path) -> None:
    standalone = POLICY.replace("[policy]\n", "").replace("policy.rules", "rules")
    engine = load_rules(write(tmp_path, standalone), section=None)
    assert engine.judge(pay(500)).rule == "big-payments"
    nested = POLICY.replace("policy", "governance.policy")
    assert len(load_rules(write(tmp_path, nested, "agent.toml"), section="governance.policy")) == 4


def test_env_and_overrides_layer_on_top(tmp_path: Path) -> None:
    file = write(tmp_path, POLICY)
    engine = load_rules(file, env={"MXP_AGENTS_POLICY__DEFAULT": "allow"})
    assert engine.decide(pay(50, currency="GBP")).is_allow
    assert (
        load_rules(file, overrides={"default": None}).judge(pay(5, currency="GBP")).decision is None
    )
    with pytest.raises(RuleLoadError) as caught:
        load_rules(file, env={"MXP_AGENTS_POLICY__DEFAULT": "maybe"})
    assert "env MXP_AGENTS_POLICY__DEFAULT" in str(caught.value)
    assert caught.value.field == "policy.default"


RULE = '[[policy.rules]]\nname = "big-payments"\ndecision = "escalate"\nreason = "r"\n'
CASES = [
    # (file text, rule name, index, field, words in the reason)
    ("[policy]\ndefualt = 'deny'\n", None, None, "policy.defualt", "did you mean 'default'?"),
    ("[policy]\ndefault = 'maybe'\n", None, None, "policy.default", "invalid enum value 'maybe'"),
    ("[policy]\nrules = 'all'\n", None, None, "policy.rules", "expected array, got str"),
    (
        "[policy]\ndefault = 'escalate'\ndefault_approvers = ['']\n",
        None,
        None,
        "policy.default_approvers[0]",
        "must not be blank",
    ),
    (
        RULE + "when.tol = 'x'\n",
        "big-payments",
        0,
        "when",
        "unknown field 'tol'; did you mean 'tool'?",
    ),
    (
        RULE + "when.tool = 5\n",
        "big-payments",
        0,
        "when.tool",
        "expected str | array | null, got int",
    ),
    (RULE + "when.tool = 'pay[ments'\n", "big-payments", 0, "when.tool", "unclosed '[' in glob"),
    (
        RULE + "when.args.amount = { gt = '100' }\n",
        "big-payments",
        0,
        "when.args.amount.gt",
        "expected number, got str",
    ),
    (
        RULE + "when.args.amount = { above = 100 }\n",
        "big-payments",
        0,
        "when.args.amount",
        "unknown operator 'above'",
    ),
    (RULE + "when.args.amount = [1, 2]\n", "big-payments", 0, "when.args.amount", "{ in = [...] }"),
    (
        RULE + "when.time = { days = ['fri'], tz = 'Nowhere/City' }\n",
        "big-payments",
        0,
        "when.time.tz",
        "unknown time zone",
    ),
    (
        RULE + "when.action = 'deploy'\n",
        "big-payments",
        0,
        "when.action",
        "unknown action kind 'deploy'",
    ),
    (
        RULE + "colour = 'red'\n",
        "big-payments",
        0,
        "",
        "unknown field 'colour'; known fields here: name",
    ),
    (
        RULE + "[[policy.rules]]\nname = 'x'\ndecision = 'deny'\n",
        "x",
        1,
        "reason",
        "a deny needs a reason",
    ),
    (
        RULE + "[[policy.rules]]\nname = 'x'\ndecision = 'allow'\napprovers = ['a']\n",
        "x",
        1,
        "approvers",
        "only an escalation",
    ),
    (RULE + "[[policy.rules]]\ndecision = 'allow'\n", None, 1, "", "missing required field 'name'"),
    (RULE + RULE, "big-payments", 1, "name", "duplicate rule name"),
    (
        RULE + "decision2 = 1\n[[policy.rules]]\nname = 'y'\ndecision = 'never'\n",
        "big-payments",
        0,
        "",
        "unknown field 'decision2'",
    ),
    (
        RULE + "[[policy.rules]]\nname = 'y'\ndecision = 'never'\n",
        "y",
        1,
        "decision",
        "invalid enum value 'never'",
    ),
]


@pytest.mark.parametrize(("text", "rule", "index", "field", "words"), CASES)
def test_load_errors_name_file_rule_and_field(
    tmp_path: Path, text: str, rule: str | None, index: int | None, field: str, words: str
) -> None:
    file = write(tmp_path, text)
    with pytest.raises(RuleLoadError) as caught:
        load_rules(file)
    error = caught.value
    assert isinstance(error, PolicyLoadError)
    assert (error.file, error.rule, error.index, error.field or "") == (file, rule, index, field)
    assert words in error.reason
    message = str(error)
    assert message.startswith((file + ": ", file + ", line "))
    if index is not None:
        where = f"rules[{index}]" if rule is None else f"rule {rule!r} (rules[{index}])"
        assert f": {where}: " in message
    if field:
        assert f": {field}: " in message


def test_the_brief_example_reads_as_promised(tmp_path: Path) -> None:
    text = (
        POLICY
        + '\n[[policy.rules]]\nname = "typo"\ndecision = "escalate"\nreason = "r"\n'
        + 'when.args.amount = { gt = "lots" }\n'
    )
    file = write(tmp_path, text)
    with pytest.raises(RuleLoadError) as caught:
        load_rules(file)
    assert (
        str(caught.value)
        == f"{file}: rule 'typo' (rules[4]): when.args.amount.gt: expected number, got str"
    )


def test_file_problems(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.toml")
    with pytest.raises(RuleLoadError, match="config file not found") as caught:
        load_rules(missing)
    assert caught.value.file == missing
    broken = write(tmp_path, "[policy]\ndefault = \n")
    with pytest.raises(RuleLoadError, match=r"line 2: invalid TOML") as caught:
        load_rules(broken)
    assert caught.value.line == 2


async def test_reload_keeps_working_rules_when_the_file_breaks(tmp_path: Path) -> None:
    file = write(tmp_path, POLICY)
    engine = load_rules(file)
    assert engine.decide(pay(500)).is_escalate
    await trio.Path(file).write_text(POLICY.replace("gt = 100", "gt = 'x'"))
    with pytest.raises(
        RuleLoadError, match=r"rule 'big-payments' \(rules\[1\]\): when.args.amount.gt"
    ):
        await engine.reload()
    assert engine.generation == 0
    assert engine.decide(pay(500)).is_escalate
    await trio.Path(file).write_text("not toml [")
    with pytest.raises(RuleLoadError, match="invalid TOML"):
        await engine.reload()
    assert engine.decide(pay(500)).is_escalate
    await trio.Path(file).write_text(POLICY.replace("gt = 100", "gt = 1000"))
    await engine.reload()
    assert engine.generation == 1
    assert engine.decide(pay(500)).is_allow
