"""The loop writes every step of a run to the agent's MemoryBus, and `Agent.replay` re-runs a
recorded run from those records without calling the model or any tool."""

from __future__ import annotations

import msgspec
import pytest

from mxp_agents.adapters import ModelResponse, RateLimitedError
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    AnswerEntry,
    ModelEntry,
    ModelErrorEntry,
    ReplayError,
    RunInputError,
    StopReason,
    TaskEntry,
    ToolCallEntry,
    ToolResultEntry,
    entry_of,
)
from mxp_agents.memory import MemoryBus, MemoryChannel, MemoryRecord, RingBuffer
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import tool

CALLS: list[str] = []


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    CALLS.append(f"add({a}, {b})")
    return a + b


@tool
def mul(a: int, b: int) -> int:
    """Multiply two integers."""
    CALLS.append(f"mul({a}, {b})")
    return a * b


class Point(msgspec.Struct):
    x: int
    y: int


def scripted() -> ScriptedModel:
    return ScriptedModel(
        [
            Step.tool_calls(
                ToolCall("c1", "add", {"a": 2, "b": 3}), ToolCall("c2", "mul", {"a": 4, "b": 5})
            ),
            Step.text("2 + 3 = 5 and 4 * 5 = 20"),
        ]
    )


def memory() -> MemoryBus:
    return MemoryBus(ring=RingBuffer(capacity=1000))


def kinds(records: list[MemoryRecord]) -> list[str]:
    return [type(entry_of(record)).__name__ for record in records]


async def test_every_step_is_written_in_order_with_run_id_step_and_agent() -> None:
    bus = memory()
    agent = Agent("calc", model=scripted(), tools=[add, mul], memory=bus)
    result = await agent.run("What are 2 + 3 and 4 * 5?", metadata={"caller": "test"})
    records = bus.recent()
    found = kinds(records)
    assert found[:2] == ["TaskEntry", "ModelEntry"]
    assert sorted(found[2:6]) == ["ToolCallEntry"] * 2 + ["ToolResultEntry"] * 2
    assert found[6:] == ["ModelEntry", "AnswerEntry"]
    assert {record.run_id for record in records} == {result.run_id}
    assert {record.agent_id for record in records} == {str(agent.id)}
    channels = [record.channel for record in records]
    assert channels[0] is MemoryChannel.INPUT
    assert channels[-1] is MemoryChannel.OUTPUT
    assert channels[1] is MemoryChannel.SYSTEM
    assert {channels[i] for i in range(2, 6)} == {MemoryChannel.TOOL}
    task = entry_of(records[0])
    assert isinstance(task, TaskEntry)
    assert task.text == "What are 2 + 3 and 4 * 5?"
    assert records[0].metadata == {"caller": "test"}
    assert records[0].text() == "What are 2 + 3 and 4 * 5?"
    results = [entry_of(r) for r in records if isinstance(entry_of(r), ToolResultEntry)]
    assert sorted(r.result.content for r in results if isinstance(r, ToolResultEntry)) == [
        "20",
        "5",
    ]
    answer = entry_of(records[-1])
    assert isinstance(answer, AnswerEntry)
    assert (answer.text, answer.stop_reason, answer.steps, answer.tool_calls) == (
        result.text,
        "completed",
        2,
        2,
    )
    assert records[-1].text() == result.text
    assert [record.step for record in records] == [0, 1, 1, 1, 1, 1, 2, 2]


async def test_a_tool_call_is_recorded_before_the_tool_runs() -> None:
    bus = memory()
    seen: list[list[str]] = []

    @tool
    def probe() -> str:
        """Look at memory while running."""
        seen.append(kinds(bus.recent()))
        return "ok"

    model = ScriptedModel([Step.tool_calls(ToolCall("c1", "probe")), Step.text("done")])
    await Agent("p", model=model, tools=[probe], memory=bus).run("go")
    assert seen == [["TaskEntry", "ModelEntry", "ToolCallEntry"]]


async def test_replay_reproduces_the_run_without_calling_model_or_tools() -> None:
    bus = memory()
    agent = Agent("calc", model=scripted(), tools=[add, mul], memory=bus)
    result = await agent.run("What are 2 + 3 and 4 * 5?")
    CALLS.clear()
    calls: list[object] = []
    silent = FunctionModel(lambda request: calls.append(request) or "never")
    twin = Agent("calc", model=silent, tools=[add, mul], id=agent.id)
    replayed = await twin.replay(bus.recent())
    assert calls == []
    assert CALLS == []
    assert replayed.output == result.output
    assert replayed.messages == result.messages
    assert [(r.call, r.result) for r in replayed.tool_calls] == [
        (r.call, r.result) for r in result.tool_calls
    ]
    assert (replayed.usage, replayed.steps, replayed.stop_reason) == (
        result.usage,
        result.steps,
        result.stop_reason,
    )
    assert len(bus.recent()) == 8  # a replay writes nothing


