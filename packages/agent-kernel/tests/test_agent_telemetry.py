"""OpenTelemetry spans of runs, model calls and tool calls (in-memory exporter of the SDK)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import StatusCode
from opentelemetry.util._once import Once

from mxp_agents.adapters import RateLimitedError
from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.kernel import Agent
from mxp_agents.kernel._telemetry import current_tracer
from mxp_agents.primitives import ToolCall, Usage
from mxp_agents.tools import tool


@tool
async def add(a: int, b: int) -> int:
    """Add."""
    return a + b


@tool
async def fail() -> int:
    """Fail."""
    raise RuntimeError("boom")


def install(provider: TracerProvider | None) -> None:
    """Replace the global tracer provider (the API allows setting it once per process)."""
    trace._TRACER_PROVIDER_SET_ONCE = Once()  # pyright: ignore[reportPrivateUsage]
    trace._TRACER_PROVIDER = None  # pyright: ignore[reportPrivateUsage]
    if provider is not None:
        trace.set_tracer_provider(provider)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """A tracer provider with an in-memory exporter, for this test only."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    install(provider)
    try:
        yield spans
    finally:
        install(None)
        provider.shutdown()


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def test_spans_of_a_run(exporter: InMemorySpanExporter) -> None:
    model = ScriptedModel(
        [
            Step.tool_calls(
                ToolCall("c1", "add", {"a": 1, "b": 2}),
                ToolCall("c2", "fail"),
                usage=Usage(input_tokens=10, output_tokens=4),
            ),
            Step.text("3", usage=Usage(input_tokens=20, output_tokens=1)),
        ]
    )
    agent = Agent("calc", model=model, tools=[add, fail])
    result = await agent.run(
        "add", run_id="run-7", trace_id=0xABC, metadata={"mxp.message_id": 0x10}
    )
    spans = exporter.get_finished_spans()
    [run] = by_name(spans, "agent.run")
    models = by_name(spans, "agent.model_call")
    tools = by_name(spans, "agent.tool_call")
    assert (len(models), len(tools)) == (2, 2)
    assert run.attributes is not None
    assert dict(run.attributes) == {
        "agent.id": str(agent.id),
        "agent.name": "calc",
        "task.id": "run-7",
        "mxp.trace_id": "0x0000000000000abc",
        "mxp.message_id": "0x0000000000000010",
        "gen_ai.usage.input_tokens": 30,
        "gen_ai.usage.output_tokens": 5,
        "agent.stop_reason": "completed",
        "agent.steps": 2,
    }
    assert run.status.status_code is StatusCode.UNSET
    assert run.context is not None
    for child in (*models, *tools):
        assert child.parent is not None
        assert child.parent.span_id == run.context.span_id
        assert child.context is not None
        assert child.context.trace_id == run.context.trace_id
    first = models[0].attributes
    assert first is not None
    assert first["gen_ai.usage.input_tokens"] == 10
    assert first["gen_ai.usage.output_tokens"] == 4
    assert first["gen_ai.request.model"] == "scripted"
    assert first["agent.step"] == 1
    named = {span.attributes["gen_ai.tool.name"]: span for span in tools if span.attributes}
    assert named["add"].status.status_code is StatusCode.UNSET
    assert named["fail"].status.status_code is StatusCode.ERROR
    assert named["fail"].status.description == "tool 'fail' failed: RuntimeError: boom"
    assert result.ok


async def test_failed_run_spans(exporter: InMemorySpanExporter) -> None:
    model = ScriptedModel([Step.error(RateLimitedError("slow down"))])
    result = await Agent("e", model=model).run("x")
    spans = exporter.get_finished_spans()
    [run] = by_name(spans, "agent.run")
    [call] = by_name(spans, "agent.model_call")
    assert call.status.status_code is StatusCode.ERROR
    assert run.status.status_code is StatusCode.ERROR
    assert run.status.description == result.error
    assert run.attributes is not None
    assert run.attributes["agent.stop_reason"] == "model_error"
    assert "mxp.trace_id" not in run.attributes


async def test_streamed_runs_have_the_same_spans(exporter: InMemorySpanExporter) -> None:
    model = ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "add", {"a": 1, "b": 2})), Step.text("3")]
    )
    async with Agent("s", model=model, tools=[add]).run_stream("x") as stream:
        async for _ in stream:
            pass
    names = sorted(span.name for span in exporter.get_finished_spans())
    assert names == ["agent.model_call", "agent.model_call", "agent.run", "agent.tool_call"]


async def test_sampled_out_spans_get_no_attributes() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    install(provider)
    try:
        model = ScriptedModel([Step.text("ok")])
        assert (await Agent("off", model=model).run("x")).ok
        assert spans.get_finished_spans() == ()
    finally:
        install(None)


async def test_no_sdk_means_no_tracer() -> None:
    install(None)
    assert current_tracer() is None
    assert (await Agent("quiet", model=ScriptedModel([Step.text("ok")])).run("x")).ok
