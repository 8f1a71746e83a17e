"""Running one model answer's tool calls: guardrails, the executor, events, spans, records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import trio

from mxp_agents.kernel import _telemetry as telemetry
from mxp_agents.kernel._events import ToolCallFinished, ToolCallStarted
from mxp_agents.kernel._messages import tool_message
from mxp_agents.kernel._result import ToolCallRecord
from mxp_agents.primitives import SystemClock, ToolCall, ToolResult
from mxp_agents.prompts import GuardrailViolation
from mxp_agents.tools import ToolAuditEvent, ToolAuditSink

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Sequence

    from opentelemetry.trace import Tracer

    from mxp_agents.kernel._loop import Emit
    from mxp_agents.kernel._run import RunSpec, RunState
    from mxp_agents.prompts import GuardrailHit, Guardrails
    from mxp_agents.tools import AuditSinkLike, ToolExecutor

__all__ = ["ToolRunner"]

_Prepared = tuple[ToolCall, ToolResult | None]  # the call to run, or the result refusing it


class ToolRunner:
    """Runs the tool calls of one model answer for one agent.

    Outbound arguments go through the guardrails first: a blocked call is not run (the model
    gets an error result and the audit trail a ``denied`` event); redacted arguments replace
    the originals for the tool. One call runs in the run's task; several run concurrently,
    one task each in a nursery. Results join the transcript in call order.

    Example:
        >>> await runner.run(response.tool_calls, state, spec, None, None)  # doctest: +SKIP
    """

    __slots__ = ("_agent_id", "_audit", "_executor", "_guardrails")

    def __init__(
        self,
        executor: ToolExecutor,
        *,
        agent_id: str,
        guardrails: Guardrails | None,
        audit: AuditSinkLike | None,
    ) -> None:
        self._executor = executor
        self._agent_id = agent_id
        self._guardrails = guardrails
        emit: Callable[[ToolAuditEvent], object] | None = None
        if isinstance(audit, ToolAuditSink):
            emit = audit.emit
        elif audit is not None:
            emit = audit
        self._audit = emit

    async def run(
        self,
        calls: Sequence[ToolCall],
        state: RunState,
        spec: RunSpec,
        emit: Emit | None,
        tracer: Tracer | None,
    ) -> None:
        """Run ``calls`` and append their records and tool messages to ``state`` (call order).

        On cancellation the calls that finished are still appended.

        Example:
            >>> await runner.run(calls, state, spec, None, None)  # doctest: +SKIP
        """
        prepared: list[_Prepared] = [self._guard(call, state.hits, spec) for call in calls]
        if emit is not None:
            for call, _ in prepared:
                await emit(ToolCallStarted(call))
        if len(prepared) == 1:
            record = await self._one(prepared[0], spec, emit, tracer)
            state.records.append(record)
            state.messages.append(tool_message(record.result))
            return
        slots: list[ToolCallRecord | None] = [None] * len(prepared)

        async def run_slot(index: int) -> None:
            slots[index] = await self._one(prepared[index], spec, emit, tracer)

        try:
            async with trio.open_nursery() as nursery:
                for index in range(len(prepared)):
                    nursery.start_soon(run_slot, index)
        finally:
            for record in slots:
                if record is not None:
                    state.records.append(record)
                    state.messages.append(tool_message(record.result))

    async def _one(
        self, item: _Prepared, spec: RunSpec, emit: Emit | None, tracer: Tracer | None
    ) -> ToolCallRecord:
        call, refused = item
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
        if emit is not None:
            await emit(ToolCallFinished(call, result, duration))
        return ToolCallRecord(call, result, duration)

    def _execute(self, call: ToolCall, spec: RunSpec) -> Coroutine[Any, Any, ToolResult]:
        return self._executor.execute(
            call,
            agent_id=self._agent_id,
            run_id=spec.run_id,
            trace_id=spec.trace_id,
            metadata=spec.metadata,
        )

    def _guard(self, call: ToolCall, hits: list[GuardrailHit], spec: RunSpec) -> _Prepared:
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