async def test_replay_of_structured_output_and_run_options() -> None:
    bus = memory()
    model = ScriptedModel([Step.text('{"x": 1, "y": 2}')])
    agent = Agent("points", model=model, output_type=Point, memory=bus)
    result = await agent.run("a point", temperature=0.3, max_output_tokens=50)
    task = entry_of(bus.recent()[0])
    assert isinstance(task, TaskEntry)
    assert (task.temperature, task.max_output_tokens) == (0.3, 50)
    seen: list[object] = []
    twin = Agent("points", model=FunctionModel(lambda r: seen.append(r) or ""), output_type=Point)
    replayed = await twin.replay(bus.recent(), run_id=result.run_id)
    assert replayed.output == Point(1, 2)
    assert seen == []


async def test_a_model_error_is_recorded_and_replayed() -> None:
    bus = memory()

    def fail(request: object) -> ModelResponse:
        raise RateLimitedError("slow down", provider="p", model="m", retry_after=1.0)

    agent = Agent("e", model=FunctionModel(fail), memory=bus)
    result = await agent.run("hi")
    assert result.stop_reason is StopReason.MODEL_ERROR
    records = bus.recent()
    assert kinds(records) == ["TaskEntry", "ModelErrorEntry", "AnswerEntry"]
    error = entry_of(records[1])
    assert isinstance(error, ModelErrorEntry)
    assert error.error.kind == "rate_limited"
    replayed = await Agent("e", model=FunctionModel(str)).replay(records)
    assert (replayed.stop_reason, replayed.error) == (result.stop_reason, result.error)


async def test_replay_detects_divergence() -> None:
    bus = memory()
    agent = Agent("calc", model=scripted(), tools=[add, mul], memory=bus)
    await agent.run("go")
    # An agent with fewer steps allowed cannot reproduce the recording.
    from mxp_agents.kernel import RunLimits

    strict = Agent(
        "calc", model=FunctionModel(str), tools=[add, mul], limits=RunLimits(max_steps=1)
    )
    with pytest.raises(ReplayError, match=r"diverged.*stop_reason is 'max_steps'"):
        await strict.replay(bus.recent())


async def test_replay_needs_a_whole_run() -> None:
    bus = memory()
    agent = Agent("calc", model=scripted(), tools=[add, mul], memory=bus)
    result = await agent.run("go")
    twin = Agent("calc", model=FunctionModel(str), tools=[add, mul])
    with pytest.raises(ReplayError, match="no run 'nope'"):
        await twin.replay(bus.recent(), run_id="nope")
    cut = bus.recent()[:-2]  # the last model answer and the answer are missing
    with pytest.raises(ReplayError, match="made model call 2, but the recording has 1"):
        await twin.replay(cut)
    with pytest.raises(ReplayError, match="has no task record"):
        await twin.replay(bus.recent()[1:], run_id=result.run_id)
    with pytest.raises(ReplayError, match="not a str"):
        await twin.replay("records")  # type: ignore[arg-type]
    with pytest.raises(ReplayError, match="hold no run"):
        await twin.replay([MemoryRecord(MemoryChannel.INPUT, "plain")])
    other = memory()
    for run in ("r1", "r2"):
        await Agent("x", model=ScriptedModel([Step.text("a")]), memory=other).run("q", run_id=run)
    with pytest.raises(ReplayError, match="2 runs; say which one"):
        await twin.replay(other.recent())


async def test_memory_tags_mark_every_record_and_are_checked() -> None:
    bus = memory()
    agent = Agent("s", model=ScriptedModel([Step.text("ok")]), memory=bus)
    await agent.run("my pin is 1234", memory_tags=("sensitive",))
    assert all(record.sensitive for record in bus.recent())
    with pytest.raises(RunInputError, match="not a str"):
        await agent.run("x", memory_tags="sensitive")  # type: ignore[arg-type]
    with pytest.raises(RunInputError, match="non-blank"):
        await agent.run("x", memory_tags=(" ",))


async def test_memory_must_be_a_bus() -> None:
    from mxp_agents.kernel import AgentConfigError

    with pytest.raises(AgentConfigError, match="memory must be a MemoryBus"):
        Agent("x", model=FunctionModel(str), memory=RingBuffer())  # type: ignore[arg-type]


async def test_streamed_runs_are_recorded_too() -> None:
    bus = memory()
    agent = Agent("calc", model=scripted(), tools=[add, mul], memory=bus)
    async with agent.run_stream("go") as events:
        async for _ in events:
            pass
    assert kinds(bus.recent())[0] == "TaskEntry"
    assert kinds(bus.recent())[-1] == "AnswerEntry"
    model_entries = [entry_of(r) for r in bus.recent() if isinstance(entry_of(r), ModelEntry)]
    assert len(model_entries) == 2
    calls = [entry_of(r) for r in bus.recent() if isinstance(entry_of(r), ToolCallEntry)]
    assert {c.call.name for c in calls if isinstance(c, ToolCallEntry)} == {"add", "mul"}
