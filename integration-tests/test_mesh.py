"""A mesh of three agents over real UDP on 127.0.0.1 with an embedded registry: a coordinator
delegates to two workers found by capability; every hop continues the caller's trace."""

import re
from contextlib import aclosing

import trio

from mxp.bodies import format_address
from mxp.registry import RegistryServer
from mxp.transport import Endpoint
from mxp_agents.adapters import ModelResponse
from mxp_agents.adapters.testing import FunctionModel
from mxp_agents.kernel import (
    Agent,
    AgentHooks,
    CallResponse,
    CallToolFinished,
    Kernel,
    KernelConfig,
    call_agent,
    peer_tool,
    stream_agent,
)
from mxp_agents.primitives import Role, ToolCall
from mxp_agents.tools import tool


class Traces(AgentHooks):
    """Records the trace id of every Call an agent accepts."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def on_message(self, kernel, message, peer):
        self.seen.append(message.trace_id)


@tool(capabilities=("math.add",))
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


def adder_model(request) -> ModelResponse:
    """Calls `add` with the two numbers of the task, then answers with the tool's result."""
    last = request.messages[-1]
    if last.role is Role.TOOL:
        return ModelResponse(text=last.content)
    a, b = (int(n) for n in re.findall(r"-?\d+", last.content)[:2])
    return ModelResponse(tool_calls=(ToolCall("add_1", "add", {"a": a, "b": b}),))


def shouter_model(request) -> str:
    return request.messages[-1].content.upper() + "!"


def coordinator_model(request) -> ModelResponse:
    """Asks both workers at once, then combines their answers."""
    last = request.messages[-1]
    if last.role is Role.USER:
        numbers, word = last.content.split(" | ")
        return ModelResponse(
            tool_calls=(
                ToolCall("m", "ask_math", {"task": f"add {numbers}"}),
                ToolCall("t", "ask_text", {"task": word}),
            )
        )
    answers = {m.tool_call_id: m.content for m in request.messages if m.role is Role.TOOL}
    return ModelResponse(text=f"sum={answers['m']} shout={answers['t']}")


async def test_a_coordinator_delegates_to_two_workers_by_capability():
    adder_traces, shouter_traces = Traces(), Traces()
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        config = KernelConfig(registry=format_address(*registry.address))
        adder = Agent(
            "adder", model=FunctionModel(adder_model), tools=[add], capabilities=["math.add"]
        )
        shouter = Agent("shouter", model=FunctionModel(shouter_model))
        coordinator = Agent(
            "coordinator",
            model=FunctionModel(coordinator_model),
            tools=[
                peer_tool("math.add", name="ask_math", description="Ask the adder."),
                peer_tool("text.upper", name="ask_text", description="Ask the shouter."),
            ],
        )
        shouter_config = KernelConfig(
            registry=config.registry, capabilities=("text.upper",), description="shouts"
        )
        async with (
            Kernel(adder, config=config, hooks=adder_traces).running(),
            Kernel(shouter, config=shouter_config, hooks=shouter_traces).running(),
            Kernel(coordinator, config=config).running() as hub,
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            assert {a.name for a in registry.list_agents()} == {"adder", "shouter", "coordinator"}
            tasks = {1000 + n: (f"{n} and {n * 10}", f"hello {n}") for n in range(6)}
            answers: dict[int, CallResponse] = {}

            async def ask(trace_id: int, numbers: str, word: str) -> None:
                request = f"{numbers} | {word}"
                answers[trace_id] = await call_agent(
                    client, hub.address, request, trace_id=trace_id, timeout=30
                )

            async with trio.open_nursery() as nursery:
                for trace_id, (numbers, word) in tasks.items():
                    nursery.start_soon(ask, trace_id, numbers, word)

            # One more, streamed: the delegations show up as tool events.
            events = []
            stream = stream_agent(client, hub.address, "7 and 8 | bye", trace_id=2000)
            async with aclosing(stream) as received:
                async for event in received:
                    events.append(event)

        assert registry.list_agents() == []  # every agent deregistered on the way out

    for trace_id, response in answers.items():
        n = trace_id - 1000
        assert response.ok
        assert response.text == f"sum={n + n * 10} shout=HELLO {n}!"
        assert response.trace_id == trace_id
        assert sorted(call.name for call in response.tool_calls) == ["ask_math", "ask_text"]
    final = events[-1]
    assert isinstance(final, CallResponse)
    assert final.text == "sum=15 shout=BYE!"
    finished = [e for e in events if isinstance(e, CallToolFinished)]
    assert sorted(e.name for e in finished) == ["ask_math", "ask_text"]
    assert not any(e.is_error for e in finished)
    # Each worker handled exactly one delegated Call per task, in the caller's trace.
    expected = [*tasks, 2000]
    assert sorted(adder_traces.seen) == expected
    assert sorted(shouter_traces.seen) == expected
