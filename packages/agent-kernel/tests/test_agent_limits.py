"""Limits, timeouts, model errors and cancellation: each ends a run with its reason."""

from __future__ import annotations

import math

import pytest
import trio
import trio.testing

from mxp_agents.adapters import MalformedResponseError, RateLimitedError
from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.kernel import Agent, RunLimits, StopReason
from mxp_agents.primitives import Message, Role, ToolCall, Usage
from mxp_agents.prompts import ContextWindow
from mxp_agents.tools import tool


@tool
async def inc(n: int) -> int:
    """Increment."""
    return n + 1


def call(index: int) -> ToolCall:
    return ToolCall(f"c{index}", "inc", {"n": index})


async def test_max_steps_stops_before_running_tools_of_the_last_step() -> None:
    model = ScriptedModel([Step.tool_calls(call(1)), Step.tool_calls(call(2))])
    agent = Agent("steps", model=model, tools=[inc], limits=RunLimits(max_steps=2))
    result = await agent.run("count")
    assert result.stop_reason is StopReason.MAX_STEPS
    assert not result.ok
    assert result.output is None
    assert result.steps == 2
    assert [r.call.id for r in result.tool_calls] == ["c1"]  # c2 was asked for, never run
    assert result.messages[-1].tool_calls[0].id == "c2"
    assert result.error is not None
    assert "max_steps=2" in result.error
    model.assert_complete()


async def test_max_tool_calls_refuses_a_batch_that_goes_beyond() -> None:
    ran: list[int] = []

    @tool
    async def note(n: int) -> int:
        """Note a number."""
        ran.append(n)
        return n

    model = ScriptedModel(
        [
            Step.tool_calls(ToolCall("a", "note", {"n": 1}), ToolCall("b", "note", {"n": 2})),
            Step.tool_calls(ToolCall("c", "note", {"n": 3}), ToolCall("d", "note", {"n": 4})),
        ]
    )
    limits = RunLimits(max_tool_calls=3)
    result = await Agent("calls", model=model, tools=[note], limits=limits).run("go")
    assert result.stop_reason is StopReason.MAX_TOOL_CALLS
    assert ran == [1, 2] or ran == [2, 1]
    assert len(result.tool_calls) == 2
    assert result.error == (
        "the model asked for 2 tool calls after 2, beyond max_tool_calls=3; they were not run"
    )


async def test_zero_tool_calls_allowed() -> None:
    model = ScriptedModel([Step.tool_calls(call(1))])
    agent = Agent("none", model=model, tools=[inc], limits=RunLimits(max_tool_calls=0))
    result = await agent.run("go")
    assert result.stop_reason is StopReason.MAX_TOOL_CALLS
    assert result.tool_calls == ()


async def test_max_total_tokens_stops_before_a_call_that_cannot_fit() -> None:
    model = ScriptedModel(
        [
            Step.tool_calls(call(1), usage=Usage(input_tokens=60, output_tokens=10)),
            Step.text("never", usage=Usage(input_tokens=80, output_tokens=10)),
        ]
    )
    limits = RunLimits(max_total_tokens=100)
    result = await Agent("tokens", model=model, tools=[inc], limits=limits).run("go")
    # Used 70; the next call needs about 60 + 10 + 6 (the tool message) = 76 > 100 - 70.
    assert result.stop_reason is StopReason.MAX_TOKENS
    assert result.steps == 1
    assert result.usage.total == 70
    assert len(result.tool_calls) == 1  # the tools of the first answer ran; the call did not
    assert result.error == (
        "the next model call needs about 76 tokens and the run has used 70, "
        "beyond max_total_tokens=100"
    )
    assert model.remaining == 1


async def test_max_total_tokens_counts_the_first_request_and_max_output_tokens() -> None:
    model = ScriptedModel([Step.text("x")])
    limits = RunLimits(max_total_tokens=50)
    agent = Agent("t", model=model, limits=limits, max_output_tokens=40)
    result = await agent.run("a" * 40)  # 4 + 10 tokens of text, + 40 of output > 50
    assert result.stop_reason is StopReason.MAX_TOKENS
    assert result.steps == 0
    assert model.requests == []
    ok = await Agent("t", model=ScriptedModel([Step.text("x")]), limits=limits).run("a" * 40)
    assert ok.ok


async def test_answer_beyond_the_budget_does_not_run_its_tools() -> None:
    model = ScriptedModel(
        [Step.tool_calls(call(1), usage=Usage(input_tokens=90, output_tokens=20))]
    )
    limits = RunLimits(max_total_tokens=100)
    result = await Agent("over", model=model, tools=[inc], limits=limits).run("go")
    assert result.stop_reason is StopReason.MAX_TOKENS
    assert result.tool_calls == ()
    assert result.error is not None
    assert "used 110 tokens" in result.error


