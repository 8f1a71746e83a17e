"""The governance agent's wire and `GovernanceService`, its `CallService` (see
`serve_governance`): approval requests and decisions as Calls, and the reference runtime's
audit body as a Call acknowledged once recorded.

A Call body is JSON. With an ``"op"`` it is an approval operation - ``submit`` {request},
``get`` {id}, ``list`` {status?}, ``decide`` {id, approve, by, fingerprint, note?}, ``wait``
{id, within} - answered with the `ApprovalRecord` (a list for ``list``) or an Error of code
``approval_error``. Without one it is the audit body ``{"agent_id", "approvers", "decision",
"metadata", "reason", "subject"}``, answered ``{"recorded": true}`` once ``on_audit`` has it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import msgspec
import trio

from mxp import MessageType
from mxp_agents.kernel._call_body import InvalidCallBody
from mxp_agents.kernel._call_response import CallErrorBody
from mxp_agents.policy import ApprovalError, ApprovalRecord, ApprovalRequest, ApprovalStatus
from mxp_agents.primitives import random_agent_id
from mxp_agents.primitives import validation_error_parts as _parts

if TYPE_CHECKING:
    import mxp
    from mxp_agents.kernel._call_service import Accepted
    from mxp_agents.policy import ApprovalStore
    from mxp_agents.primitives import AgentId

__all__ = [
    "AuditBody",
    "Decide",
    "GovernanceCall",
    "GovernanceService",
    "Verdict",
    "decode_body",
    "encode_body",
]

_encode: Final = msgspec.json.Encoder(order="sorted").encode


class _Answered(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What every governance Call carries besides its content."""

    deadline_ms: int | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])

    @property
    def stream(self) -> bool:
        """Governance answers are unary."""
        return False

    @property
    def priority(self) -> Literal["interactive"]:
        """Approvals gate a waiting run: interactive."""
        return "interactive"


class _Op(_Answered, frozen=True, kw_only=True, tag_field="op"):
    """An approval operation, tagged on ``"op"``."""


class Submit(_Op, frozen=True, kw_only=True, tag="submit"):
    """Store an approval request (idempotent by id) and let ``decide`` answer it."""

    request: ApprovalRequest


class Get(_Op, frozen=True, kw_only=True, tag="get"):
    """One approval as it stands."""

    id: str


class List(_Op, frozen=True, kw_only=True, tag="list"):
    """Approvals, optionally one status only."""

    status: ApprovalStatus | None = None


class Decide(_Op, frozen=True, kw_only=True, tag="decide"):
    """Approve or deny a pending approval bound to ``fingerprint``."""

    id: str
    approve: bool
    by: str
    fingerprint: str
    note: str | None = None


class Wait(_Op, frozen=True, kw_only=True, tag="wait"):
    """The approval once decided, or as it stands after ``within`` seconds (a long poll)."""

    id: str
    within: float


class AuditBody(_Answered, frozen=True, kw_only=True):
    """The reference runtime's MXP audit body (deny and escalate decisions, by default)."""

    agent_id: str
    approvers: list[str]
    decision: str
    metadata: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])
    reason: str | None = None
    subject: str


GovernanceCall: TypeAlias = Submit | Get | List | Decide | Wait | AuditBody
"""A parsed governance Call."""


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """What a governance agent's ``decide`` callback answers: approve or deny, by whom, why.

    Example:
        >>> Verdict(approve=False, by="risk-bot", note="over the daily limit").approve
        False
    """

    approve: bool
    by: str
    note: str | None = None


Decider: TypeAlias = Callable[[ApprovalRequest], Awaitable[Verdict | None]]
AuditHandler: TypeAlias = Callable[[AuditBody], Awaitable[object]]


class _Head(msgspec.Struct, frozen=True):
    op: str | None = None


_head: Final = msgspec.json.Decoder(_Head)
_ops: Final = msgspec.json.Decoder(Submit | Get | List | Decide | Wait)
_audit: Final = msgspec.json.Decoder(AuditBody)
_wait_bounds: Final = (0.0, 300.0)


def encode_body(call: Submit | Get | List | Decide | Wait) -> bytes:
    """The JSON body of a governance Call.

    Example:
        >>> encode_body(Get(id="a1"))
        b'{"id":"a1","metadata":{},"op":"get"}'
    """
    return _encode(call)


