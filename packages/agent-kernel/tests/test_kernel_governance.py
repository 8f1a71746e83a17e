"""Governance over MXP: a governance agent answers approval requests as Calls, records the
agents' audit events (acknowledged, through a durable outbox), and a delegation the policy
denies sends nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest
import trio

from mxp.bodies import format_address
from mxp.registry import RegistryServer
from mxp.transport import Endpoint
from mxp_agents.adapters.testing import FunctionModel, ScriptedModel, Step
from mxp_agents.kernel import Agent, AgentHooks, Kernel, KernelConfig, peer_tool
from mxp_agents.kernel._governance_server import serve_governance
from mxp_agents.kernel._governance_service import AuditBody, Verdict
from mxp_agents.kernel._mxp_governance import MxpApprovals, MxpAuditSink
from mxp_agents.policy import (
    ApprovalError,
    ApprovalRecord,
    ApprovalRequest,
    ApprovalStatus,
    AuditError,
    PolicyDecision,
    PolicyRequest,
)
from mxp_agents.policy._approvals._file import FileApprovalStore
from mxp_agents.policy._audit._outbox import Backoff, Outbox
from mxp_agents.primitives import ToolCall
from mxp_agents.tools import tool

if TYPE_CHECKING:
    from pathlib import Path

PAID: list[int] = []


@tool
def pay(amount: int) -> str:
    """Pay an amount."""
    PAID.append(amount)
    return f"paid {amount}"


@pytest.fixture(autouse=True)
def _reset() -> None:
    PAID.clear()


class Table:
    def __init__(self, decisions: dict[str, PolicyDecision]) -> None:
        self.decisions = decisions

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        return self.decisions.get(request.subject, PolicyDecision.allow())


ESCALATE = Table({"tool `pay`": PolicyDecision.escalate("payments need approval", ["bot"])})


def paying(amount: int) -> ScriptedModel:
    return ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "pay", {"amount": amount})), Step.text("done")]
    )


async def bot(request: ApprovalRequest) -> Verdict:
    amount = request.action.arguments["amount"]  # pyright: ignore[reportAttributeAccessIssue]
    if amount <= 500:
        return Verdict(approve=True, by="bot", note="within the daily limit")
    return Verdict(approve=False, by="bot", note="over the daily limit")


async def test_a_governance_agent_answers_approvals_over_mxp(tmp_path: Path) -> None:
    store = FileApprovalStore(tmp_path)
    async with (
        serve_governance(store, decide=bot).running() as governance,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        approvals = MxpApprovals(governance.address, endpoint=endpoint)
        models = {amount: paying(amount) for amount in (120, 900)}
        for amount, model in models.items():
            agent = Agent("payer", model=model, tools=[pay], policy=ESCALATE, approvals=approvals)
            await agent.run(f"pay {amount}")
        records = await approvals.list()
    assert PAID == [120]
    assert (
        models[900].requests[1].messages[-1].content.endswith("denied by bot: over the daily limit")
    )
    assert sorted(record.status.value for record in records) == ["approved", "denied"]
    assert len(await store.list()) == 2  # kept durably by the governance agent


class Submitted(FileApprovalStore):
    """The governance agent's store, telling the test when a request arrived."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.arrived = trio.Event()

    async def submit(self, request: ApprovalRequest) -> ApprovalRecord:
        record = await super().submit(request)
        self.arrived.set()
        return record


async def test_a_pending_approval_is_decided_by_another_client_over_mxp(tmp_path: Path) -> None:
    store = Submitted(tmp_path)
    async with (
        RegistryServer.open("127.0.0.1", 0) as registry,
        serve_governance(
            store, config=KernelConfig(registry=format_address(*registry.address))
        ).running(),
        Endpoint.bind("127.0.0.1", 0) as endpoint,
        Endpoint.bind("127.0.0.1", 0) as console,
    ):
        where = format_address(*registry.address)
        approvals = MxpApprovals(endpoint=endpoint, registry=where)  # found by capability
        agent = Agent("payer", model=paying(120), tools=[pay], policy=ESCALATE,
                      approvals=approvals)  # fmt: skip
        human = MxpApprovals(endpoint=console, registry=where)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(agent.run, "pay 120")
            with trio.fail_after(10):
                await store.arrived.wait()
            [record] = await human.list(ApprovalStatus.PENDING)
            with pytest.raises(ApprovalError, match="fingerprint"):
                await human.decide(record.request.id, approve=True, by="bot",
                                   fingerprint="0" * 64)  # fmt: skip
            await human.decide(
                record.request.id, approve=True, by="bot", fingerprint=record.request.fingerprint
            )
    assert PAID == [120]


async def test_an_unreachable_governance_agent_fails_closed() -> None:
    async with Endpoint.bind("127.0.0.1", 0) as gone:
        nobody = gone.local_address  # closed: nothing answers there any more
    async with Endpoint.bind("127.0.0.1", 0) as endpoint:
        approvals = MxpApprovals(nobody, endpoint=endpoint, timeout=0.3)
        model = paying(120)
        agent = Agent("payer", model=model, tools=[pay], policy=ESCALATE, approvals=approvals,
                      policy_timeout=1.0)  # fmt: skip
        await agent.run("pay 120")
    assert PAID == []
    assert "fail closed" in model.requests[1].messages[-1].content


