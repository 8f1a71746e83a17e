"""Running one model answer's tool calls: guardrails, policy, the executor, events, spans,
records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import trio

from mxp_agents.kernel import _telemetry as telemetry
from mxp_agents.kernel._events import ToolCallFinished, ToolCallStarted
from mxp_agents.kernel._governor import PolicyDenied, RunPolicy, Ticket, current_policy
from mxp_agents.kernel._messages import tool_message
from mxp_agents.kernel._result import ToolCallRecord
from mxp_agents.policy import InvokeTool
from mxp_agents.primitives import SystemClock, ToolCall, ToolResult
from mxp_agents.prompts import GuardrailViolation
from mxp_agents.tools import ToolAuditEvent, ToolAuditSink

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping, Sequence

    from opentelemetry.trace import Tracer

    from mxp_agents.kernel._loop import Emit
    from mxp_agents.kernel._memory_log import MemoryLog
    from mxp_agents.kernel._run import RunSpec, RunState
    from mxp_agents.prompts import GuardrailHit, Guardrails
    from mxp_agents.tools import AuditSinkLike

__all__ = ["Executes", "ToolRunner"]

# the call to run, the result refusing it (or None), its policy ticket (None: no policy)
_Prepared = tuple[ToolCall, ToolResult | None, Ticket | None]


class Executes(Protocol):
    """What runs a tool call: a `ToolExecutor`, or the recorded results of a replay.

    Example:
        >>> result = await executor.execute(call, agent_id="a", run_id="r")  # doctest: +SKIP
    """

    async def execute(
        self,
        call: ToolCall,
        *,
        agent_id: str | None = None,
        run_id: str | None = None,
        trace_id: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ToolResult:
        """The result of ``call`` (errors come back as error results)."""
        ...


class ToolRunner:
    """Runs the tool calls of one model answer for one agent.

    Outbound arguments go through the guardrails first: a blocked call is not run (the model
    gets an error result and the audit trail a ``denied`` event); redacted arguments replace
    the originals for the tool. Then the run's policy is asked about the call (tool name,
    version, arguments as the tool gets them): a denied call is not run either (the model gets
    ``denied by policy: <reason>``); an escalated one waits for its approval. One call runs in
    the run's task; several run concurrently, one task each in a nursery. Results join the
    transcript in call order.

    Example:
        >>> await runner.run(response.tool_calls, state, spec, None, None)  # doctest: +SKIP
    """

    __slots__ = ("_agent_id", "_audit", "_executor", "_guardrails", "_memory")

    def __init__(
        self,
        executor: Executes,
        *,
        agent_id: str,
        guardrails: Guardrails | None,
        audit: AuditSinkLike | None,
        memory: MemoryLog | None = None,
    ) -> None:
        self._executor = executor
        self._memory = memory
        self._agent_id = agent_id
        self._guardrails = guardrails
        emit: Callable[[ToolAuditEvent], object] | None = None
        if isinstance(audit, ToolAuditSink):
            emit = audit.emit
        elif audit is not None:
            emit = audit
        self._audit = emit

    def replaying(self, executor: Executes) -> ToolRunner:
        """The same guardrails with another executor, no audit trail and no memory (replays).

        Example:
            >>> runner.replaying(recorded_results)  # doctest: +SKIP
        """
        return ToolRunner(
            executor, agent_id=self._agent_id, guardrails=self._guardrails, audit=None
        )

    async def run(
        self,
        calls: Sequence[ToolCall],
        state: RunState,
        spec: RunSpec,
        emit: Emit | None,
        tracer: Tracer | None,
    ) -> PolicyDenied | None:
        """Run ``calls`` and append their records and tool messages to ``state`` (call order).

        On cancellation the calls that finished are still appended. Returns the first memory
        write the policy denied (the run must end: a step went unrecorded), else None.

        Example:
            >>> await runner.run(calls, state, spec, None, None)  # doctest: +SKIP
        """
        policy = current_policy()
        prepared = [self._guard(call, state.hits, spec, policy) for call in calls]
        if emit is not None:
            for call, _, _ in prepared:
                await emit(ToolCallStarted(call))
        step = state.steps
        if len(prepared) == 1:
            record, denied = await self._one(prepared[0], spec, emit, tracer, step, policy)
            state.records.append(record)
            state.messages.append(tool_message(record.result))
            return denied
        slots: list[tuple[ToolCallRecord, PolicyDenied | None] | None] = [None] * len(prepared)

        async def run_slot(index: int) -> None:
            slots[index] = await self._one(prepared[index], spec, emit, tracer, step, policy)

        first: PolicyDenied | None = None
        try:
            async with trio.open_nursery() as nursery:
                for index in range(len(prepared)):
                    nursery.start_soon(run_slot, index)
        finally:
            for slot in slots:
                if slot is not None:
                    record, denied = slot
                    first = first or denied
                    state.records.append(record)
                    state.messages.append(tool_message(record.result))
        return first

    async def _one(
        self,
        item: _Prepared,
        spec: RunSpec,
        emit: Emit | None,
        tracer: Tracer | None,
        step: int,
        policy: RunPolicy | None,
    ) -> tuple[ToolCallRecord, PolicyDenied | None]:
        call, refused, ticket = item
        if refused is None and policy is not None and ticket is not None:
            refused = await self._policy(call, ticket, policy, spec)
        memory = self._memory
        if memory is not None:
            try:
                await memory.tool_call(spec, step, call)
            except PolicyDenied as denied:
                text = f"tool {call.name!r} was not run: its record was refused: {denied}"
                result = ToolResult(tool_call_id=call.id, name=call.name, content=text,
                                    is_error=True)  # fmt: skip
                return ToolCallRecord(call, result, 0.0), denied
        started = trio.current_time()
        if refused is not None:
            result = refused
        elif tracer is None:
            result = await self._execute(call, spec)
        else:
            span = tracer.start_span("agent.tool_call")
            if span.is_recording():
                span.set_attributes(telemetry.tool_attributes(call))
            with telemetry.SpanScope(span):
                result = await self._execute(call, spec)
                telemetry.tool_outcome(span, result)
        duration = trio.current_time() - started
        denied: PolicyDenied | None = None
        if memory is not None:
            try:
                await memory.tool_result(spec, step, result, duration)
            except PolicyDenied as error:
                denied = error
        if emit is not None:
            await emit(ToolCallFinished(call, result, duration))
        return ToolCallRecord(call, result, duration), denied

    async def _policy(
        self, call: ToolCall, ticket: Ticket, policy: RunPolicy, spec: RunSpec
    ) -> ToolResult | None:
        decision = await policy.check(ticket)
        if decision.is_allow:
            return None
        text = f"denied by policy: {decision.reason}"
        self._denied(call, text, spec)
        return ToolResult(tool_call_id=call.id, name=call.name, content=text, is_error=True)

    def _ticket(self, call: ToolCall, policy: RunPolicy) -> Ticket:
        version: str | None = None
        registry: object = getattr(self._executor, "registry", None)
        find: Callable[[str], object] | None = getattr(registry, "get", None)
        if find is not None:
            try:
                found: object = getattr(find(call.name), "version", None)
            except Exception:  # not registered: the executor reports it when asked to run it
                found = None
            version = found if isinstance(found, str) else None
        return policy.ticket(InvokeTool(call.name, version, dict(call.arguments)))

    def _execute(self, call: ToolCall, spec: RunSpec) -> Coroutine[Any, Any, ToolResult]:
        return self._executor.execute(
            call,
            agent_id=self._agent_id,
            run_id=spec.run_id,
            trace_id=spec.trace_id,
            metadata=spec.metadata,
        )

    def _guard(
        self, call: ToolCall, hits: list[GuardrailHit], spec: RunSpec, policy: RunPolicy | None
    ) -> _Prepared:
        call, refused = self._redact(call, hits, spec)
        if refused is not None or policy is None:
            return call, refused, None
        return call, None, self._ticket(call, policy)

    def _redact(
        self, call: ToolCall, hits: list[GuardrailHit], spec: RunSpec
    ) -> tuple[ToolCall, ToolResult | None]:
        guardrails = self._guardrails
        if guardrails is None or not call.arguments:
            return call, None
        try:
            redaction = guardrails.redact_json(call.arguments)
        except GuardrailViolation as violation:
            hits.extend(violation.hits)
            text = f"tool {call.name!r} was not run: {violation}"
            self._denied(call, text, spec)
            return call, ToolResult(
                tool_call_id=call.id, name=call.name, content=text, is_error=True
            )
        hits.extend(redaction.hits)
        if redaction.changed:
            call = ToolCall(call.id, call.name, redaction.value)
        return call, None

    def _denied(self, call: ToolCall, reason: str, spec: RunSpec) -> None:
        if self._audit is None:
            return
        self._audit(
            ToolAuditEvent(
                kind="denied",
                tool=call.name,
                call_id=call.id,
                reason=reason,
                timestamp=SystemClock().now(),
                agent_id=self._agent_id,
                run_id=spec.run_id,
                trace_id=spec.trace_id,
                argument_keys=tuple(call.arguments),
            )
        )