def decode_body(payload: bytes) -> GovernanceCall:
    """The governance Call in ``payload``.

    Raises:
        InvalidCallBody: not JSON, an unknown op, a missing or mistyped field (with its path).

    Example:
        >>> decode_body(b'{"op": "get", "id": "a1"}').id
        'a1'
    """
    try:
        head = _head.decode(payload)
        if head.op is None:
            return _audit.decode(payload)
        call = _ops.decode(payload)
    except msgspec.ValidationError as error:
        reason, where = _parts(error)
        raise InvalidCallBody(reason, where) from None
    except msgspec.DecodeError as error:
        raise InvalidCallBody(f"not a JSON governance call: {error}") from None
    if isinstance(call, Wait) and not _wait_bounds[0] <= call.within <= _wait_bounds[1]:
        raise InvalidCallBody("within must be between 0 and 300 seconds", "$.within")
    return call


class GovernanceService:
    """The `CallService` of a governance agent: approvals kept in ``store``, decided by
    ``decide`` (when given) as they arrive, else by anyone sharing the store (the CLI, another
    governance call); audit bodies handed to ``on_audit``.

    Example:
        >>> kernel = Kernel(GovernanceService(store, name="governance",  # doctest: +SKIP
        ...                                   capabilities=("governance.approvals",)))
    """

    def __init__(
        self,
        store: ApprovalStore,
        *,
        name: str,
        capabilities: tuple[str, ...],
        decide: Decider | None = None,
        on_audit: AuditHandler | None = None,
    ) -> None:
        self.store: Final = store
        self.decide: Final = decide
        self.on_audit: Final = on_audit
        self._name = name
        self._capabilities = capabilities
        self._id = random_agent_id()

    @property
    def id(self) -> AgentId:
        """The server's agent id (random).

        Example:
            >>> service.id  # doctest: +SKIP
            UUID('5f0c6a8e-...')
        """
        return self._id

    @property
    def name(self) -> str:
        """The registered name.

        Example:
            >>> service.name  # doctest: +SKIP
            'governance'
        """
        return self._name

    def capabilities(self) -> tuple[str, ...]:
        """The capabilities advertised (``governance.approvals`` unless configured).

        Example:
            >>> service.capabilities()  # doctest: +SKIP
            ('governance.approvals',)
        """
        return self._capabilities

    def parse(self, payload: bytes) -> GovernanceCall:
        """A governance Call body, or `InvalidCallBody`.

        Example:
            >>> service.parse(b'{"op": "list"}').status is None  # doctest: +SKIP
            True
        """
        return decode_body(payload)

    def immediate(self, call: GovernanceCall) -> None:
        """Nothing is answered before the scheduler.

        Example:
            >>> service.immediate(call) is None  # doctest: +SKIP
            True
        """
        return None

    async def respond(self, call: GovernanceCall, accepted: Accepted) -> mxp.Message:
        """Answer one governance Call (an `ApprovalError` becomes an ``approval_error``).

        Example:
            >>> reply = await service.respond(call, accepted)  # doctest: +SKIP
        """
        message = accepted.message
        try:
            body = await self._answer(call)
        except ApprovalError as error:
            failure = CallErrorBody(error=str(error), code="approval_error")
            return message.reply(MessageType.ERROR, _encode(failure))
        return message.reply(MessageType.RESPONSE, body)

    async def stream(
        self, call: GovernanceCall, accepted: Accepted, send: trio.MemorySendChannel[bytes]
    ) -> None:
        """Governance Calls are unary; a streamed one gets its answer as its one item.

        Example:
            >>> await service.stream(call, accepted, send)  # doctest: +SKIP
        """
        await send.send((await self.respond(call, accepted)).payload)

    async def _answer(self, call: GovernanceCall) -> bytes:
        store = self.store
        if isinstance(call, AuditBody):
            if self.on_audit is None:
                raise ApprovalError(f"governance agent {self._name!r} records no audit events")
            await self.on_audit(call)
            return b'{"recorded":true}'
        if isinstance(call, Submit):
            return _encode(await self._submit(call.request))
        if isinstance(call, Get):
            return _encode(await store.get(call.id))
        if isinstance(call, List):
            return _encode(await store.list(call.status))
        if isinstance(call, Decide):
            return _encode(
                await store.decide(
                    call.id, approve=call.approve, by=call.by, fingerprint=call.fingerprint,
                    note=call.note,
                )
            )  # fmt: skip
        with trio.move_on_after(call.within):
            return _encode(await store.wait(call.id))
        return _encode(await store.get(call.id))

    async def _submit(self, request: ApprovalRequest) -> ApprovalRecord:
        store = self.store
        try:
            record = await store.get(request.id)
        except ApprovalError:
            record = await store.submit(request)
        if record.status is not ApprovalStatus.PENDING or self.decide is None:
            return record
        verdict = await self.decide(record.request)
        if verdict is None:
            return record
        return await store.decide(
            request.id, approve=verdict.approve, by=verdict.by,
            fingerprint=record.request.fingerprint, note=verdict.note,
        )  # fmt: skip
