"""Starting and stopping a kernel: registry registration, heartbeats and one deregistration,
hooks, suspension, failed starts and misuse."""

from contextlib import asynccontextmanager

import pytest
import trio

from mxp import Flags, MessageType
from mxp.bodies import format_address
from mxp.registry import RegistryClientConfig, RegistryServer
from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    AgentHooks,
    AgentState,
    CallError,
    InvalidTransition,
    Kernel,
    KernelConfig,
    KernelConfigError,
    KernelError,
    call_agent,
    current_kernel,
)
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import tool

FAST = RegistryClientConfig(heartbeat_interval=0.05, request_timeout=1.0)


def echo_agent(name: str = "echo", **options) -> Agent:
    return Agent(name, model=FunctionModel(lambda request: request.messages[-1].content), **options)


class CountingRegistry:
    """An embedded registry that counts heartbeats and deregistrations as they arrive."""

    def __init__(self, server: RegistryServer) -> None:
        self.server = server
        self.heartbeats = 0
        self.deregistrations = 0
        self.three_heartbeats = trio.Event()
        server.endpoint.set_handler(MessageType.AGENT_HEARTBEAT, self._on_heartbeat)

    async def _on_heartbeat(self, message, peer):
        if message.flags & Flags.FINAL:
            self.deregistrations += 1
        else:
            self.heartbeats += 1
            if self.heartbeats >= 3:
                self.three_heartbeats.set()
        return self.server.handle(message)

    @property
    def address(self) -> str:
        return format_address(*self.server.address)


@asynccontextmanager
async def counting_registry():
    async with RegistryServer.open("127.0.0.1", 0) as server:
        yield CountingRegistry(server)


async def test_registers_heartbeats_and_deregisters_exactly_once():
    agent = echo_agent(capabilities=["demo.echo", "demo.upper"])
    async with counting_registry() as registry:
        kernel = Kernel(agent, config=KernelConfig(registry=registry.address, registry_client=FAST))
        assert kernel.state is AgentState.INIT
        async with kernel.running() as running:
            assert running.state is AgentState.ACTIVE
            [record] = registry.server.discover("demo.echo")
            assert record.id == str(agent.id)
            assert record.name == "echo"
            assert record.address == format_address(*running.address)
            assert record.capabilities == ["demo.echo", "demo.upper"]
            with trio.fail_after(5):
                await registry.three_heartbeats.wait()
            assert running.registration is not None
            # The client sends a heartbeat only after the previous one was answered.
            assert running.registration.heartbeats >= 2
        assert kernel.state is AgentState.TERMINATED
        assert registry.deregistrations == 1
        assert registry.server.list_agents() == []


async def test_configured_capabilities_are_advertised_instead_of_the_agents():
    agent = echo_agent(capabilities=["demo.echo"])
    async with counting_registry() as registry:
        config = KernelConfig(registry=registry.address, capabilities=("text.shout",), tags=("x",))
        async with Kernel(agent, config=config).running() as kernel:
            assert kernel.capabilities == ("text.shout",)
            [record] = registry.server.discover("text.shout")
            assert record.tags == ["x"]
            assert registry.server.discover("demo.echo") == []


class RecordingHooks(AgentHooks):
    def __init__(self) -> None:
        self.seen: list[tuple[str, AgentState]] = []
        self.ticks = 0
        self.ticked = trio.Event()
        self.peers: list[tuple[str, int]] = []

    async def on_bootstrap(self, kernel):
        self.seen.append(("bootstrap", kernel.state))

    async def on_message(self, kernel, message, peer):
        self.seen.append(("message", kernel.state))
        self.peers.append(peer)
        if b"forbidden" in message.payload:
            raise PermissionError("not for you")

    async def on_tick(self, kernel):
        self.ticks += 1
        if self.ticks == 2:
            self.seen.append(("tick", kernel.state))
            self.ticked.set()

    async def on_shutdown(self, kernel):
        self.seen.append(("shutdown", kernel.state))


async def test_hooks_are_called_in_lifecycle_order():
    hooks = RecordingHooks()
    kernel = Kernel(echo_agent(), config=KernelConfig(tick_interval=0.01), hooks=hooks)
    async with kernel.running() as running, Endpoint.bind("127.0.0.1", 0) as client:
        response = await call_agent(client, running.address, "hello")
        assert response.text == "hello"
        with pytest.raises(CallError) as caught:
            await call_agent(client, running.address, "forbidden words")
        with trio.fail_after(5):
            await hooks.ticked.wait()
    assert (caught.value.code, caught.value.error) == ("rejected", "PermissionError: not for you")
    assert hooks.seen == [
        ("bootstrap", AgentState.READY),
        ("message", AgentState.ACTIVE),
        ("message", AgentState.ACTIVE),
        ("tick", AgentState.ACTIVE),
        ("shutdown", AgentState.RETIRING),
    ]
    assert hooks.peers == [client.local_address] * 2
    assert kernel.state is AgentState.TERMINATED


