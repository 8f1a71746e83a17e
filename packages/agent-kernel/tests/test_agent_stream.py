"""Agent.run_stream: event order, text deltas, cancellation, early exit and errors."""

from __future__ import annotations

import math

import msgspec
import pytest
import trio
import trio.lowlevel
import trio.testing

from mxp_agents.adapters import RateLimitedError
from mxp_agents.adapters.testing import ScriptedModel, ScriptExhausted, Step
from mxp_agents.kernel import (
    Agent,
    ModelCallFinished,
    ModelTextDelta,
    RunEvent,
    RunFinished,
    RunInputError,
    RunStarted,
    StopReason,
    ToolCallFinished,
    ToolCallStarted,
)
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import tool


@tool
async def add(a: int, b: int) -> int:
    """Add."""
    return a + b


async def collect(agent: Agent[str], task: str) -> list[RunEvent]:
    events: list[RunEvent] = []
    async with agent.run_stream(task) as stream:
        async for event in stream:
            events.append(event)
    return events


async def test_event_order_and_text_deltas() -> None:
    model = ScriptedModel(
        [
            Step.tool_calls(
                ToolCall("c1", "add", {"a": 1, "b": 2}), ToolCall("c2", "add", {"a": 3, "b": 4})
            ),
            Step.text("The sums are 3 and 7."),
        ],
        chunk_size=5,
    )
    agent = Agent("calc", model=model, tools=[add])
    events = await collect(agent, "add")
    kinds = [type(event).__name__ for event in events]
    assert kinds[:4] == ["RunStarted", "ModelCallFinished", "ToolCallStarted", "ToolCallStarted"]
    assert sorted(kinds[4:6]) == ["ToolCallFinished", "ToolCallFinished"]
    assert set(kinds[6:-2]) == {"ModelTextDelta"}
    assert kinds[-2:] == ["ModelCallFinished", "RunFinished"]
    started = [e.call.id for e in events if isinstance(e, ToolCallStarted)]
    assert started == ["c1", "c2"]
    deltas = [e.text for e in events if isinstance(e, ModelTextDelta)]
    assert "".join(deltas) == "The sums are 3 and 7."
    assert len(deltas) == 5
    first = events[0]
    assert isinstance(first, RunStarted)
    assert (first.agent_name, first.agent_id) == ("calc", str(agent.id))
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.result.output == "The sums are 3 and 7."
    assert first.run_id == finished.result.run_id
    model_calls = [e for e in events if isinstance(e, ModelCallFinished)]
    assert model_calls[-1].usage == finished.result.usage
    results = {e.call.id: e.result.content for e in events if isinstance(e, ToolCallFinished)}
    assert results == {"c1": "3", "c2": "7"}


async def test_streamed_and_whole_runs_agree() -> None:
    def script() -> ScriptedModel:
        return ScriptedModel(
            [Step.tool_calls(ToolCall("c1", "add", {"a": 1, "b": 1})), Step.text("2")]
        )

    whole = await Agent("a", model=script(), tools=[add]).run("x", run_id="r")
    agent = Agent("a", model=script(), tools=[add])
    async with agent.run_stream("x", run_id="r") as stream:
        async for _ in stream:
            pass
    streamed = stream.result
    assert streamed is not None
    assert streamed.messages == whole.messages
    assert streamed.output == whole.output
    assert streamed.usage == whole.usage


async def test_events_encode_to_json() -> None:
    model = ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "add", {"a": 1, "b": 1})), Step.text("2")]
    )
    events = await collect(Agent("j", model=model, tools=[add]), "x")
    for event in events:
        data = msgspec.json.encode(event)
        assert type(msgspec.json.decode(data, type=RunEvent)) is type(event)


