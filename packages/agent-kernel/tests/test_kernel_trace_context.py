"""The OpenTelemetry trace context across an MXP hop (W3C ``traceparent`` in the metadata)."""

import msgspec
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext

from mxp.bodies import format_address
from mxp.registry import RegistryServer
from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import (
    Agent,
    AgentHooks,
    CallRequest,
    Kernel,
    KernelConfig,
    call_agent,
    peer_tool,
    stream_agent,
)
from mxp_agents.kernel._trace_context import extract_trace_context, inject_trace_context
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import ToolContext, tool

_body = msgspec.json.Decoder(dict[str, object])


class Bodies(AgentHooks):
    """Records the decoded body of every Call received."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []

    async def on_message(self, kernel, message, peer):
        self.bodies.append(_body.decode(message.payload))


@pytest.fixture
def tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def context_of(span: ReadableSpan) -> SpanContext:
    assert span.context is not None
    return span.context


def agent_id(span: ReadableSpan) -> object:
    return (span.attributes or {}).get("agent.id")


async def test_the_workers_call_span_continues_the_delegation_span(tracing):
    provider, exporter = tracing
    coordinator = Agent(
        "coordinator",
        model=ScriptedModel(
            [
                Step.tool_calls(ToolCall("c1", "ask_math", {"task": "add 2 and 3"})),
                Step.text("The worker says 5."),
            ]
        ),
        tools=[
            peer_tool("math.add", name="ask_math", description="Ask.", tracer_provider=provider)
        ],
    )
    seen: list[dict[str, object]] = []

    @tool
    async def add(a: int, b: int, context: ToolContext) -> int:
        """Add two numbers."""
        seen.append(dict(context.metadata))
        return a + b

    worker = Agent(
        "adder",
        model=ScriptedModel(
            [Step.tool_calls(ToolCall("w1", "add", {"a": 2, "b": 3})), Step.text("5")]
        ),
        tools=[add],
        capabilities=["math.add"],
    )
    bodies = Bodies()
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        address = format_address(*registry.address)
        async with (
            Kernel(
                worker, config=KernelConfig(registry=address), hooks=bodies,
                tracer_provider=provider,
            ).running(),
            Kernel(
                coordinator, config=KernelConfig(registry=address), tracer_provider=provider
            ).running() as kernel,
            Endpoint.bind("127.0.0.1", 0) as client,
        ):  # fmt: skip
            response = await call_agent(client, kernel.address, "what is 2 + 3?")
    assert response.text == "The worker says 5."
    [delegate] = named(exporter, "mxp.delegate")
    calls = {agent_id(span): span for span in named(exporter, "mxp.call")}
    outer, inner = calls[str(coordinator.id)], calls[str(worker.id)]
    assert outer.parent is None  # the client had no span: a new trace
    assert context_of(delegate).trace_id == context_of(outer).trace_id
    assert inner.parent is not None
    assert inner.parent.is_remote
    assert inner.parent.span_id == context_of(delegate).span_id
    assert context_of(inner).trace_id == context_of(delegate).trace_id
    # The W3C header went along in the body; the run and its tools do not see it.
    [body] = bodies.bodies
    metadata = body["metadata"]
    assert isinstance(metadata, dict)
    sent = context_of(delegate)
    trace_id, span_id = f"{sent.trace_id:032x}", f"{sent.span_id:016x}"
    assert str(metadata["traceparent"]).startswith(f"00-{trace_id}-{span_id}-")
    [tool_metadata] = seen
    assert "traceparent" not in tool_metadata
    assert "tracestate" not in tool_metadata
    assert "mxp.message_id" in tool_metadata


async def test_a_call_without_trace_context_starts_a_root_span(tracing):
    provider, exporter = tracing
    bodies = Bodies()
    agent = Agent("plain", model=FunctionModel(lambda request: "ok"))
    async with (
        Kernel(agent, hooks=bodies, tracer_provider=provider).running() as kernel,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        response = await call_agent(client, kernel.address, CallRequest(task="hi"))
        events = [
            event
            async for event in stream_agent(
                client, kernel.address, CallRequest(task="again", metadata={"tenant": "acme"})
            )
        ]
    assert response.text == "ok"
    assert events[-1].text == "ok"  # type: ignore[union-attr]
    assert bodies.bodies == [{"task": "hi"}, {"task": "again", "stream": True,
                                               "metadata": {"tenant": "acme"}}]  # fmt: skip
    spans = named(exporter, "mxp.call")
    assert len(spans) == 2
    assert all(span.parent is None for span in spans)
    assert context_of(spans[0]).trace_id != context_of(spans[1]).trace_id


async def test_a_streamed_call_continues_the_callers_span(tracing):
    provider, exporter = tracing
    tracer = provider.get_tracer("test")
    agent = Agent("streamer", model=FunctionModel(lambda request: "ok"))
    async with (
        Kernel(agent, tracer_provider=provider).running() as kernel,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        with tracer.start_as_current_span("caller") as caller:
            events = [event async for event in stream_agent(client, kernel.address, "hi")]
    assert events[-1].text == "ok"  # type: ignore[union-attr]
    [span] = named(exporter, "mxp.call")
    assert span.parent is not None
    assert span.parent.span_id == caller.get_span_context().span_id
    assert context_of(span).trace_id == caller.get_span_context().trace_id


async def test_a_malformed_carrier_is_dropped_and_the_span_is_a_root(tracing):
    provider, exporter = tracing
    agent = Agent("strict", model=FunctionModel(lambda request: "ok"))
    request = CallRequest(task="hi", metadata={"traceparent": "garbage", "tenant": "acme"})
    async with (
        Kernel(agent, tracer_provider=provider).running() as kernel,
        Endpoint.bind("127.0.0.1", 0) as client,
    ):
        response = await call_agent(client, kernel.address, request)
    assert response.text == "ok"
    [span] = named(exporter, "mxp.call")
    assert span.parent is None


def test_inject_adds_nothing_without_a_current_span():
    request = CallRequest(task="hi")
    assert inject_trace_context(request) is request


def test_inject_keeps_a_carrier_the_caller_set(tracing):
    provider, _ = tracing
    explicit = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    request = CallRequest(task="hi", metadata={"traceparent": explicit})
    with provider.get_tracer("test").start_as_current_span("caller"):
        assert inject_trace_context(request) is request
        injected = inject_trace_context(CallRequest(task="hi", metadata={"tenant": "acme"}))
    assert injected.metadata["tenant"] == "acme"
    assert injected.metadata["traceparent"].startswith("00-")


def test_extract_splits_the_carrier_from_the_metadata():
    header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    metadata: dict[str, object] = {"traceparent": header, "tracestate": "k=v", "tenant": "acme"}
    parent, rest = extract_trace_context(metadata)
    assert rest == {"tenant": "acme"}
    assert parent is not None
    from opentelemetry import trace

    context = trace.get_current_span(parent).get_span_context()
    assert context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert context.span_id == 0xB7AD6B7169203331
    assert context.is_remote
    plain: dict[str, object] = {"tenant": "acme"}
    assert extract_trace_context(plain) == (None, plain)
    assert extract_trace_context(plain)[1] is plain
    assert extract_trace_context({"traceparent": 7}) == (None, {})