async def test_a_suspended_agent_refuses_calls_with_a_retry_hint_until_resumed():
    config = KernelConfig(suspended_retry_after_ms=750)
    async with Kernel(echo_agent(), config=config).running() as kernel:
        async with Endpoint.bind("127.0.0.1", 0) as client:
            await kernel.suspend()
            assert kernel.state is AgentState.SUSPENDED
            with pytest.raises(CallError) as caught:
                await call_agent(client, kernel.address, "hi")
            assert (caught.value.code, caught.value.retry_after_ms) == ("suspended", 750)
            assert caught.value.retryable
            with pytest.raises(InvalidTransition):
                await kernel.suspend()
            await kernel.resume()
            assert (await call_agent(client, kernel.address, "back")).text == "back"
            with pytest.raises(InvalidTransition, match="from Active via Resume"):
                await kernel.resume()
        await kernel.suspend()  # a suspended kernel still shuts down cleanly
    assert kernel.state is AgentState.TERMINATED


async def test_a_failing_bootstrap_aborts_the_start():
    class Broken(AgentHooks):
        async def on_bootstrap(self, kernel):
            raise RuntimeError("no database")

    kernel = Kernel(echo_agent(), hooks=Broken())
    with pytest.raises(RuntimeError, match="no database"):
        async with kernel.running():
            pytest.fail("the body must not run")
    assert kernel.state is AgentState.TERMINATED
    with pytest.raises(KernelError, match="not running"):
        _ = kernel.address


async def test_an_unreachable_registry_aborts_the_start():
    async with Endpoint.bind("127.0.0.1", 0) as silent:  # nothing answers there
        config = KernelConfig(
            registry=format_address(*silent.local_address),
            registry_client=RegistryClientConfig(
                request_timeout=0.05, register_timeout=0.2, initial_retry_delay=0.05,
                max_retry_delay=0.05,
            ),
        )  # fmt: skip
        kernel = Kernel(echo_agent(), config=config)
        with pytest.raises(KernelError, match="could not register"):
            async with kernel.running():
                pytest.fail("the body must not run")
    assert kernel.state is AgentState.TERMINATED


async def test_the_body_error_comes_out_as_is_after_a_graceful_stop():
    async with counting_registry() as registry:
        kernel = Kernel(echo_agent(), config=KernelConfig(registry=registry.address))
        with pytest.raises(ValueError, match="user code"):
            async with kernel.running():
                raise ValueError("user code")
        assert kernel.state is AgentState.TERMINATED
        assert registry.deregistrations == 1


async def test_serve_runs_until_cancelled():
    async with counting_registry() as registry:
        kernel = Kernel(echo_agent(), config=KernelConfig(registry=registry.address))
        async with trio.open_nursery() as nursery:
            started = await nursery.start(kernel.serve)
            assert started is kernel
            assert kernel.state is AgentState.ACTIVE
            nursery.cancel_scope.cancel()
        assert kernel.state is AgentState.TERMINATED
        assert registry.deregistrations == 1


async def test_a_kernel_runs_once():
    kernel = Kernel(echo_agent())
    async with kernel.running():
        pass
    with pytest.raises(KernelError, match="already ran"):
        async with kernel.running():
            pass


async def test_an_unspecified_bind_address_needs_an_advertised_one():
    async with counting_registry() as registry:
        kernel = Kernel(
            echo_agent(), config=KernelConfig(host="0.0.0.0", registry=registry.address)
        )
        with pytest.raises(KernelConfigError, match="advertise_address"):
            async with kernel.running():
                pass
        config = KernelConfig(
            host="0.0.0.0", registry=registry.address, advertise_address="127.0.0.1:9999"
        )
        async with Kernel(echo_agent(), config=config).running():
            [record] = registry.server.list_agents()
            assert record.address == "127.0.0.1:9999"


async def test_tools_see_the_kernel_handling_their_call():
    @tool
    async def whoami() -> str:
        """Name the kernel running this call."""
        kernel = current_kernel()
        return "none" if kernel is None else kernel.name

    model = ScriptedModel([Step.tool_calls(ToolCall("c1", "whoami")), Step.text("done")])
    agent = Agent("finder", model=model, tools=[whoami])
    async with Kernel(agent).running() as kernel, Endpoint.bind("127.0.0.1", 0) as client:
        await call_agent(client, kernel.address, "who?")
    assert model.requests[1].messages[-1].content == "finder"
    assert current_kernel() is None


async def test_serve_raises_a_failed_start_as_is():
    class Broken(AgentHooks):
        async def on_bootstrap(self, kernel):
            raise RuntimeError("no database")

    kernel = Kernel(echo_agent(), hooks=Broken())
    with pytest.raises(RuntimeError, match="no database"):
        await kernel.serve()
    assert kernel.state is AgentState.TERMINATED