async def test_a_final_answer_beyond_the_budget_still_completes() -> None:
    model = ScriptedModel([Step.text("done", usage=Usage(input_tokens=90, output_tokens=20))])
    result = await Agent("f", model=model, limits=RunLimits(max_total_tokens=100)).run("go")
    assert result.ok
    assert result.usage.total == 110


async def test_wall_time_ends_the_run_and_cancels_running_tools(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cancelled = trio.Event()

    @tool(timeout=math.inf)
    async def hang() -> str:
        """Never answer."""
        try:
            await trio.sleep_forever()
        finally:
            cancelled.set()
        return "unreachable"

    model = ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "hang"), ToolCall("c2", "inc", {"n": 1}))]
    )
    agent = Agent("wall", model=model, tools=[hang, inc], limits=RunLimits(max_wall_time=10))
    start = trio.current_time()
    result = await agent.run("go")
    assert trio.current_time() - start == pytest.approx(10)
    assert cancelled.is_set()
    assert result.stop_reason is StopReason.TIMEOUT
    assert result.error == "the run timed out: its max_wall_time (10 s) or the deadline passed"
    # The call that finished is kept; the cancelled one has no result.
    assert [r.call.id for r in result.tool_calls] == ["c2"]
    assert [m.tool_call_id for m in result.messages if m.role is Role.TOOL] == ["c2"]


async def test_deadline_bounds_a_slow_model(autojump_clock: trio.testing.MockClock) -> None:
    model = ScriptedModel([Step.text("late", delay=100)])
    agent = Agent("late", model=model, limits=RunLimits(max_wall_time=None))
    result = await agent.run("go", deadline=trio.current_time() + 3)
    assert result.stop_reason is StopReason.TIMEOUT
    assert result.error == "the run timed out: its deadline passed"
    assert result.steps == 1
    assert result.messages[-1].role is Role.USER
    assert trio.current_time() == pytest.approx(3)


async def test_model_errors_end_the_run_with_the_error_text() -> None:
    model = ScriptedModel([Step.error(RateLimitedError("slow down", provider="p", model="m"))])
    result = await Agent("e", model=model).run("go")
    assert result.stop_reason is StopReason.MODEL_ERROR
    assert result.error is not None
    assert result.error.startswith("model call 1 failed: p model 'm': slow down")
    assert result.output is None


async def test_model_error_after_tools_keeps_the_transcript() -> None:
    model = ScriptedModel([Step.tool_calls(call(1)), Step.error(MalformedResponseError("garbled"))])
    result = await Agent("e", model=model, tools=[inc]).run("go")
    assert result.stop_reason is StopReason.MODEL_ERROR
    assert [m.role.value for m in result.messages] == ["user", "assistant", "tool"]
    assert len(result.tool_calls) == 1


async def test_a_reused_tool_call_id_is_a_model_error() -> None:
    model = ScriptedModel([Step.tool_calls(call(1)), Step.tool_calls(call(1))])
    result = await Agent("dup", model=model, tools=[inc]).run("go")
    assert result.stop_reason is StopReason.MODEL_ERROR
    assert result.error is not None
    assert "tool call id 'c1' was already used" in result.error


async def test_outer_cancellation_propagates_and_cancels_tools(
    autojump_clock: trio.testing.MockClock,
) -> None:
    cancelled = trio.Event()

    @tool(timeout=math.inf)
    async def hang() -> str:
        """Never answer."""
        try:
            await trio.sleep_forever()
        finally:
            cancelled.set()
        return "unreachable"

    model = ScriptedModel([Step.tool_calls(ToolCall("c1", "hang"))])
    agent = Agent("cancel", model=model, tools=[hang], limits=RunLimits(max_wall_time=None))
    with trio.move_on_after(1) as scope:
        await agent.run("go")
    assert scope.cancelled_caught
    assert cancelled.is_set()


async def test_context_window_fits_each_request() -> None:
    history = [Message.user(f"old question {i} " * 20) for i in range(20)]
    model = ScriptedModel([Step.text("ok")])
    window = ContextWindow(max_tokens=300, recent=2)
    agent = Agent("w", instructions="Be brief.", model=model, context_window=window)
    result = await agent.run("new question", history=history)
    sent = model.requests[0].messages
    assert len(sent) < len(result.messages) - 1
    assert sent[-1].content == "new question"
    assert any(m.content.startswith("Summary of") for m in sent)
    assert len(result.messages) == 23  # the transcript keeps everything


async def test_context_window_that_cannot_hold_the_run() -> None:
    model = ScriptedModel([Step.text("ok")])
    agent = Agent("w", model=model, context_window=ContextWindow(max_tokens=20, recent=1))
    result = await agent.run("word " * 100)
    assert result.stop_reason is StopReason.MAX_TOKENS
    assert result.error is not None
    assert result.error.startswith("the context window cannot hold the run")
    assert model.requests == []
