"""What a `Kernel` serves: a `CallService` reads and answers the Calls its `CallHandler`
accepted. `AgentService` serves an `Agent` (the default); `serve_model` serves a model.

The handler owns everything around the answer - lifecycle checks, the ``on_message`` hook,
admission by the scheduler, deadlines, telemetry, refusals and the Error of a failed call - and
the service only reads the body (`CallService.parse`) and produces the answer (``respond`` for
a unary Call, ``stream`` for a streamed one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

import msgspec

from mxp import MessageType
from mxp_agents.kernel._call_body import encode, parse_call
from mxp_agents.kernel._call_run import CallRun

if TYPE_CHECKING:
    import trio
    from opentelemetry.trace import Span

    import mxp
    from mxp_agents.kernel._agent import Agent
    from mxp_agents.kernel._call_body import ParsedCall, PriorityName
    from mxp_agents.primitives import AgentId

__all__ = ["Accepted", "AgentService", "CallService", "ServiceCall"]


class ServiceCall(Protocol):
    """What the handler reads from a parsed Call body (frozen msgspec Structs fit).

    Example:
        >>> call = parse_call(b'{"task": "hi", "priority": "background"}')
        >>> call.stream, call.priority, call.deadline_ms
        (False, 'background', None)
    """

    @property
    def stream(self) -> bool:
        """Answer with Stream frames."""
        ...

    @property
    def priority(self) -> PriorityName:
        """The scheduler class of the call."""
        ...

    @property
    def deadline_ms(self) -> int | None:
        """The caller's budget from arrival (None: the kernel's default)."""
        ...

    @property
    def metadata(self) -> dict[str, Any]:
        """Caller metadata; the OpenTelemetry carrier keys are taken out by the handler."""
        ...


C = TypeVar("C", bound=ServiceCall)


class Accepted(NamedTuple):
    """An admitted Call as its service gets it.

    ``metadata`` is the call's metadata without the trace-context keys, ``deadline`` the
    absolute trio time the answer is due by, ``span`` the call's ``mxp.call`` span.

    Example:
        >>> accepted.message.trace_id  # doctest: +SKIP
        4660
    """

    message: mxp.Message
    metadata: dict[str, Any]
    deadline: float
    span: Span


class CallService(Protocol[C]):
    """What a `Kernel` hosts: it names itself, reads Call bodies and answers admitted Calls.

    ``parse`` raises `InvalidCallBody` for a body it cannot serve (the caller gets
    ``invalid_request``). ``immediate`` may answer a call at once, before the scheduler (a
    cheap probe); None schedules it. ``respond`` returns the reply to a unary Call (a Response,
    or an Error of the service's own); ``stream`` sends each encoded item of a streamed answer.
    An exception from either becomes the kernel's Error (``deadline_exceeded``,
    ``shutting_down``, ``internal``, ...) or, mid-stream, a last ``{"type": "error"}`` item.

    Example:
        >>> kernel = Kernel(AgentService(agent))  # what Kernel(agent) does
    """

    @property
    def id(self) -> AgentId:
        """The id the kernel registers."""
        ...

    @property
    def name(self) -> str:
        """The name the kernel registers and reports."""
        ...

    def capabilities(self) -> tuple[str, ...]:
        """Capability ids advertised when `KernelConfig.capabilities` is None."""
        ...

    def parse(self, payload: bytes) -> C:
        """The Call body, or `InvalidCallBody`."""
        ...

    def immediate(self, call: C) -> bytes | None:
        """A Response body to send at once, without the scheduler (None: schedule the call)."""
        ...

    async def respond(self, call: C, accepted: Accepted) -> mxp.Message:
        """The reply to a unary Call."""
        ...

    async def stream(
        self, call: C, accepted: Accepted, send: trio.MemorySendChannel[bytes]
    ) -> None:
        """Send the items of a streamed answer, each encoded, the last one included."""
        ...


class AgentService:
    """Serves an `Agent`: `CallRequest` and reference bodies, answered by runs.

    Example:
        >>> service = AgentService(agent)
        >>> service.name == agent.name
        True
    """

    __slots__ = ("agent",)

    def __init__(self, agent: Agent[Any]) -> None:
        self.agent: Agent[Any] = agent

    @property
    def id(self) -> AgentId:
        """The agent's id.

        Example:
            >>> AgentService(agent).id == agent.id
            True
        """
        return self.agent.id

    @property
    def name(self) -> str:
        """The agent's name.

        Example:
            >>> AgentService(agent).name  # doctest: +SKIP
            'calc'
        """
        return self.agent.name

    def capabilities(self) -> tuple[str, ...]:
        """The capabilities granted to the agent, sorted.

        Example:
            >>> AgentService(agent).capabilities()  # doctest: +SKIP
            ('math.basic',)
        """
        return tuple(sorted(self.agent.executor.granted))

    def parse(self, payload: bytes) -> ParsedCall:
        """A `CallRequest` or a reference body (see `parse_call`).

        Example:
            >>> AgentService(agent).parse(b'{"task": "hi"}').task
            'hi'
        """
        return parse_call(payload)

    def immediate(self, call: ParsedCall) -> None:
        """Nothing is answered before the scheduler.

        Example:
            >>> AgentService(agent).immediate(call) is None
            True
        """
        return None

    async def respond(self, call: ParsedCall, accepted: Accepted) -> mxp.Message:
        """Run the agent and answer with its `CallResponse`.

        Example:
            >>> reply = await service.respond(call, accepted)  # doctest: +SKIP
        """
        response = await self._run(call, accepted).respond()
        return accepted.message.reply(MessageType.RESPONSE, encode(response))

    async def stream(
        self, call: ParsedCall, accepted: Accepted, send: trio.MemorySendChannel[bytes]
    ) -> None:
        """Run the agent, sending its events and last its `CallResponse`.

        Example:
            >>> await service.stream(call, accepted, send)  # doctest: +SKIP
        """
        await self._run(call, accepted).stream(send)

    def _run(self, call: ParsedCall, accepted: Accepted) -> CallRun:
        if accepted.metadata is not call.metadata:
            call = msgspec.structs.replace(call, metadata=accepted.metadata)
        return CallRun(self.agent, accepted.message, call, accepted.deadline, accepted.span)
