"""Tracing span events, fan-out, and the reference runtime's MXP audit body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mxp_agents.policy import (
    AuditError,
    AuditEvent,
    AuditSink,
    DecisionKind,
    InvokeTool,
    ModelInference,
    PolicyContext,
    PolicyDecision,
    PolicyRequest,
)
from mxp_agents.policy._audit import (
    FanOut,
    HashChainLog,
    Outbox,
    OutboxSink,
    TracingSink,
    mxp_audit_body,
    mxp_audited,
    verify,
)

if TYPE_CHECKING:
    from pathlib import Path

AGENT = "0190c3a0-0000-7000-8000-000000000001"
REQUEST = PolicyRequest(
    AGENT,
    InvokeTool("pay", arguments={"amount": 120}),
    PolicyContext({"run_id": "r1", "z": {"b": 1, "a": [1.5, "é"]}, "amount": 120}),
)


def tracer() -> tuple[InMemorySpanExporter, TracerProvider]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter, provider


async def test_tracing_sink_adds_a_span_event_with_the_decision() -> None:
    exporter, provider = tracer()
    event = AuditEvent.of(
        REQUEST,
        PolicyDecision.escalate("big", ["finance", "cfo"]),
        timestamp=1.0,
        approval_id="ap1",
    )
    with provider.get_tracer("test").start_as_current_span("tool pay"):
        await TracingSink().record(event)
        await TracingSink().record(AuditEvent.of(REQUEST, PolicyDecision.allow(), timestamp=2.0))
    (span,) = exporter.get_finished_spans()
    escalated, allowed = span.events
    assert escalated.name == "policy.decision"
    assert dict(escalated.attributes or {}) == {
        "agent.id": AGENT,
        "policy.subject": "tool `pay`",
        "policy.decision": "escalate",
        "policy.action": "invoke_tool",
        "policy.reason": "big",
        "policy.approvers": ("finance", "cfo"),
        "policy.approval_id": "ap1",
    }
    assert dict(allowed.attributes or {}) == {
        "agent.id": AGENT,
        "policy.subject": "tool `pay`",
        "policy.decision": "allow",
        "policy.action": "invoke_tool",
    }


async def test_tracing_sink_outside_a_span_does_nothing() -> None:
    await TracingSink().record(AuditEvent.of(REQUEST, PolicyDecision.allow(), timestamp=1.0))


def test_sinks_satisfy_the_protocol(tmp_path: Path) -> None:
    for sink in (TracingSink(), FanOut(TracingSink()), HashChainLog(tmp_path / "a.log")):
        assert isinstance(sink, AuditSink)
    assert isinstance(OutboxSink(Outbox(tmp_path / "box")), AuditSink)


def test_mxp_body_is_the_reference_runtimes() -> None:
    deny = AuditEvent.of(REQUEST, PolicyDecision.deny("too much"), timestamp=1.0)
    assert mxp_audit_body(deny) == (
        b'{"agent_id":"0190c3a0-0000-7000-8000-000000000001","approvers":[],"decision":"Deny",'
        b'"metadata":{"amount":120,"run_id":"r1","z":{"a":[1.5,"\xc3\xa9"],"b":1}},'
        b'"reason":"too much","subject":"tool `pay`"}'
    )
    escalate = AuditEvent.of(
        PolicyRequest(AGENT, ModelInference("openai", "gpt-4o")),
        PolicyDecision.escalate("new model", ["ops"]),
        timestamp=1.0,
    )
    body = json.loads(mxp_audit_body(escalate))
    assert list(body) == sorted(body)
    assert body["decision"] == "Escalate"
    assert body["approvers"] == ["ops"]
    assert body["subject"] == "model `openai/gpt-4o`"
    assert body["metadata"] == {}
    allow = AuditEvent.of(REQUEST, PolicyDecision.allow(), timestamp=1.0)
    assert json.loads(mxp_audit_body(allow))["reason"] is None


def test_mxp_body_names_unencodable_metadata() -> None:
    request = PolicyRequest(AGENT, InvokeTool("pay"), PolicyContext({"bad": object()}))
    with pytest.raises(AuditError, match=r"cannot encode .* - at \$\.metadata"):
        mxp_audit_body(AuditEvent.of(request, PolicyDecision.deny("x"), timestamp=1.0))


def test_mxp_sends_deny_and_escalate_by_default_and_is_configurable() -> None:
    events = {
        kind: AuditEvent.of(REQUEST, decision, timestamp=1.0)
        for kind, decision in (
            (DecisionKind.ALLOW, PolicyDecision.allow()),
            (DecisionKind.DENY, PolicyDecision.deny("no")),
            (DecisionKind.ESCALATE, PolicyDecision.escalate("ask")),
        )
    }
    assert [mxp_audited(event) for event in events.values()] == [False, True, True]
    everything = list(DecisionKind)
    assert all(mxp_audited(event, everything) for event in events.values())
    assert [mxp_audited(e, [DecisionKind.DENY]) for e in events.values()] == [False, True, False]


async def test_outbox_sink_queues_only_audited_decisions(tmp_path: Path) -> None:
    async with Outbox(tmp_path / "box") as outbox:
        sink = OutboxSink(outbox)
        await sink.record(AuditEvent.of(REQUEST, PolicyDecision.allow(), timestamp=1.0))
        deny = AuditEvent.of(REQUEST, PolicyDecision.deny("no"), timestamp=1.0)
        await sink.record(deny)
        assert outbox.pending() == 1
        sent: list[bytes] = []

        async def send(item: bytes) -> None:
            sent.append(item)

        await outbox.deliver(send, until_empty=True)
    assert sent == [mxp_audit_body(deny)]


class Failing:
    def __init__(self, message: str) -> None:
        self.message = message
        self.seen: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.seen.append(event)
        raise OSError(self.message)


class Keeping:
    def __init__(self) -> None:
        self.seen: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.seen.append(event)


async def test_fan_out_gives_every_sink_every_event_and_raises_failures_after(
    tmp_path: Path,
) -> None:
    first, second, keeping = Failing("disk full"), Failing("no route"), Keeping()
    log = HashChainLog(tmp_path / "audit.log")
    event = AuditEvent.of(REQUEST, PolicyDecision.deny("no"), timestamp=1.0)
    async with log:
        fan = FanOut(first, keeping, second, log)
        with pytest.raises(AuditError) as caught:
            await fan.record(event)
    assert first.seen == second.seen == keeping.seen == [event]
    assert verify(tmp_path / "audit.log").entries == 1
    message = str(caught.value)
    assert message.startswith("2 of 4 audit sinks failed: sink 0 (Failing): OSError: disk full")
    assert "sink 2 (Failing): OSError: no route" in message
    group = caught.value.__cause__
    assert isinstance(group, ExceptionGroup)
    assert [str(error) for error in group.exceptions] == ["disk full", "no route"]


async def test_fan_out_passes_when_all_succeed_and_needs_a_sink() -> None:
    one, two = Keeping(), Keeping()
    event = AuditEvent.of(REQUEST, PolicyDecision.allow(), timestamp=1.0)
    await FanOut(one, two).record(event)
    await FanOut(one).record(event)
    assert one.seen == [event, event]
    assert two.seen == [event]
    with pytest.raises(AuditError, match="at least one sink"):
        FanOut()


async def test_fan_out_keeps_the_current_span_for_tracing() -> None:
    exporter, provider = tracer()
    with provider.get_tracer("test").start_as_current_span("call"):
        await FanOut(TracingSink(), Keeping()).record(
            AuditEvent.of(REQUEST, PolicyDecision.deny("no"), timestamp=1.0)
        )
    (span,) = exporter.get_finished_spans()
    assert [event.name for event in span.events] == ["policy.decision"]
