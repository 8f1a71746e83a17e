"""Models served over MXP on a real mesh (UDP on 127.0.0.1, a real registry): an agent whose
model is another agent, two agents sharing one served model, discovery and failover."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
import trio

from mxp.bodies import format_address
from mxp.registry import Registration, RegistryClient, RegistryServer
from mxp.transport import Endpoint, current_trace_id
from mxp_agents.adapters import NO_RETRY, ModelRequest, TransientModelError
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    AgentState,
    CallResponse,
    CallTextDelta,
    Kernel,
    KernelConfig,
    MxpModel,
    call_agent,
    serve_model,
    stream_agent,
)
from mxp_agents.primitives import Message, ToolCall
from mxp_agents.tools import tool


@tool(capabilities=("math.basic",))
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


def ask(text: str) -> ModelRequest:
    return ModelRequest((Message.user(text),))


def calculator_script() -> ScriptedModel:
    return ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "add", {"a": 2, "b": 3})), Step.text("2 + 3 = 5")],
        model_name="Calc-1",
    )


@pytest.mark.parametrize("streamed", [False, True])
async def test_an_agent_whose_model_is_served_by_another_agent_runs_end_to_end(streamed):
    served = calculator_script()
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        config = KernelConfig(registry=format_address(*registry.address))
        server = serve_model(served, config=config)
        assert server.capability == "model.scripted.calc-1"
        agent = Agent(
            "calc",
            model=MxpModel("model.scripted.calc-1"),  # endpoint and registry: the kernel's
            tools=[add],
            capabilities=["math.basic"],
        )
        async with (
            server.running(),
            Kernel(agent, config=config).running() as kernel,
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            if streamed:
                events = [e async for e in stream_agent(client, kernel.address, "what is 2 + 3?")]
                response = events[-1]
                assert isinstance(response, CallResponse)
                text = "".join(e.text for e in events if isinstance(e, CallTextDelta))
                assert text == "2 + 3 = 5"
            else:
                response = await call_agent(client, kernel.address, "what is 2 + 3?")
    assert response.text == "2 + 3 = 5"
    assert response.ok
    assert [(c.id, c.name, c.is_error) for c in response.tool_calls] == [("c1", "add", False)]
    assert response.steps == 2
    assert response.usage.total > 0
    # The served model saw the tool offered, then the tool's result matched to its call.
    first, second = served.requests
    assert [t.name for t in first.tools] == ["add"]
    assert second.messages[-1].content == "5"
    assert second.messages[-1].tool_call_id == "c1"


async def test_the_model_call_continues_the_callers_trace():
    traces: list[int | None] = []

    def answer(request: ModelRequest) -> str:
        traces.append(current_trace_id())
        return "ok"

    async with (
        serve_model(FunctionModel(answer)).running() as server,
        Kernel(Agent("a", model=MxpModel(server.address))).running() as kernel,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        response = await call_agent(client, kernel.address, "hi", trace_id=0x5EED)
    assert response.text == "ok"
    assert traces == [0x5EED]


async def test_two_agents_share_one_served_model_concurrently():
    arrived: list[str] = []
    both = trio.Event()

    async def answer(request: ModelRequest) -> str:
        arrived.append(request.messages[-1].content)
        if len(arrived) == 2:
            both.set()
        with trio.fail_after(5):  # both calls must be in flight at once
            await both.wait()
        return "echo: " + request.messages[-1].content

    served = FunctionModel(answer, model_name="echo")
    async with (
        serve_model(served, config=KernelConfig(max_concurrency=4)).running() as server,
        Kernel(Agent("first", model=MxpModel(server.address))).running() as first,
        Kernel(Agent("second", model=MxpModel(server.address))).running() as second,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        answers: dict[str, str] = {}

        async def ask_agent(name: str, address) -> None:
            answers[name] = (await call_agent(client, address, f"hello from {name}")).text

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ask_agent, "first", first.address)
            nursery.start_soon(ask_agent, "second", second.address)
        assert server.kernel.scheduler.stats().peak_running == 2
    assert answers == {"first": "echo: hello from first", "second": "echo: hello from second"}
    assert sorted(arrived) == ["hello from first", "hello from second"]


async def test_a_served_model_registers_and_is_found_by_capability():
    async with (
        RegistryServer.open("127.0.0.1", 0) as registry,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        config = KernelConfig(registry=format_address(*registry.address), version="1.2.0")
        async with trio.open_nursery() as nursery:
            server = await nursery.start(serve_model(FunctionModel(str), name="gpu-1").serve)
            assert server.state is AgentState.ACTIVE
            assert server.name == "gpu-1"
            nursery.cancel_scope.cancel()
        assert server.state is AgentState.TERMINATED
        server = serve_model(FunctionModel(lambda r: "hi"), config=config, name="gpu-2")
        async with server.running():
            [record] = await RegistryClient(client, registry.address).discover(server.capability)
            assert (record.name, record.id, record.version) == ("gpu-2", server.agent_id, "1.2.0")
            model = MxpModel(server.capability, endpoint=client, registry=config.registry)
            response = await model.complete(ask("hi"))
        assert (response.text, response.provider, response.model) == ("hi", "function", "function")
        assert model.model_name == "model.function.function"
        # Deregistered on the way out: nothing to find any more.
        gone = MxpModel(
            server.capability, endpoint=client, registry=config.registry, retry=NO_RETRY
        )
        with pytest.raises(TransientModelError, match="no model server with capability"):
            await gone.complete(ask("hi"))


def answering(name: str) -> FunctionModel:
    return FunctionModel(lambda request: name, model_name="shared")


async def test_a_dead_registered_server_gives_way_to_a_live_one():
    async with AsyncExitStack() as stack:
        registry = await stack.enter_async_context(RegistryServer.open("127.0.0.1", 0))
        client = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
        async with Endpoint.bind("127.0.0.1", 0) as gone:
            dead = format_address(*gone.local_address)  # nothing listens there any more
        await RegistryClient(client, registry.address).register(
            Registration(id="ghost", name="ghost", capabilities=["model.x.shared"], address=dead)
        )
        config = KernelConfig(registry=format_address(*registry.address))
        await stack.enter_async_context(
            serve_model(answering("live"), config=config, capability="model.x.shared").running()
        )
        model = MxpModel(
            "model.x.shared",
            endpoint=client,
            registry=config.registry,
            connect_timeout=0.3,
            timeout=5.0,
            retry=NO_RETRY,
        )
        started = trio.current_time()
        response = await model.complete(ask("hi"))  # the ghost, registered first, is tried first
        elapsed = trio.current_time() - started
        assert response.text == "live"
        assert 0.25 <= elapsed < 2.0
        events = [event async for event in model.stream(ask("hi"))]  # the ghost is dropped now
        assert "".join(getattr(e, "text", "") for e in events) == "live"


async def test_a_stopped_server_is_skipped_for_the_next_one():
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        config = KernelConfig(registry=format_address(*registry.address))
        capability = "model.x.shared"
        async with (
            serve_model(answering("second"), config=config, capability=capability).running(),
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            model = MxpModel(
                capability,
                endpoint=client,
                registry=config.registry,
                connect_timeout=0.3,
                timeout=5.0,
                retry=NO_RETRY,
            )
            async with serve_model(
                answering("first"), config=config, capability=capability
            ).running():
                answers = {(await model.complete(ask("hi"))).text for _ in range(2)}
            assert answers == {"first", "second"}  # round robin over both
            # "first" is gone but still in the model's cache: each call still gets an answer.
            answers = [(await model.complete(ask("hi"))).text for _ in range(3)]
    assert answers == ["second"] * 3


async def test_a_suspended_server_gives_way_at_once():
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        config = KernelConfig(registry=format_address(*registry.address))
        capability = "model.x.shared"
        async with (
            serve_model(
                answering("asleep"), config=config, capability=capability
            ).running() as asleep,
            serve_model(answering("awake"), config=config, capability=capability).running(),
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            await asleep.kernel.suspend()
            model = MxpModel(
                capability, endpoint=client, registry=config.registry, timeout=5.0, retry=NO_RETRY
            )
            started = trio.current_time()
            answers = [(await model.complete(ask("hi"))).text for _ in range(4)]
            elapsed = trio.current_time() - started
    assert answers == ["awake"] * 4
    assert elapsed < 1.0  # refused at once, no timeout waited for
