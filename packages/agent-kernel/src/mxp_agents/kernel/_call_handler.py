"""`CallHandler`: answers the MXP Calls of one kernel, through its scheduler and service.

Every Call gets exactly one answer: the service's reply (for an agent a Response carrying a
`CallResponse`), an Error with a `CallErrorBody` (``invalid_request``, ``busy``,
``suspended``, ``unavailable``, ``shutting_down``, ``rejected``, ``deadline_exceeded``,
``internal``), or for a streaming Call a stream of items ending with the service's last item
or a `CallFailed`.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any, Final

import trio

from mxp import MessageType
from mxp.bodies import format_address
from mxp_agents.kernel._call_body import InvalidCallBody, encode
from mxp_agents.kernel._call_response import CallErrorBody, CallFailed
from mxp_agents.kernel._call_run import DEADLINE_GRACE
from mxp_agents.kernel._call_service import Accepted
from mxp_agents.kernel._errors import RunInputError
from mxp_agents.kernel._kernel_telemetry import KernelTelemetry
from mxp_agents.kernel._lifecycle import AgentState
from mxp_agents.kernel._scheduler_types import (
    DeadlineExceeded,
    JobCancelled,
    SchedulerBusy,
    SchedulerClosed,
)
from mxp_agents.kernel._trace_context import extract_trace_context

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable

    from opentelemetry.context import Context
    from opentelemetry.trace import Span

    import mxp
    from mxp.transport import Address, HandlerResult
    from mxp_agents.kernel._call_service import CallService, ServiceCall
    from mxp_agents.kernel._config import KernelConfig
    from mxp_agents.kernel._hooks import AgentHooks
    from mxp_agents.kernel._kernel import Kernel
    from mxp_agents.kernel._scheduler import Scheduler
    from mxp_agents.kernel._scheduler_types import Admission

__all__ = ["CallHandler"]

logger: Final = logging.getLogger("mxp_agents.kernel.calls")
STREAM_BUFFER: Final = 64
"""Encoded events buffered per streaming call before the run waits for the network."""


class _Refusal(Exception):
    def __init__(self, code: str, text: str, retry_after_ms: int | None = None) -> None:
        super().__init__(text)
        self.code = code
        self.text = text
        self.retry_after_ms = retry_after_ms


class CallHandler:
    """The CALL handler of a `Kernel` hosting ``service`` (it builds one; use it directly only
    for tests).

    Example:
        >>> endpoint.set_handler(MessageType.CALL, CallHandler(...).handle)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        kernel: Kernel,
        service: CallService[Any],
        config: KernelConfig,
        scheduler: Scheduler,
        hooks: AgentHooks,
        telemetry: KernelTelemetry,
        state: Callable[[], AgentState],
        spawn: Callable[..., object],
    ) -> None:
        self._kernel = kernel
        self._service = service
        self._name = service.name
        self._agent_id = str(service.id)
        self._config = config
        self._scheduler = scheduler
        self._hooks = hooks
        self._telemetry = telemetry
        self._state = state
        self._spawn = spawn
        self.in_flight = 0
        """Accepted calls whose work has not ended yet."""
        self._idle = trio.Event()
        self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no accepted call is in flight (bound it with a cancel scope).

        Example:
            >>> with trio.move_on_after(5):
            ...     await handler.wait_idle()
        """
        while self.in_flight:
            await self._idle.wait()

    async def handle(self, message: mxp.Message, peer: Address) -> HandlerResult:
        """Answer one Call (the endpoint calls this in one of its handler tasks).

        Example:
            >>> reply = await handler.handle(call_message, ("127.0.0.1", 50000))  # doctest: +SKIP
        """
        arrived = time.time_ns()
        parent: Context | None = None
        try:
            call = self._parse(message)
            parent, metadata = extract_trace_context(call.metadata)  # keys not passed on
            await self._vet(message, peer)
            quick = self._service.immediate(call)
            admission = None if quick is not None else self._admit(call)
        except _Refusal as refusal:
            span = self._start_span(message, peer, parent, arrived)
            with KernelTelemetry.activate(span, parent):
                KernelTelemetry.set_error(span, refusal.code, refusal.text)
            return _error(message, refusal.code, refusal.text, refusal.retry_after_ms)
        except BaseException:
            self._start_span(message, peer, parent, arrived).end()
            raise
        span = self._start_span(message, peer, parent, arrived)
        if admission is None:  # answered at once
            with KernelTelemetry.activate(span, parent):
                return message.reply(MessageType.RESPONSE, quick or b"")
        accepted = Accepted(message, metadata, admission.deadline - DEADLINE_GRACE, span)
        self._started()
        if call.stream:
            send, receive = trio.open_memory_channel[bytes](STREAM_BUFFER)
            self._spawn(self._stream_job, call, accepted, admission, send, parent)
            return _relay(receive)
        try:
            with KernelTelemetry.activate(span, parent):
                return await self._unary(call, accepted, admission)
        finally:
            self._ended()

    def _start_span(
        self, message: mxp.Message, peer: Address, parent: Context | None, arrived: int
    ) -> Span:
        """The call's ``mxp.call`` span: a child of the caller's span when the Call carried
        its context (``parent``), else the root of a new trace; started when it arrived."""
        return self._telemetry.start_call_span(
            message_id=message.message_id,
            trace_id=message.trace_id,
            agent_id=self._agent_id,
            peer=format_address(*peer),
            parent=parent,
            start_time=arrived,
        )

    # -- acceptance --------------------------------------------------------------------------

    def _parse(self, message: mxp.Message) -> ServiceCall:
        """The Call's body, if the agent takes Calls now and the body is valid."""
        state = self._state()
        config = self._config
        if state is AgentState.SUSPENDED:
            raise _Refusal(
                "suspended", f"agent {self._name} is suspended; retry later",
                config.suspended_retry_after_ms,
            )  # fmt: skip
        if state in (AgentState.INIT, AgentState.READY):
            raise _Refusal(
                "unavailable", f"agent {self._name} is starting; retry shortly",
                config.retry_after_ms,
            )  # fmt: skip
        if state is not AgentState.ACTIVE:
            raise _Refusal(
                "shutting_down",
                f"agent {self._name} is shutting down ({state.value}); call another agent",
            )
        try:
            return self._service.parse(message.payload)
        except InvalidCallBody as error:
            raise _Refusal("invalid_request", str(error)) from None

    async def _vet(self, message: mxp.Message, peer: Address) -> None:
        """The ``on_message`` hook's say on the Call (an exception refuses it)."""
        try:
            await self._hooks.on_message(self._kernel, message, peer)
        except Exception as error:
            raise _Refusal("rejected", f"{type(error).__name__}: {error}") from None

    def _admit(self, call: ServiceCall) -> Admission:
        config = self._config
        seconds = config.default_deadline if call.deadline_ms is None else call.deadline_ms / 1000
        seconds = min(seconds, config.max_deadline)
        try:
            return self._scheduler.admit(priority=call.priority, deadline=seconds + DEADLINE_GRACE)
        except SchedulerBusy as busy:
            raise _Refusal("busy", str(busy), busy.retry_after_ms) from None
        except SchedulerClosed as closed:
            raise _Refusal("shutting_down", str(closed)) from None

    def _started(self) -> None:
        if not self.in_flight:
            self._idle = trio.Event()
        self.in_flight += 1

    def _ended(self) -> None:
        self.in_flight -= 1
        if not self.in_flight:
            self._idle.set()

    # -- running -----------------------------------------------------------------------------

    async def _unary(
        self, call: ServiceCall, accepted: Accepted, admission: Admission
    ) -> mxp.Message:
        try:
            job = functools.partial(self._service.respond, call, accepted)
            return await self._scheduler.run(admission, job)
        except Exception as error:
            code, text = _failure(error, self._name)
            KernelTelemetry.set_error(accepted.span, code, text)
            return _error(accepted.message, code, text)

    async def _stream_job(
        self,
        call: ServiceCall,
        accepted: Accepted,
        admission: Admission,
        send: trio.MemorySendChannel[bytes],
        parent: Context | None,
    ) -> None:
        """Run a streaming call in the kernel's nursery, feeding ``send`` (then closing it)."""
        try:
            async with send:
                with KernelTelemetry.activate(accepted.span, parent):
                    job = functools.partial(self._service.stream, call, accepted, send)
                    try:
                        await self._scheduler.run(admission, job)
                    except (trio.BrokenResourceError, trio.ClosedResourceError):
                        message_id = accepted.message.message_id
                        logger.debug("the caller of streamed call %x went away", message_id)
                    except Exception as error:
                        code, text = _failure(error, self._name)
                        KernelTelemetry.set_error(accepted.span, code, text)
                        await _last_word(send, CallFailed(error=text, code=code))
        finally:
            self._ended()


