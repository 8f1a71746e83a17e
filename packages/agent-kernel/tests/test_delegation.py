"""Delegation: an agent calls a peer found by capability through the registry, over MXP."""

from contextlib import AsyncExitStack

import pytest
import trio
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mxp import MessageType
from mxp.bodies import format_address
from mxp.registry import Registration, RegistryClient, RegistryServer
from mxp.transport import Endpoint
from mxp_agents.adapters import ModelError
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    AgentHooks,
    CallRequest,
    DelegationError,
    Kernel,
    KernelConfig,
    call_agent,
    peer_tool,
)
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import Tool, ToolArgumentsError, ToolContext, ToolExecutor, ToolRegistry


class TraceLog(AgentHooks):
    def __init__(self) -> None:
        self.trace_ids: list[int] = []

    async def on_message(self, kernel, message, peer):
        self.trace_ids.append(message.trace_id)


def worker(name: str, answer: str, hooks: AgentHooks | None = None, **config) -> Kernel:
    model = FunctionModel(lambda request: f"{answer} ({request.messages[-1].content})")
    agent = Agent(name, model=model, capabilities=["math.add"])
    return Kernel(agent, config=KernelConfig(**config), hooks=hooks)


def ask_math(**options) -> Tool:
    return peer_tool("math.add", name="ask_math", description="Ask the math agent.", **options)


async def test_a_coordinator_delegates_to_a_worker_with_the_trace_id_carried():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    coordinator_model = ScriptedModel(
        [
            Step.tool_calls(ToolCall("c1", "ask_math", {"task": "add 2 and 3"})),
            Step.text("The worker says 5."),
        ]
    )
    coordinator = Agent(
        "coordinator", model=coordinator_model, tools=[ask_math(tracer_provider=provider)]
    )
    log = TraceLog()
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        address = format_address(*registry.address)
        async with (
            worker("adder", "5", hooks=log, registry=address).running(),
            Kernel(coordinator, config=KernelConfig(registry=address)).running() as kernel,
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            response = await call_agent(client, kernel.address, "what is 2 + 3?", trace_id=0x5EED)
    assert response.text == "The worker says 5."
    assert response.trace_id == 0x5EED
    assert log.trace_ids == [0x5EED]  # the delegated Call continued the caller's trace
    tool_answer = coordinator_model.requests[1].messages[-1]
    assert tool_answer.content == "5 (add 2 and 3)"
    [span] = [s for s in exporter.get_finished_spans() if s.name == "mxp.delegate"]
    attributes = dict(span.attributes or {})
    assert attributes["mxp.capability"] == "math.add"
    assert attributes["mxp.trace_id"] == "0x0000000000005eed"
    assert attributes["agent.id"] == str(coordinator.id)


async def test_a_busy_or_slow_peer_is_skipped_for_another_one():
    async def hang(message, peer):
        await trio.sleep_forever()

    log = TraceLog()
    async with RegistryServer.open("127.0.0.1", 0) as registry, AsyncExitStack() as stack:
        address = format_address(*registry.address)
        # A peer that never answers, registered with the capability.
        silent = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
        silent.set_handler(MessageType.CALL, hang)
        await RegistryClient(silent, registry.address).register(
            Registration(
                id="silent", name="silent", capabilities=["math.add"],
                address=format_address(*silent.local_address),
            )
        )  # fmt: skip
        suspended = await stack.enter_async_context(
            worker("sleepy", "never", registry=address).running()
        )
        await suspended.suspend()
        await stack.enter_async_context(worker("adder", "5", hooks=log, registry=address).running())
        client = await stack.enter_async_context(Endpoint.bind("127.0.0.1", 0))
        tool = ask_math(endpoint=client, registry=registry.address, attempt_timeout=0.3)
        answers = []
        for number in range(3):
            context = ToolContext(call_id=f"c{number}", trace_id=100 + number)
            answers.append(await tool.invoke({"task": f"sum {number}"}, context))
    assert answers == [f"5 (sum {number})" for number in range(3)]
    assert log.trace_ids == [100, 101, 102]


async def test_delegation_errors_are_reported_to_the_model():
    async with (
        RegistryServer.open("127.0.0.1", 0) as registry,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        tool = ask_math(endpoint=client, registry=registry.address)
        with pytest.raises(DelegationError, match=r"no agent with capability 'math\.add'"):
            await tool.invoke({"task": "1 + 1"}, ToolContext(call_id="c1"))
        # Through an executor, the failure becomes an error result for the model.
        executor = ToolExecutor(ToolRegistry([tool]))
        result = await executor.execute(ToolCall("c2", "ask_math", {"task": "1 + 1"}))
    assert result.is_error
    assert "no agent with capability 'math.add'" in result.content


async def test_a_peer_that_does_not_complete_fails_the_delegation():
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        address = format_address(*registry.address)
        failing = Agent(
            "failing",
            model=ScriptedModel([Step.error(ModelError("model down"))]),
            capabilities=["math.add"],
        )
        async with (
            Kernel(failing, config=KernelConfig(registry=address)).running(),
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            tool = ask_math(endpoint=client, registry=address)
            with pytest.raises(DelegationError, match="did not complete the task: model_error"):
                await tool.invoke({"task": "1 + 1"}, ToolContext(call_id="c1"))


async def test_a_peer_tool_outside_a_kernel_needs_an_endpoint():
    tool = ask_math()
    assert isinstance(tool, Tool)
    assert tool.key == "ask_math@1.0.0"
    assert tool.definition.parameters["required"] == ["task"]
    with pytest.raises(DelegationError, match="pass endpoint= and registry="):
        await tool.invoke({"task": "x"}, ToolContext(call_id="c1"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "missing required argument 'task'"),
        ({"task": 3}, "expected str, got int - at $.task"),
        ({"task": " "}, "task cannot be empty - at $.task"),
        ({"task": "x", "other": 1}, "unknown argument 'other' - at $.other"),
    ],
)
def test_arguments_are_validated(arguments, message):
    with pytest.raises(ToolArgumentsError) as caught:
        ask_math().validate(arguments)
    assert str(caught.value) == message


def test_bad_options_are_refused():
    with pytest.raises(DelegationError, match="attempts"):
        ask_math(attempts=0)
    with pytest.raises(DelegationError, match="timeout"):
        ask_math(timeout=0)


async def test_a_call_request_with_messages_can_be_delegated_by_hand():
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        address = format_address(*registry.address)
        async with (
            worker("adder", "5", registry=address).running() as kernel,
            Endpoint.bind("127.0.0.1", 0) as client,
        ):
            [record] = await RegistryClient(client, registry.address).discover("math.add")
            response = await call_agent(client, record.address, CallRequest(task="2 + 3"))
            assert record.address == format_address(*kernel.address)
    assert response.text == "5 (2 + 3)"
