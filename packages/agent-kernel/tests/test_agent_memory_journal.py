"""Runs recorded in a durable journal: replayed after reopening it, replayed by another agent
that reads the run over MXP, and recalled by agents sharing a memory service - with sensitive
records kept out of the remote store."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import Agent, MxpJournal, MxpVectorStore, entry_of, serve_memory
from mxp_agents.memory import (
    EmbeddedVectorStore,
    FileJournal,
    MemoryBus,
    MemoryChannel,
    MemoryRecord,
)
from mxp_agents.memory.testing import HashEmbedder
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import tool

RUNS: list[str] = []


@tool
def lookup(city: str) -> str:
    """The weather in a city."""
    RUNS.append(city)
    return {"Paris": "sunny, 21 C", "Oslo": "snow, -3 C"}[city]


def weather_model() -> ScriptedModel:
    return ScriptedModel(
        [
            Step.tool_calls(ToolCall("c1", "lookup", {"city": "Paris"})),
            Step.tool_calls(ToolCall("c2", "lookup", {"city": "Oslo"})),
            Step.text("Paris is sunny (21 C); Oslo has snow (-3 C)."),
        ]
    )


def never_called() -> FunctionModel:
    def fail(request: object) -> str:
        raise AssertionError("a replay must not call the model")

    return FunctionModel(fail)


async def test_a_run_is_replayed_exactly_from_the_reopened_journal(tmp_path: Path) -> None:
    async with FileJournal.opened(tmp_path / "journal", durability="always") as journal:
        bus = MemoryBus(journal=journal)
        agent = Agent("weather", model=weather_model(), tools=[lookup], memory=bus)
        result = await agent.run("Weather in Paris and Oslo?")
        chatty = Agent("chatty", model=ScriptedModel([Step.text("hi")]), memory=bus)
        await chatty.run("Hello?", run_id="other")  # another run in the same journal
    RUNS.clear()
    async with FileJournal.opened(tmp_path / "journal") as reopened:
        entries = [entry async for entry in reopened.read(run_id=result.run_id)]
        assert [type(entry_of(e.record)).__name__ for e in entries] == [
            "TaskEntry",
            "ModelEntry",
            "ToolCallEntry",
            "ToolResultEntry",
            "ModelEntry",
            "ToolCallEntry",
            "ToolResultEntry",
            "ModelEntry",
            "AnswerEntry",
        ]
        twin = Agent("weather", model=never_called(), tools=[lookup])
        replayed = await twin.replay(reopened, run_id=result.run_id)
    assert RUNS == []  # no tool ran
    assert replayed.output == result.output
    assert replayed.messages == result.messages
    assert [(r.call, r.result) for r in replayed.tool_calls] == [
        (r.call, r.result) for r in result.tool_calls
    ]
    assert (replayed.usage, replayed.steps, replayed.cost) == (
        result.usage,
        result.steps,
        result.cost,
    )


async def test_another_agent_replays_a_run_streamed_over_mxp(tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        journal = await stack.enter_async_context(FileJournal.opened(tmp_path / "journal"))
        agent = Agent(
            "weather", model=weather_model(), tools=[lookup], memory=MemoryBus(journal=journal)
        )
        result = await agent.run("Weather in Paris and Oslo?")
        server = await stack.enter_async_context(serve_memory(journal=journal).running())
        endpoint = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
        remote = await stack.enter_async_context(MxpJournal(server.address, endpoint=endpoint))
        RUNS.clear()
        other = Agent("auditor", model=never_called(), tools=[lookup])
        replayed = await other.replay(remote, run_id=result.run_id)
    assert RUNS == []
    assert (replayed.output, replayed.messages) == (result.output, result.messages)


async def test_agents_share_recall_through_a_memory_service_and_sensitive_stays_home(
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        served = EmbeddedVectorStore(64)
        server = await stack.enter_async_context(serve_memory(vectors=served).running())
        buses: list[MemoryBus] = []
        for _ in range(2):
            endpoint = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
            store = await stack.enter_async_context(
                MxpVectorStore(server.address, endpoint=endpoint)
            )
            buses.append(MemoryBus(vectors=store, embedder=HashEmbedder(64)))
        first = Agent("first", model=ScriptedModel([Step.text("noted")] * 2), memory=buses[0])
        await first.run("The staging database password rotates every Friday.")
        await first.run("My bank PIN is 4321.", memory_tags=("sensitive",))
        second = Agent("second", model=ScriptedModel([Step.text("ok")]), memory=buses[1])
        await second.run("The deploy window is Tuesday at 10:00.")
        hits = await buses[1].recall("when does the database password rotate?", top_k=1)
        assert hits[0].metadata["text"] == "The staging database password rotates every Friday."
        assert hits[0].metadata["channel"] == "input"
        texts = {m.metadata["text"] for m in await buses[1].recall("bank PIN", top_k=10)}
        assert "My bank PIN is 4321." not in texts  # never left the first agent
        assert any(r.sensitive for r in buses[0].recent())  # but the first agent kept it
        inputs = [r for r in buses[0].recent() if r.channel is MemoryChannel.INPUT]
        assert len(inputs) == 2
        assert await served.count() == 4  # task and answer of 2 runs; not the sensitive run


async def test_a_policy_engine_decides_what_leaves_through_the_memory_gate(tmp_path: Path) -> None:
    from mxp_agents.kernel import policy_gate
    from mxp_agents.policy import load_rules

    rules = write_rules(tmp_path / "policy.toml")
    engine = load_rules(rules)
    embedder = HashEmbedder(32, remote=True, name="hosted")
    bus = MemoryBus(
        vectors=EmbeddedVectorStore(32), embedder=embedder, gate=policy_gate(engine, "agent-1")
    )
    public = await bus.write(MemoryRecord(MemoryChannel.INPUT, "the weather is nice"))
    internal = await bus.write(
        MemoryRecord(MemoryChannel.INPUT, "quarterly numbers", tags=("internal",))
    )
    secret = await bus.write(MemoryRecord(MemoryChannel.INPUT, "pin 1234", tags=("sensitive",)))
    assert (public.indexed, public.blocked) == (True, None)
    assert (internal.indexed, internal.blocked) == (False, "the gate check refused it")
    assert (secret.indexed, secret.blocked) == (False, "record is tagged 'sensitive'")
    assert embedder.texts == 1


def write_rules(path: Path) -> Path:
    path.write_text(
        """
[policy]
default = "allow"

[[policy.rules]]
name = "internal-stays-home"
decision = "deny"
reason = "internal records are not sent to hosted services"
when.message_type = "memory"
when.tags = ["internal"]
""",
        encoding="utf-8",
    )
    return path
