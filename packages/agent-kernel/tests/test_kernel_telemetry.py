"""OpenTelemetry spans of handled Calls, with a tracer provider given to the kernel."""

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import mxp
from mxp import MessageType
from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel
from mxp_agents.kernel import Agent, CallRequest, Kernel, call_agent


@pytest.fixture
def tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


async def test_each_call_has_an_mxp_call_span(tracing):
    provider, exporter = tracing
    agent = Agent("traced", model=FunctionModel(lambda request: "ok"))
    kernel = Kernel(agent, tracer_provider=provider)
    async with kernel.running(), Endpoint.bind("127.0.0.1", 0) as client:
        request = CallRequest(task="hi", run_id="run-7")
        await call_agent(client, kernel.address, request, trace_id=0xABC)
        refused = mxp.Message.new(MessageType.CALL, b'{"task": ""}', trace_id=0xDEF)
        reply = await client.request(refused, kernel.address, timeout=5)
        assert reply.type is MessageType.ERROR
    spans = sorted(
        (span for span in exporter.get_finished_spans() if span.name == "mxp.call"),
        key=lambda span: span.start_time or 0,
    )
    assert len(spans) == 2
    done, refusal = spans
    assert done.kind is SpanKind.SERVER
    attributes = dict(done.attributes or {})
    assert attributes["mxp.trace_id"] == "0x0000000000000abc"
    assert attributes["agent.id"] == str(agent.id)
    assert attributes["task.id"] == "run-7"
    assert attributes["mxp.peer"] == "{}:{}".format(*client.local_address)
    assert len(str(attributes["mxp.message_id"])) == 18
    assert done.status.status_code is not StatusCode.ERROR
    assert dict(refusal.attributes or {})["mxp.error_code"] == "invalid_request"
    assert dict(refusal.attributes or {})["mxp.trace_id"] == "0x0000000000000def"
    assert refusal.status.status_code is StatusCode.ERROR