async def _last_word(send: trio.MemorySendChannel[bytes], event: CallFailed) -> None:
    """Send the final event of a failed streaming call, even while being cancelled."""
    with trio.move_on_after(1.0, shield=True):
        try:
            await send.send(encode(event))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            logger.debug("no one reads the stream any more; dropped: %s", event.error)


async def _relay(receive: trio.MemoryReceiveChannel[bytes]) -> AsyncGenerator[bytes]:
    """The encoded events of a streaming call, as the transport pumps them to the caller."""
    async with receive:
        async for chunk in receive:
            yield chunk


def _error(
    message: mxp.Message, code: str, text: str, retry_after_ms: int | None = None
) -> mxp.Message:
    body = CallErrorBody(error=text, code=code, retry_after_ms=retry_after_ms)
    return message.reply(MessageType.ERROR, encode(body))


def _failure(error: Exception, agent: str) -> tuple[str, str]:
    """The Error code and text of a call that was accepted but did not produce a result."""
    if isinstance(error, DeadlineExceeded):
        return "deadline_exceeded", f"agent {agent}: {error}"
    if isinstance(error, JobCancelled):
        return "shutting_down", f"agent {agent}: {error}"
    if isinstance(error, RunInputError):
        return "invalid_request", str(error)
    logger.error("agent %s failed to handle a call", agent, exc_info=error)
    return "internal", f"agent {agent} failed: {type(error).__name__}: {error}"