async def test_cancel_ends_the_run_with_cancelled(autojump_clock: trio.testing.MockClock) -> None:
    cancelled = trio.Event()

    @tool(timeout=math.inf)
    async def hang() -> str:
        """Never answer."""
        try:
            await trio.sleep_forever()
        finally:
            cancelled.set()
        return "unreachable"

    agent = Agent("c", model=ScriptedModel([Step.tool_calls(ToolCall("c1", "hang"))]), tools=[hang])
    kinds: list[str] = []
    async with agent.run_stream("go") as stream:
        async for event in stream:
            kinds.append(type(event).__name__)
            if isinstance(event, ToolCallStarted):
                stream.cancel()
    assert kinds[-1] == "RunFinished"
    assert cancelled.is_set()
    result = stream.result
    assert result is not None
    assert result.stop_reason is StopReason.CANCELLED
    assert result.error == "the run was cancelled"


async def test_leaving_the_block_early_cancels_the_run(
    autojump_clock: trio.testing.MockClock,
) -> None:
    model = ScriptedModel([Step.text("a long answer " * 50, delay=1)], chunk_size=2)
    agent = Agent("early", model=model)
    async with agent.run_stream("go") as stream:
        async for event in stream:
            if isinstance(event, ModelTextDelta):
                break
    assert stream.result is not None
    assert stream.result.stop_reason is StopReason.CANCELLED


async def test_leaving_before_the_run_started() -> None:
    agent = Agent("early", model=ScriptedModel([Step.text("never")]))
    async with agent.run_stream("go") as stream:
        pass
    assert stream.result is not None
    assert stream.result.stop_reason is StopReason.CANCELLED
    assert stream.result.output is None


async def test_an_error_in_the_body_propagates_unwrapped() -> None:
    agent = Agent("body", model=ScriptedModel([Step.text("x", delay=1)]))

    async def read_and_fail() -> None:
        async with agent.run_stream("go") as stream:
            async for _ in stream:
                raise KeyError("mine")

    with pytest.raises(KeyError):
        await read_and_fail()


async def test_a_bug_in_the_run_is_raised_by_the_iteration() -> None:
    agent = Agent("bug", model=ScriptedModel([]))

    async def read_all() -> None:
        async with agent.run_stream("go") as stream:
            async for _ in stream:
                pass

    async def read_nothing() -> None:
        async with agent.run_stream("go"):
            await trio.testing.wait_all_tasks_blocked()  # not iterated: raised at the end

    with pytest.raises(ScriptExhausted):
        await read_all()
    with pytest.raises(ScriptExhausted):
        await read_nothing()


async def test_model_errors_in_a_stream() -> None:
    model = ScriptedModel([Step.error(RateLimitedError("slow"), partial_text="Hel")])
    events = await collect(Agent("e", model=model), "x")
    assert [type(e).__name__ for e in events] == ["RunStarted", "ModelTextDelta", "RunFinished"]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.result.stop_reason is StopReason.MODEL_ERROR


async def test_bad_input_raises_when_the_stream_is_made() -> None:
    agent = Agent("x", model=ScriptedModel([]))
    with pytest.raises(RunInputError):
        agent.run_stream("")


async def test_a_stream_is_entered_once_and_iterated_inside() -> None:
    agent = Agent("x", model=ScriptedModel([Step.text("a")]))
    stream = agent.run_stream("go")
    with pytest.raises(RuntimeError, match="inside its `async with` block"):
        await stream.__anext__()
    async with stream:
        async for _ in stream:
            pass
        with pytest.raises(RuntimeError, match="entered only once"):
            await stream.__aenter__()


async def test_slow_reader_applies_backpressure() -> None:
    model = ScriptedModel([Step.text("x" * 400)], chunk_size=1)
    agent = Agent("bp", model=model)
    count = 0
    async with agent.run_stream("go") as stream:
        async for event in stream:
            count += 1
            if count % 50 == 0:
                await trio.lowlevel.checkpoint()
            if isinstance(event, RunFinished):
                assert event.result.output == "x" * 400
    assert count == 1 + 400 + 1 + 1
