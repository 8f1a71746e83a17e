"""Cost: each run reports what its model calls cost, and a budget stops it before it is spent."""

from __future__ import annotations

import pytest

from mxp_agents.adapters import Price, PriceTable
from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.adapters.testing.conformance import ReplayHarness, Reply
from mxp_agents.kernel import Agent, AgentConfigError, RunInputError, RunLimits, StopReason
from mxp_agents.primitives import ToolCall, Usage
from mxp_agents.tools import tool

# $1 per 1,000 tokens, in and out: easy arithmetic.
PRICES = PriceTable({"replay/replay-1": Price(input=1000.0, output=1000.0)}, defaults=False)
ran: list[int] = []


@tool
async def inc(n: int) -> int:
    """Increment."""
    ran.append(n)
    return n + 1


def step(n: int) -> Reply:
    return Reply(tool_calls=(ToolCall(f"c{n}", "inc", {"n": n}),), usage=Usage(input_tokens=100))


async def test_run_reports_the_summed_cost() -> None:
    harness = ReplayHarness()
    replies = [step(1), Reply(text="done", usage=Usage(input_tokens=200, output_tokens=50))]
    async with harness.model(replies, prices=PRICES) as model:
        result = await Agent("costly", model=model, tools=[inc]).run("go")
    assert result.ok
    assert result.cost == pytest.approx(0.1 + 0.25)


async def test_budget_stops_before_a_call_that_may_exceed_it() -> None:
    harness = ReplayHarness()
    ran.clear()
    async with harness.model([step(1), step(2), Reply(text="never")], prices=PRICES) as model:
        agent = Agent("budget", model=model, tools=[inc], max_output_tokens=300)
        # a call is estimated at ~$0.31-0.34 (a few tokens in, up to 300 out) and costs $0.10:
        # the first fits $0.40, the second (0.10 spent + ~0.32) does not
        result = await agent.run("go", max_cost=0.4)
    assert result.stop_reason is StopReason.MAX_COST
    assert result.steps == 1
    assert ran == [1]  # the first call's tool ran; no second model call was made
    assert result.error is not None
    assert "max_cost=$0.4" in result.error
    assert len(harness.seen()) == 1


async def test_tools_are_not_run_once_the_budget_is_spent() -> None:
    harness = ReplayHarness()
    ran.clear()
    expensive = Reply(tool_calls=(ToolCall("c1", "inc", {"n": 1}),), usage=Usage(input_tokens=2000))
    async with harness.model([expensive], prices=PRICES) as model:
        limits = RunLimits(max_cost=1.0)
        result = await Agent("spent", model=model, tools=[inc], limits=limits).run("go")
    assert result.stop_reason is StopReason.MAX_COST
    assert result.cost == pytest.approx(2.0)
    assert ran == []
    assert result.error is not None
    assert "tools were not run" in result.error


async def test_zero_budget_makes_no_call_and_unpriced_models_cannot_be_budgeted() -> None:
    harness = ReplayHarness()
    async with harness.model([Reply(text="no")], prices=PRICES) as model:
        result = await Agent("zero", model=model).run("go", max_cost=0.0)
    assert result.stop_reason is StopReason.MAX_COST
    assert result.steps == 0
    assert harness.seen() == []

    scripted = ScriptedModel([Step.text("unpriced")])
    result = await Agent("blind", model=scripted).run("go", max_cost=1.0)
    assert result.stop_reason is StopReason.MAX_COST
    assert result.error is not None
    assert "no price" in result.error
    assert scripted.requests == []
    plain = await Agent("free", model=ScriptedModel([Step.text("ok")])).run("go")
    assert plain.ok
    assert plain.cost is None


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(AgentConfigError, match=r"RunLimits\.max_cost"):
        RunLimits(max_cost=-1)
    agent = Agent("x", model=ScriptedModel([]))
    with pytest.raises(RunInputError, match="max_cost"):
        agent.run_stream("go", max_cost="1")  # type: ignore[arg-type]
