"""Escalation in the agent loop: the step waits on a durable approval in a file store, decided
by another process; it runs exactly once when approved, never when denied or expired, and a
restarted run finds the approval it asked for."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
import trio

from mxp_agents.adapters.testing import ScriptedModel, Step
from mxp_agents.kernel import Agent, StopReason
from mxp_agents.kernel._governor import approval_id
from mxp_agents.policy import (
    ApprovalError,
    ApprovalRecord,
    ApprovalRequest,
    ApprovalStatus,
    AuditEvent,
    DecisionKind,
    InvokeTool,
    PolicyDecision,
    PolicyRequest,
    fingerprint,
)
from mxp_agents.policy._approvals._file import FileApprovalStore
from mxp_agents.primitives import AgentId, ToolCall, random_agent_id
from mxp_agents.tools import tool

if TYPE_CHECKING:
    from pathlib import Path

PAID: list[int] = []

DECIDE = """
import sys, trio
from mxp_agents.policy._approvals._file import FileApprovalStore

async def main(directory, approval, verdict):
    store = FileApprovalStore(directory)
    record = await store.get(approval)
    await store.decide(approval, approve=verdict == "approve", by="alice",
                       fingerprint=record.request.fingerprint, note="checked by phone")

trio.run(main, *sys.argv[1:])
"""


@tool
def pay(amount: int) -> str:
    """Pay an amount."""
    PAID.append(amount)
    return f"paid {amount}"


@pytest.fixture(autouse=True)
def _reset() -> None:
    PAID.clear()


class Escalating:
    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        if request.subject == "tool `pay`":
            return PolicyDecision.escalate("payments need finance", ["alice"])
        return PolicyDecision.allow()


class Recorder:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    async def record(self, event: AuditEvent) -> None:
        self.events.append(event)


class Watched:
    """The agent's store, telling the test when a request was submitted."""

    def __init__(self, inner: FileApprovalStore) -> None:
        self.inner = inner
        self.submitted = trio.Event()
        self.ids: list[str] = []

    async def submit(self, request: ApprovalRequest) -> ApprovalRecord:
        record = await self.inner.submit(request)
        self.ids.append(request.id)
        self.submitted.set()
        return record

    async def get(self, approval_id: str) -> ApprovalRecord:
        return await self.inner.get(approval_id)

    async def list(self, status: ApprovalStatus | None = None) -> list[ApprovalRecord]:
        return await self.inner.list(status)

    async def decide(
        self, approval_id: str, *, approve: bool, by: str, fingerprint: str,
        note: str | None = None,
    ) -> ApprovalRecord:  # fmt: skip
        return await self.inner.decide(
            approval_id, approve=approve, by=by, fingerprint=fingerprint, note=note
        )

    async def wait(self, approval_id: str) -> ApprovalRecord:
        return await self.inner.wait(approval_id)


def paying() -> ScriptedModel:
    return ScriptedModel(
        [Step.tool_calls(ToolCall("c1", "pay", {"amount": 120})), Step.text("done")]
    )


def payer(store: Any, *, id: AgentId | None = None, **options: Any) -> Agent[str]:
    model: Any = options.pop("model", None) or paying()
    return Agent(
        "payer", model=model, tools=[pay], policy=Escalating(), approvals=store, id=id, **options
    )


