"""Running an accepted Call on the agent: the reference body's tools first, then the run, its
`CallResponse`, and for a streaming Call the events in their wire form."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.kernel._call_body import encode
from mxp_agents.kernel._call_response import (
    CallResponse,
    CallStarted,
    CallStep,
    CallTextDelta,
    CallToolFinished,
    CallToolStarted,
    ToolCallSummary,
)
from mxp_agents.kernel._events import (
    ModelCallFinished,
    ModelTextDelta,
    RunEvent,
    RunFinished,
    ToolCallFinished,
    ToolCallStarted,
)
from mxp_agents.kernel._kernel_telemetry import KernelTelemetry
from mxp_agents.primitives import Message

if TYPE_CHECKING:
    import trio
    from opentelemetry.trace import Span

    import mxp
    from mxp_agents.kernel._agent import Agent
    from mxp_agents.kernel._call_body import ParsedCall
    from mxp_agents.kernel._prompt import Task
    from mxp_agents.kernel._result import RunResult
    from mxp_agents.primitives import ToolResult

__all__ = ["DEADLINE_GRACE", "CallRun", "response_of"]

DEADLINE_GRACE: Final = 1.0
"""Seconds the scheduler's hard deadline trails the run's own, so a run that reaches its
deadline still answers with its partial result (stop reason ``timeout``)."""


def response_of(
    result: RunResult[Any], trace_id: int, before: tuple[ToolResult, ...] = ()
) -> CallResponse:
    """The `CallResponse` of a run (``before``: results of the tools run ahead of it).

    Example:
        >>> response_of(await agent.run("hi"), trace_id=7).stop_reason  # doctest: +SKIP
        'completed'
    """
    calls = [ToolCallSummary(r.tool_call_id, r.name, r.is_error) for r in before]
    calls.extend(
        ToolCallSummary(r.call.id, r.call.name, r.result.is_error) for r in result.tool_calls
    )
    return CallResponse(
        run_id=result.run_id,
        output=msgspec.to_builtins(result.output),
        text=result.text,
        stop_reason=result.stop_reason.value,
        usage=result.usage,
        tool_calls=tuple(calls),
        steps=result.steps,
        trace_id=trace_id,
        error=result.error,
        cost=result.cost,
    )


class CallRun:
    """One accepted Call on its agent: `respond` runs it whole, `stream` event by event.

    ``deadline`` is the run's own deadline (absolute trio time).

    Example:
        >>> run = CallRun(agent, message, call, deadline, span)
        >>> response = await run.respond()  # doctest: +SKIP
    """

    __slots__ = ("_agent", "_call", "_deadline", "_message", "_run_id", "_span")

    def __init__(
        self,
        agent: Agent[Any],
        message: mxp.Message,
        call: ParsedCall,
        deadline: float,
        span: Span,
    ) -> None:
        self._agent = agent
        self._message = message
        self._call = call
        self._deadline = deadline
        self._span = span
        self._run_id = call.run_id if call.run_id is not None else str(uuid.uuid4())
        KernelTelemetry.set_task(span, self._run_id)

    async def respond(self) -> CallResponse:
        """Run the call and return its `CallResponse`.

        Example:
            >>> (await run.respond()).ok  # doctest: +SKIP
            True
        """
        task, before, options = await self._prepare()
        result = await self._agent.run(task, **options)
        return response_of(result, self._message.trace_id, before)

    async def stream(self, send: trio.MemorySendChannel[bytes]) -> None:
        """Run the call, sending each event encoded (the last one: the `CallResponse`).

        Example:
            >>> await run.stream(send_channel)  # doctest: +SKIP
        """
        agent, trace_id = self._agent, self._message.trace_id
        started = CallStarted(
            run_id=self._run_id, agent_id=str(agent.id), agent_name=agent.name, trace_id=trace_id
        )
        await send.send(encode(started))
        task, before, options = await self._prepare()
        for result in before:
            await send.send(encode(CallToolStarted(result.tool_call_id, result.name)))
            finished = CallToolFinished(result.tool_call_id, result.name, result.is_error)
            await send.send(encode(finished))
        steps = 0
        async with agent.run_stream(task, **options) as events:
            async for event in events:
                if isinstance(event, ModelCallFinished):
                    steps += 1
                    await send.send(encode(CallStep(step=steps, usage=event.usage)))
                elif isinstance(event, RunFinished):
                    await send.send(encode(response_of(event.result, trace_id, before)))
                else:
                    wire = _wire_event(event)
                    if wire is not None:
                        await send.send(encode(wire))

    async def _prepare(self) -> tuple[Task, tuple[ToolResult, ...], dict[str, Any]]:
        """The task (listed reference tools already run and appended), their results, options."""
        call, message = self._call, self._message
        metadata: dict[str, Any] = {**call.metadata, "mxp.message_id": message.message_id}
        options: dict[str, Any] = {
            "run_id": self._run_id,
            "trace_id": message.trace_id,
            "deadline": self._deadline,
            "metadata": metadata,
            "temperature": call.temperature,
            "max_output_tokens": call.max_output_tokens,
        }
        if call.task is not None:
            return call.task, (), options
        messages = list(call.messages or ())
        if not call.tools:
            return messages, (), options
        executor = self._agent.executor
        results = [  # one after the other, in the listed order, as the reference does
            await executor.execute(
                tool_call,
                agent_id=str(self._agent.id),
                run_id=self._run_id,
                trace_id=message.trace_id,
                metadata=metadata,
            )
            for tool_call in call.tools
        ]
        messages.append(Message.assistant(tool_calls=call.tools))
        messages.extend(result.to_message() for result in results)
        return messages, tuple(results), options


def _wire_event(event: RunEvent) -> CallTextDelta | CallToolStarted | CallToolFinished | None:
    """The streamed form of a run event (None: not streamed)."""
    if isinstance(event, ModelTextDelta):
        return CallTextDelta(event.text)
    if isinstance(event, ToolCallStarted):
        return CallToolStarted(event.call.id, event.call.name)
    if isinstance(event, ToolCallFinished):
        call = event.call
        return CallToolFinished(call.id, call.name, event.result.is_error, event.duration)
    return None
