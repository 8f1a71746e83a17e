"""Requests, decisions, fingerprints and fail-closed consultation."""

from __future__ import annotations

import math

import msgspec
import pytest
import trio

from mxp_agents.policy import (
    FAIL_CLOSED,
    AuditEvent,
    DecisionKind,
    EmitEvent,
    InvalidPolicy,
    InvokeTool,
    MemoryWrite,
    ModelInference,
    OutboundMessage,
    PolicyAction,
    PolicyContext,
    PolicyDecision,
    PolicyEngine,
    PolicyRequest,
    consult,
    fingerprint,
)

AGENT = "0190c3a0-0000-7000-8000-000000000001"


def test_actions_round_trip_tagged_on_kind() -> None:
    actions: list[PolicyAction] = [
        InvokeTool("pay", "1.0.0", {"amount": 120}),
        ModelInference("openai", "gpt-4o-mini"),
        MemoryWrite("tool", ("sensitive",)),
        OutboundMessage("call", "payments.refund"),
        EmitEvent("deploy", {"env": "prod"}),
    ]
    for action in actions:
        data = msgspec.json.encode(PolicyRequest(AGENT, action))
        assert msgspec.json.decode(data, type=PolicyRequest).action == action
    assert [a.label for a in actions] == [
        "tool `pay`",
        "model `openai/gpt-4o-mini`",
        "memory `tool`",
        "message `call` to `payments.refund`",
        "event `deploy`",
    ]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: InvokeTool(" "), r"must not be blank - at \$\.action\.name"),
        (lambda: ModelInference("openai", ""), r"must not be blank - at \$\.action\.model"),
        (lambda: MemoryWrite("tool", ("",)), r"must not be blank - at \$\.action\.tags\[0\]"),
        (
            lambda: PolicyContext(tags=("ok", 3)),  # type: ignore[arg-type]
            r"expected str, got int - at \$\.context\.tags\[1\]",
        ),
        (lambda: PolicyRequest("", EmitEvent("x")), r"must not be blank - at \$\.agent_id"),
        (lambda: PolicyRequest(AGENT, "pay"), r"a policy action, got str - at \$\.action"),  # type: ignore[arg-type]
    ],
)
def test_bad_requests_name_the_path(build: object, message: str) -> None:
    with pytest.raises(InvalidPolicy, match=message):
        build()  # type: ignore[operator]


def test_decisions() -> None:
    assert PolicyDecision.allow().is_allow
    deny = PolicyDecision.deny("no")
    assert (deny.is_deny, deny.reason) == (True, "no")
    escalate = PolicyDecision.escalate("big", ["finance", "cfo"])
    assert (escalate.kind, escalate.approvers) == (DecisionKind.ESCALATE, ("finance", "cfo"))
    assert msgspec.json.encode(PolicyDecision.allow()) == b'{"kind":"allow"}'
    with pytest.raises(InvalidPolicy, match=r"a escalate needs a reason - at \$\.reason"):
        PolicyDecision.escalate("")
    with pytest.raises(InvalidPolicy, match=r"only an escalation names approvers"):
        PolicyDecision(DecisionKind.DENY, "no", ("x",))
    with pytest.raises(InvalidPolicy, match=r"kind must be"):
        PolicyDecision("maybe", "x")  # type: ignore[arg-type]


def test_fingerprint_binds_the_exact_call() -> None:
    pay = InvokeTool("pay", arguments={"amount": 120, "to": "acme"})
    same = InvokeTool("pay", arguments={"to": "acme", "amount": 120})  # key order does not matter
    assert fingerprint(AGENT, pay) == fingerprint(AGENT, same)
    other = InvokeTool("pay", arguments={"amount": 121, "to": "acme"})
    assert fingerprint(AGENT, pay) != fingerprint(AGENT, other)
    assert fingerprint(AGENT, pay) != fingerprint("another-agent", pay)


class Fixed:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    async def evaluate(self, request: PolicyRequest) -> PolicyDecision:
        if isinstance(self.answer, BaseException):
            raise self.answer
        if self.answer == "hang":
            await trio.sleep_forever()
        return self.answer  # type: ignore[return-value]


async def test_consult_fails_closed() -> None:
    request = PolicyRequest(AGENT, InvokeTool("pay"))
    assert isinstance(Fixed(None), PolicyEngine)
    assert (await consult(Fixed(PolicyDecision.allow()), request)).is_allow
    broken = await consult(Fixed(RuntimeError("down")), request)
    assert broken.is_deny
    expected = f"policy engine failed for tool `pay`: RuntimeError('down') ({FAIL_CLOSED})"
    assert broken.reason == expected
    slow = await consult(Fixed("hang"), request, within=0.05)
    assert slow.is_deny
    assert "did not answer for tool `pay` within 0.05 s" in (slow.reason or "")
    wrong = await consult(Fixed("yes"), request)
    assert wrong.is_deny
    assert "answered str, not a PolicyDecision" in (wrong.reason or "")
    with pytest.raises(ValueError, match="within must be"):
        await consult(Fixed(None), request, within=math.inf)


def test_audit_event_of_a_decision() -> None:
    request = PolicyRequest(AGENT, InvokeTool("pay"), PolicyContext({"run_id": "r1"}, ("prod",)))
    event = AuditEvent.of(request, PolicyDecision.escalate("big", ["finance"]), timestamp=1.5)
    assert (event.subject, event.decision, event.reason, event.approvers) == (
        "tool `pay`",
        DecisionKind.ESCALATE,
        "big",
        ("finance",),
    )
    assert (event.metadata, event.tags, event.timestamp) == ({"run_id": "r1"}, ("prod",), 1.5)
