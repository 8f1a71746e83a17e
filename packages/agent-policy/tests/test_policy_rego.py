"""The Rego engine: a worked policy suite (allow, deny, escalate, data-driven, tool arguments,
tags and metadata), strict decision objects, bundles and input conversion."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

from mxp_agents.policy import (
    FAIL_CLOSED,
    DecisionKind,
    EmitEvent,
    InvalidPolicy,
    InvokeTool,
    MemoryWrite,
    ModelInference,
    PolicyContext,
    PolicyDecision,
    PolicyEngine,
    PolicyLoadError,
    PolicyRequest,
    consult,
)
from mxp_agents.policy._rego import RegoBundle, RegoEngine, RegoEvaluationError

AGENT = "0190c3a0-0000-7000-8000-000000000001"
PAYMENTS = Path(__file__).parent / "rego" / "payments"
HEAD = "package mxp\n\nimport rego.v1\n\n"


def request(action: Any, *, tags: tuple[str, ...] = (), **metadata: Any) -> PolicyRequest:
    return PolicyRequest(AGENT, action, PolicyContext(metadata, tags))


def engine_for(body: str, data: dict[str, Any] | None = None, **options: Any) -> RegoEngine:
    return RegoEngine(RegoBundle({"policy.rego": HEAD + body}, data or {}), **options)


@pytest.fixture(scope="module")
def payments() -> RegoEngine:
    return RegoEngine.from_bundle(PAYMENTS)


def test_is_a_policy_engine(payments: RegoEngine) -> None:
    assert isinstance(payments, PolicyEngine)
    assert payments.generation == 1
    assert payments.query == "data.mxp.decision"


def test_bundle_mounts_json_documents_by_folder(payments: RegoEngine) -> None:
    assert sorted(payments.bundle.modules) == ["policy.rego"]
    assert payments.bundle.data["limits"] == {"pay": 100}
    assert payments.bundle.data["teams"] == {"pay": {"approvers": ["finance", "cfo"]}}
    assert payments.bundle.root == PAYMENTS


async def test_small_payment_is_allowed(payments: RegoEngine) -> None:
    decision = await payments.evaluate(request(InvokeTool("pay", arguments={"amount": 100})))
    assert decision == PolicyDecision.allow()


async def test_large_payment_escalates_to_approvers_from_data(payments: RegoEngine) -> None:
    decision = await payments.evaluate(request(InvokeTool("pay", arguments={"amount": 100.5})))
    assert decision == PolicyDecision.escalate(
        "payments over 100 need approval", ["finance", "cfo"]
    )


async def test_tags_deny(payments: RegoEngine) -> None:
    decision = await payments.evaluate(
        request(InvokeTool("pay", arguments={"amount": 1}), tags=("prod", "frozen"))
    )
    assert decision == PolicyDecision.deny("the account is frozen")


async def test_read_only_tools_from_data_are_allowed(payments: RegoEngine) -> None:
    assert (await payments.evaluate(request(InvokeTool("read_file")))).is_allow
    assert (await payments.evaluate(request(InvokeTool("delete_file")))).is_deny


async def test_metadata_conditions(payments: RegoEngine) -> None:
    day = await payments.evaluate(request(ModelInference("ollama", "llama3"), run_kind="day"))
    night = await payments.evaluate(request(ModelInference("ollama", "llama3"), run_kind="nightly"))
    other = await payments.evaluate(request(ModelInference("acme", "x"), run_kind="day"))
    assert day.is_allow
    assert night == PolicyDecision.deny("no rule allows this action")
    assert other.is_deny


async def test_default_decision_for_other_actions(payments: RegoEngine) -> None:
    for action in (MemoryWrite("tool", ("pii",)), EmitEvent("deploy", {"env": "prod"})):
        assert (await payments.evaluate(request(action))).kind is DecisionKind.DENY


@settings(max_examples=60, deadline=None)
@given(amount=st.integers(-(10**12), 10**12) | st.floats(-1e9, 1e9, allow_nan=False))
def test_payment_threshold_matches_python(payments: RegoEngine, amount: float) -> None:
    decision = trio.run(payments.evaluate, request(InvokeTool("pay", arguments={"amount": amount})))
    assert decision.kind is (DecisionKind.ALLOW if amount <= 100 else DecisionKind.ESCALATE)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=20))
def test_any_string_reaches_the_policy_intact(text: str) -> None:
    engine = engine_for(
        'decision := {"allow": true} if input.action.arguments.s == data.expected\n'
        'default decision := {"deny": true, "reason": "different"}\n',
        {"expected": text},
    )
    decision = trio.run(engine.evaluate, request(InvokeTool("t", arguments={"s": text})))
    assert decision.is_allow, text


async def test_the_input_document_is_the_request_as_json() -> None:
    engine = engine_for(
        'decision := {"allow": true} if {\n'
        '  input.agent_id == "' + AGENT + '"\n'
        '  input.action.kind == "invoke_tool"\n'
        "  input.action.version == null\n"
        "  input.action.arguments.items[1].ok == true\n"
        '  input.context.metadata.run_id == "r1"\n'
        '  input.context.tags == ["a", "b"]\n'
        "}\n"
        'default decision := {"deny": true, "reason": "input differs"}\n'
    )
    action = InvokeTool("t", arguments={"items": [1, {"ok": True}]})
    assert (await engine.evaluate(request(action, tags=("a", "b"), run_id="r1"))).is_allow


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"allow": true, "deny": true, "reason": "x"}', "two verdicts at once (allow, deny)"),
        ('{"deny": true}', "a deny needs a non-blank reason - at data.mxp.decision.reason"),
        ('{"escalate": true, "reason": "  "}', "an escalation needs a non-blank reason"),
        ('{"reason": "why"}', "no verdict"),
        ('{"allow": false}', "a verdict is `true` when present, got False"),
        ('{"allow": true, "reasons": "x"}', "unknown field 'reasons'"),
        ('{"deny": true, "reason": 3}', "expected str, got int - at data.mxp.decision.reason"),
        ('{"allow": true, "approvers": ["a"]}', "only an escalation names approvers"),
        ('{"escalate": true, "reason": "r", "approvers": "ops"}', "expected a list of str"),
        ('{"escalate": true, "reason": "r", "approvers": ["ok", ""]}', "approvers[1]"),
        ('"allow"', "expected a decision object"),
    ],
)
async def test_malformed_decisions_fail_closed(value: str, message: str) -> None:
    engine = engine_for(f"decision := {value}\n")
    with pytest.raises(InvalidPolicy) as caught:
        await engine.evaluate(request(InvokeTool("t")))
    assert message in str(caught.value)
    denied = await consult(engine, request(InvokeTool("t")))
    assert denied.is_deny
    assert denied.reason is not None
    assert denied.reason.endswith(f"({FAIL_CLOSED})")


async def test_undefined_decision_is_an_error() -> None:
    engine = engine_for('decision := {"allow": true} if input.action.name == "x"\n')
    with pytest.raises(RegoEvaluationError, match=r"data\.mxp\.decision for tool `y`: undefined"):
        await engine.evaluate(request(InvokeTool("y")))
    assert (await consult(engine, request(InvokeTool("y")))).is_deny


async def test_conflicting_rules_are_an_error() -> None:
    engine = engine_for(
        'decision := {"allow": true} if input.action.name == "x"\n'
        'decision := {"deny": true, "reason": "no"} if startswith(input.action.name, "x")\n'
    )
    with pytest.raises(RegoEvaluationError, match="complete rules must not produce multiple"):
        await engine.evaluate(request(InvokeTool("x")))


async def test_builtin_errors_are_errors_not_undefined() -> None:
    engine = engine_for(
        'default decision := {"allow": true}\n'
        'decision := {"deny": true, "reason": "r"} if input.action.arguments.n / 0 > 1\n'
    )
    with pytest.raises(RegoEvaluationError, match="divide by zero"):
        await engine.evaluate(request(InvokeTool("t", arguments={"n": 1})))


async def test_input_rego_cannot_take_is_named() -> None:
    engine = engine_for('decision := {"allow": true}\n')
    with pytest.raises(
        RegoEvaluationError, match=r"64-bit range - at input.action.arguments.n\[1\]"
    ):
        await engine.evaluate(request(InvokeTool("t", arguments={"n": [0, 1 << 64]})))
    with pytest.raises(RegoEvaluationError, match="finite"):
        await engine.evaluate(request(InvokeTool("t", arguments={"x": float("nan")})))


async def test_custom_query() -> None:
    bundle = RegoBundle(
        {"a.rego": 'package acme.gate\nimport rego.v1\nverdict := {"allow": true}\n'}
    )
    engine = RegoEngine(bundle, query="data.acme.gate.verdict")
    assert (await engine.evaluate(request(InvokeTool("t")))).is_allow


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"p.rego": HEAD + "decision := {\n"}, r"p.rego:5:\d+: "),
        ({"p.rego": HEAD + "x := 1\n"}, "no module defines rule 'decision' in package 'mxp'"),
        (
            {"p.rego": HEAD + "decision := 1\n", "data.json": '{"a": [1,}'},
            r"data.json:1:10: invalid JSON",
        ),
        (
            {"p.rego": HEAD + "decision := 1\n", "data.json": "[1]"},
            "a data document is a JSON object",
        ),
        (
            {"p.rego": HEAD + "decision := 1\n", "a.json": '{"k": 1}', "b.json": '{"k": 2}'},
            "b.json: data.k is already defined by a.json",
        ),
        ({"readme.md": "no policy"}, "no Rego module"),
    ],
)
def test_bad_bundles_name_file_line_and_field(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(PolicyLoadError, match=message):
        RegoEngine.from_bundle(tmp_path)


def test_bad_query_is_refused() -> None:
    with pytest.raises(PolicyLoadError, match="rule reference"):
        engine_for('decision := {"allow": true}\n', query="data.mxp.decision[0]")


def test_bundle_directory_copy_behaves_the_same(tmp_path: Path, payments: RegoEngine) -> None:
    shutil.copytree(PAYMENTS, tmp_path / "b")
    (tmp_path / "b" / ".hidden.json").write_text("not json")
    engine = RegoEngine.from_bundle(tmp_path / "b")
    assert engine.bundle.data == payments.bundle.data
