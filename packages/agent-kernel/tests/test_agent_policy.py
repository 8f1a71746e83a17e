"""Policy in the agent loop: every model call, tool call and memory write is asked first;
denies take effect (the step does not happen), engine failures fail closed, every decision is
audited."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.kernel import Agent, AgentConfigError, StopReason
from mxp_agents.memory import MemoryBus, MemoryChannel
from mxp_agents.policy import (
    FAIL_CLOSED,
    AuditEvent,
    DecisionKind,
    PolicyDecision,
    PolicyRequest,
)
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import ToolAuditEvent, tool

PAID: list[int] = []


@tool
def pay(amount: int) -> str:
    """Pay an amount."""
    PAID.append(amount)
    return f"paid {amount}"


@pytest.fixture(autouse=True)
def _reset() -> None:
    PAID.clear()


class Table:
    """A small real engine: a decision per subject (``tool `pay```), allow otherwise."""

    def __init__(self, decisions: dict[str, PolicyDecision] | None = None) -> None:
        self.decisions = decisions or {}
        self.requests: list[PolicyRequest] = []

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        self.requests.append(request)
        return self.decisions.get(request.subject, PolicyDecision.allow())


class Broken:
    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        raise RuntimeError("rules file unreadable")


class Silent:
    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        await trio.sleep_forever()
        raise AssertionError("unreachable")


class Recorder:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.events.append(event)


class FailingSink:
    async def record(self, event: AuditEvent) -> None:
        raise OSError("disk full")


def paying() -> ScriptedModel:
    return ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "pay", {"amount": 120})), Step.text("done")]
    )


def agent(engine: Any, **options: Any) -> Agent[str]:
    model: Any = options.pop("model", None) or paying()
    return Agent("payer", model=model, tools=[pay], policy=engine, **options)


async def test_a_denied_tool_never_runs_and_the_model_is_told_why() -> None:
    engine = Table({"tool `pay`": PolicyDecision.deny("payments are frozen")})
    audit: list[ToolAuditEvent] = []
    sink = Recorder()
    model = paying()
    result = await agent(engine, model=model, audit=audit.append, policy_audit=sink).run(
        "pay 120", run_id="r-deny", metadata={"caller": "ops"}, memory_tags=("prod",)
    )
    assert PAID == []
    assert result.stop_reason is StopReason.COMPLETED
    tool_answer = model.requests[1].messages[-1]
    assert tool_answer.content == "denied by policy: payments are frozen"
    assert result.tool_calls[0].result.is_error
    assert [event.kind for event in audit] == ["denied"]  # the tool audit trail too
    [tool_request] = [r for r in engine.requests if r.subject == "tool `pay`"]
    assert tool_request.action.arguments == {"amount": 120}  # pyright: ignore[reportAttributeAccessIssue]
    assert tool_request.action.version == "1.0.0"  # pyright: ignore[reportAttributeAccessIssue]
    assert tool_request.context.metadata == {"caller": "ops", "run_id": "r-deny"}
    assert tool_request.context.tags == ("prod",)
    decisions = [(event.subject, event.decision) for event in sink.events]
    assert decisions == [
        ("model `scripted/scripted`", DecisionKind.ALLOW),
        ("tool `pay`", DecisionKind.DENY),
        ("model `scripted/scripted`", DecisionKind.ALLOW),
    ]
    assert sink.events[1].reason == "payments are frozen"


@pytest.mark.parametrize("engine", [Broken(), Silent()], ids=["error", "timeout"])
async def test_a_failing_engine_is_a_deny(engine: object, autojump_clock: object) -> None:
    sink = Recorder()
    model = ScriptedModel([Step.text("never")])
    result = await agent(engine, model=model, policy_audit=sink, policy_timeout=0.5).run("hi")
    assert result.stop_reason is StopReason.POLICY_DENIED
    assert model.requests == []  # the model was never called
    assert result.error is not None
    assert FAIL_CLOSED in result.error
    assert result.error.startswith("model call 1 (model `scripted/scripted`) denied by policy")
    [event] = sink.events
    assert event.decision is DecisionKind.DENY
    assert FAIL_CLOSED in (event.reason or "")


@pytest.mark.parametrize("engine", [Broken(), Silent()], ids=["error", "timeout"])
async def test_a_failing_engine_never_lets_a_tool_run(
    engine: object, autojump_clock: object
) -> None:
    class ToolsOnly:
        async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
            if request.subject == "tool `pay`":
                return await engine.evaluate(request)  # type: ignore[attr-defined, no-any-return]
            return PolicyDecision.allow()

    model = paying()
    result = await agent(ToolsOnly(), model=model, policy_timeout=0.5).run("pay")
    assert PAID == []
    assert FAIL_CLOSED in model.requests[1].messages[-1].content
    assert result.output == "done"


async def test_a_denied_model_call_ends_the_run() -> None:
    engine = Table({"model `scripted/scripted`": PolicyDecision.deny("no model spend today")})
    model = paying()
    result = await agent(engine, model=model).run("pay 120")
    assert result.stop_reason is StopReason.POLICY_DENIED
    assert result.error == (
        "model call 1 (model `scripted/scripted`) denied by policy: no model spend today"
    )
    assert model.requests == []
    assert result.steps == 0
    assert PAID == []


async def test_a_denied_memory_write_stops_the_step_it_would_record() -> None:
    engine = Table({"memory `tool`": PolicyDecision.deny("tool records are not kept")})
    bus = MemoryBus()
    result = await agent(engine, memory=bus).run("pay 120", memory_tags=("sensitive",))
    assert PAID == []  # its tool_call record was refused: the tool did not run
    assert result.stop_reason is StopReason.POLICY_DENIED
    assert result.error == ("memory write `tool` denied by policy: tool records are not kept")
    channels = [record.channel for record in bus.recent()]
    assert MemoryChannel.TOOL not in channels
    assert channels[-1] is MemoryChannel.OUTPUT  # how the run ended is recorded
    [asked] = [r for r in engine.requests if r.subject == "memory `tool`"]
    assert asked.action.tags == ("sensitive",)  # pyright: ignore[reportAttributeAccessIssue]


async def test_an_answer_that_cannot_be_recorded_is_withheld() -> None:
    engine = Table({"memory `output`": PolicyDecision.deny("answers stay off the record")})
    bus = MemoryBus()
    result = await agent(engine, memory=bus).run("pay 120")
    assert PAID == [120]
    assert result.stop_reason is StopReason.POLICY_DENIED
    assert result.output is None
    assert result.error == (
        "the answer was not recorded, so it is withheld: memory write `output` denied by "
        "policy: answers stay off the record"
    )


async def test_an_audit_trail_that_cannot_record_is_a_deny() -> None:
    model = paying()
    result = await agent(Table(), model=model, policy_audit=FailingSink()).run("pay")
    assert result.stop_reason is StopReason.POLICY_DENIED
    assert "cannot record the decision" in (result.error or "")
    assert "OSError('disk full')" in (result.error or "")
    assert model.requests == []


async def test_an_escalation_without_a_store_is_a_deny() -> None:
    engine = Table({"tool `pay`": PolicyDecision.escalate("large payment", ["finance"])})
    model = paying()
    await agent(engine, model=model).run("pay")
    assert PAID == []
    assert "no approval store" in model.requests[1].messages[-1].content


async def test_replay_asks_no_policy() -> None:
    bus = MemoryBus()
    engine = Table()
    first = await agent(engine, memory=bus).run("pay 120", run_id="r-replay")
    asked = len(engine.requests)
    replayed = await agent(engine).replay(bus.recent(), run_id="r-replay")
    assert replayed.output == first.output == "done"
    assert len(engine.requests) == asked
    assert PAID == [120]


def test_bad_governance_options_are_refused() -> None:
    with pytest.raises(AgentConfigError, match="policy must be a PolicyEngine"):
        agent(object())
    with pytest.raises(AgentConfigError, match="need a policy"):
        Agent("a", model=paying(), policy_audit=Recorder())
    with pytest.raises(AgentConfigError, match="policy_timeout must be a finite number"):
        agent(Table(), policy_timeout=0)
    with pytest.raises(AgentConfigError, match="approval_fallback must be 'deny' or 'allow'"):
        agent(Table(), approval_fallback="escalate")