async def decide_elsewhere(directory: Path, approval: str, verdict: str) -> None:
    done = await trio.run_process(
        [sys.executable, "-c", DECIDE, str(directory), approval, verdict],
        capture_stderr=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()


async def run_decided(agent: Agent[str], store: Watched, verdict: str, directory: Path) -> object:
    results: list[object] = []
    async with trio.open_nursery() as nursery:

        async def go() -> None:
            results.append(await agent.run("pay 120", run_id="run-1"))

        nursery.start_soon(go)
        with trio.fail_after(10):
            await store.submitted.wait()
        await decide_elsewhere(directory, store.ids[0], verdict)
    return results[0]


async def test_an_escalated_call_approved_by_another_process_runs_exactly_once(
    tmp_path: Path,
) -> None:
    store = Watched(FileApprovalStore(tmp_path))
    sink = Recorder()
    model = paying()
    agent = payer(store, model=model, policy_audit=sink)
    result = await run_decided(agent, store, "approve", tmp_path)
    assert PAID == [120]
    assert result.output == "done"  # type: ignore[attr-defined]
    assert model.requests[1].messages[-1].content == "paid 120"
    [record] = await store.list()
    assert record.status is ApprovalStatus.APPROVED
    assert record.decided_by == "alice"
    request = record.request
    assert request.run_id == "run-1"
    assert request.approvers == ("alice",)
    assert request.fingerprint == fingerprint(str(agent.id), request.action)
    assert request.fallback is DecisionKind.DENY
    tool_events = [e for e in sink.events if e.subject == "tool `pay`"]
    assert [e.decision for e in tool_events] == [DecisionKind.ESCALATE, DecisionKind.ALLOW]
    assert {e.approval_id for e in tool_events} == {request.id}
    assert tool_events[1].reason == f"approval {request.id} approved by alice: checked by phone"


async def test_an_escalated_call_denied_by_another_process_never_runs(tmp_path: Path) -> None:
    store = Watched(FileApprovalStore(tmp_path))
    model = paying()
    result = await run_decided(payer(store, model=model), store, "deny", tmp_path)
    assert PAID == []
    assert result.output == "done"  # type: ignore[attr-defined]
    [record] = await store.list()
    assert model.requests[1].messages[-1].content == (
        f"denied by policy: approval {record.request.id} denied by alice: checked by phone"
    )


@pytest.mark.parametrize("fallback", ["deny", "allow"])
async def test_at_the_deadline_the_fallback_applies(tmp_path: Path, fallback: str) -> None:
    store = FileApprovalStore(tmp_path, poll_interval=0.02)
    model = paying()
    agent = payer(store, model=model, approval_timeout=0.3, approval_fallback=fallback)
    await agent.run("pay 120")
    [record] = await store.list()
    assert record.status is ApprovalStatus.EXPIRED
    assert ([120] if fallback == "allow" else []) == PAID
    if fallback == "deny":
        assert model.requests[1].messages[-1].content == (
            f"denied by policy: approval {record.request.id} for tool `pay` expired at its "
            "deadline (fallback: deny)"
        )


async def test_an_approval_for_another_fingerprint_is_refused(tmp_path: Path) -> None:
    store = Watched(FileApprovalStore(tmp_path))
    model = paying()
    agent = payer(store, model=model)
    results: list[object] = []
    async with trio.open_nursery() as nursery:

        async def go() -> None:
            results.append(await agent.run("pay 120", run_id="run-1"))

        nursery.start_soon(go)
        with trio.fail_after(10):
            await store.submitted.wait()
        other = fingerprint(str(agent.id), InvokeTool("pay", "1.0.0", {"amount": 9999}))
        with pytest.raises(ApprovalError, match="fingerprint"):
            await FileApprovalStore(tmp_path).decide(
                store.ids[0], approve=True, by="alice", fingerprint=other
            )
        [record] = await store.list()
        assert record.status is ApprovalStatus.PENDING  # the refused approval changed nothing
        await decide_elsewhere(tmp_path, store.ids[0], "deny")
    assert PAID == []


async def test_a_stored_approval_of_another_call_cannot_authorise_this_one(
    tmp_path: Path,
) -> None:
    agent_id = random_agent_id()
    store = FileApprovalStore(tmp_path)
    wanted = InvokeTool("pay", "1.0.0", {"amount": 120})
    print_ = fingerprint(str(agent_id), wanted)
    approval = approval_id("run-1", print_, 1)
    other = InvokeTool("pay", "1.0.0", {"amount": 9999})
    await store.submit(
        ApprovalRequest(
            id=approval, agent_id=str(agent_id), action=other,
            fingerprint=fingerprint(str(agent_id), other), reason="forged", run_id="run-1",
            created=time.time(), deadline=time.time() + 600,
        )
    )  # fmt: skip
    record = await store.get(approval)
    await store.decide(approval, approve=True, by="mallory", fingerprint=record.request.fingerprint)
    model = paying()
    await payer(store, id=agent_id, model=model).run("pay 120", run_id="run-1")
    assert PAID == []
    assert (
        model.requests[1]
        .messages[-1]
        .content.startswith(
            f"denied by policy: approval {approval} is bound to another call than tool `pay` "
        )
    )


async def test_a_restarted_run_finds_its_approval_and_runs_once(tmp_path: Path) -> None:
    agent_id = random_agent_id()
    first = Watched(FileApprovalStore(tmp_path))
    with trio.CancelScope() as crash:
        async with trio.open_nursery() as nursery:

            async def go() -> None:
                await payer(first, id=agent_id).run("pay 120", run_id="run-7")

            nursery.start_soon(go)
            with trio.fail_after(10):
                await first.submitted.wait()
            crash.cancel()  # the process dies while the step waits for its approval
    assert PAID == []
    await decide_elsewhere(tmp_path, first.ids[0], "approve")
    second = Watched(FileApprovalStore(tmp_path))
    model = paying()
    result = await payer(second, id=agent_id, model=model).run("pay 120", run_id="run-7")
    assert second.ids == []  # the approval was found again: nothing new was submitted
    assert len(await second.list()) == 1
    assert PAID == [120]
    assert result.stop_reason is StopReason.COMPLETED
    # one approval authorises one execution: the same call again in the run asks again
    twice = ScriptedModel(
        [
            Step.tool_calls(ToolCall("c1", "pay", {"amount": 120})),
            Step.tool_calls(ToolCall("c2", "pay", {"amount": 120})),
            Step.text("done"),
        ]
    )
    PAID.clear()
    third = FileApprovalStore(tmp_path)
    await payer(third, id=agent_id, model=twice, approval_timeout=0.2).run(
        "pay 120 twice", run_id="run-7"
    )
    assert PAID == [120]
    statuses = sorted(record.status.value for record in await third.list())
    assert statuses == ["approved", "expired"]
