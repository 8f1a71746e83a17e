"""Linking spans across an MXP hop and printing them as a tree (synthetic spans)."""

from __future__ import annotations

import io

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, set_span_in_context
from rich.console import Console

from mxp_agents.cli import main
from mxp_agents.cli._trace import mxp_links, mxp_trace_ids, normalise_id, span_id, span_parents
from mxp_agents.cli._trace_tree import render_trace


def spans_of_a_delegation() -> tuple[ReadableSpan, ...]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span(
            "agent.run", attributes={"agent.name": "coordinator", "agent.id": "c-1"}
        ),
        tracer.start_as_current_span(
            "mxp.delegate",
            kind=SpanKind.CLIENT,
            attributes={"mxp.trace_id": "00000000000000ff", "mxp.peer.id": "w-1"},
        ),
    ):
        # The callee's server span starts a new OTel trace (another task, another context).
        callee = tracer.start_span(
            "mxp.call",
            kind=SpanKind.SERVER,
            context=Context(),
            attributes={"mxp.trace_id": "00000000000000ff", "agent.id": "w-1"},
        )
        with tracer.start_as_current_span(
            "agent.run",
            context=set_span_in_context(callee),
            attributes={
                "agent.name": "worker",
                "agent.id": "w-1",
                "mxp.trace_id": "0x00000000000000FF",
            },
        ):
            pass
        callee.end()
    with tracer.start_as_current_span("unrelated", attributes={"mxp.trace_id": "01"}):
        pass
    return exporter.get_finished_spans()


def test_the_callee_hangs_under_the_delegation() -> None:
    spans = spans_of_a_delegation()
    by_name = {(span.name, (span.attributes or {}).get("agent.name")): span for span in spans}
    parents = span_parents(spans)
    callee = next(span for span in spans if span.name == "mxp.call")
    delegate = next(span for span in spans if span.name == "mxp.delegate")
    assert parents[span_id(callee)] == span_id(delegate)
    assert mxp_links(spans) == {span_id(callee)}
    worker_run = by_name[("agent.run", "worker")]
    assert parents[span_id(worker_run)] == span_id(callee)
    assert parents[span_id(by_name[("unrelated", None)])] is None
    assert mxp_trace_ids(spans) == {"00000000000000ff", "01"}


def test_render_marks_the_hop_and_names_agents() -> None:
    console = Console(file=io.StringIO(), width=200)
    console.print(render_trace(spans_of_a_delegation(), title="t"))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    lines = text.splitlines()
    assert lines[0] == "t"
    assert "agent.run" in lines[1]
    assert "agent=coordinator" in lines[1]
    assert "mxp.delegate" in lines[2]
    assert "to=worker" in lines[2]
    assert "⇢ over MXP mxp.call" in lines[3]
    assert "agent=worker" in lines[3]
    assert "trace_id=0x00000000000000ff" in lines[4]
    assert " ms" in lines[4]
    assert "unrelated" in lines[5]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(255, "00000000000000ff"), ("0xABC", "abc"), ("00ff", "00ff")],
)
def test_normalise_id(value: object, expected: str) -> None:
    assert normalise_id(value) == expected


def test_demo_runs_twice_in_one_process(capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):
        assert main(["demo", "--model", "scripted"]) == 0
        out = capsys.readouterr().out
        assert "⇢ over MXP" in out
        assert "OK - demo finished" in out


def test_a_server_span_under_a_client_span_is_a_hop_too() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("mxp.delegate", kind=SpanKind.CLIENT),
        tracer.start_as_current_span("mxp.call", kind=SpanKind.SERVER),
    ):
        pass
    spans = exporter.get_finished_spans()
    server = next(span for span in spans if span.name == "mxp.call")
    assert mxp_links(spans) == {span_id(server)}