async def test_audit_events_reach_the_governance_agent_with_the_reference_body(
    tmp_path: Path,
) -> None:
    received: list[AuditBody] = []
    raw: list[bytes] = []

    async def on_audit(body: AuditBody) -> None:
        received.append(body)

    deny = Table({"tool `pay`": PolicyDecision.deny("payments are frozen")})
    async with (
        serve_governance(FileApprovalStore(tmp_path), on_audit=on_audit).running() as gov,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        sink = MxpAuditSink(gov.address, endpoint=endpoint)
        original = sink.send

        async def spy(body: bytes) -> None:
            raw.append(body)
            await original(body)

        sink.send = spy  # type: ignore[method-assign]
        agent = Agent("payer", model=paying(120), tools=[pay], policy=deny, policy_audit=sink)
        await agent.run("pay", run_id="r-audit")
    assert PAID == []
    [body] = received  # allows are not sent (deny and escalate only)
    assert (body.decision, body.subject, body.reason) == (
        "Deny",
        "tool `pay`",
        "payments are frozen",
    )
    assert body.agent_id == str(agent.id)
    assert body.metadata == {"run_id": "r-audit"}
    keys = list(msgspec.json.decode(raw[0]))
    assert keys == ["agent_id", "approvers", "decision", "metadata", "reason", "subject"]


async def test_a_governance_agent_without_on_audit_refuses_events(tmp_path: Path) -> None:
    async with (
        serve_governance(FileApprovalStore(tmp_path)).running() as gov,
        Endpoint.bind("127.0.0.1", 0) as endpoint,
    ):
        sink = MxpAuditSink(gov.address, endpoint=endpoint)
        with pytest.raises(AuditError, match="records no audit events"):
            await sink.send(b'{"agent_id":"a","approvers":[],"decision":"Deny","metadata":{},'
                            b'"reason":"no","subject":"tool `pay`"}')  # fmt: skip


async def test_the_audit_outbox_survives_a_restart_and_delivers(tmp_path: Path) -> None:
    deny = Table({"tool `pay`": PolicyDecision.deny("payments are frozen")})
    async with Endpoint.bind("127.0.0.1", 0) as endpoint:
        async with Outbox(tmp_path / "outbox") as outbox:
            sink = MxpAuditSink(("127.0.0.1", 9), endpoint=endpoint, outbox=outbox)
            agent = Agent("payer", model=paying(5), tools=[pay], policy=deny, policy_audit=sink)
            await agent.run("pay 5")  # the governance agent is down: the event is queued
            assert outbox.pending() == 1
        received: list[AuditBody] = []

        async def on_audit(body: AuditBody) -> None:
            received.append(body)

        async with (
            serve_governance(FileApprovalStore(tmp_path / "a"), on_audit=on_audit).running()
            as gov,
            Outbox(tmp_path / "outbox") as reopened,
        ):  # fmt: skip
            assert reopened.pending() == 1
            sink = MxpAuditSink(gov.address, endpoint=endpoint, outbox=reopened)
            with trio.fail_after(10):
                await sink.deliver(backoff=Backoff(initial=0.01), until_empty=True)
            assert reopened.pending() == 0
    assert [body.reason for body in received] == ["payments are frozen"]


class Calls(AgentHooks):
    def __init__(self) -> None:
        self.count = 0

    async def on_message(self, kernel: object, message: object, peer: object) -> None:
        self.count += 1


async def test_a_denied_delegation_sends_nothing() -> None:
    deny = Table({"message `call` to `math.add`": PolicyDecision.deny("no delegation")})
    calls = Calls()
    async with RegistryServer.open("127.0.0.1", 0) as registry:
        where = format_address(*registry.address)
        worker = Agent("adder", model=FunctionModel(lambda request: "5"), capabilities=["math.add"])
        async with (
            Kernel(worker, config=KernelConfig(registry=where), hooks=calls).running(),
            Endpoint.bind("127.0.0.1", 0) as endpoint,
        ):
            ask = peer_tool("math.add", name="ask_math", description="Ask the math agent.",
                            endpoint=endpoint, registry=registry.address)  # fmt: skip
            model = ScriptedModel(
                [Step.tool_calls(ToolCall("c1", "ask_math", {"task": "2 + 3"})), Step.text("ok")]
            )
            agent = Agent("coordinator", model=model, tools=[ask], policy=deny)
            await agent.run("add")
            allowed = ScriptedModel(
                [Step.tool_calls(ToolCall("c1", "ask_math", {"task": "2 + 3"})), Step.text("ok")]
            )
            await Agent("coordinator", model=allowed, tools=[ask], policy=Table({})).run("add")
    assert "denied by policy: no delegation" in model.requests[1].messages[-1].content
    assert allowed.requests[1].messages[-1].content == "5"
    assert calls.count == 1  # only the allowed delegation reached the worker
