"""The agent loop: model call → tool calls → model call → ... → final answer, within limits."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import trio

from mxp_agents.adapters import (
    InvalidModelValue,
    ModelError,
    ModelRequest,
    ResponseAssembler,
    TextDelta,
    ToolChoice,
)
from mxp_agents.kernel import _telemetry as telemetry
from mxp_agents.kernel._budget import cost_check
from mxp_agents.kernel._events import (
    ModelCallFinished,
    ModelTextDelta,
    RunEvent,
    RunStarted,
)
from mxp_agents.kernel._governor import PolicyDenied, current_policy
from mxp_agents.kernel._limits import RunLimits, StopReason
from mxp_agents.kernel._messages import assistant_message
from mxp_agents.kernel._output import OutputSpec, correction_message
from mxp_agents.kernel._result import RunResult
from mxp_agents.kernel._run import RunState
from mxp_agents.policy import ModelInference
from mxp_agents.primitives import Role, Usage
from mxp_agents.prompts import ApproxTokenCounter, ContextBudgetError

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

    from mxp_agents.adapters import ModelAdapter, ModelResponse, ResponseFormat
    from mxp_agents.kernel._governor import Governance
    from mxp_agents.kernel._memory_log import MemoryLog
    from mxp_agents.kernel._run import RunControl, RunSpec
    from mxp_agents.kernel._tool_calls import Executes, ToolRunner
    from mxp_agents.primitives import ToolDefinition
    from mxp_agents.prompts import ContextWindow

__all__ = ["Emit", "Loop"]

Emit: TypeAlias = Callable[[RunEvent], Awaitable[None]]
_Outcome: TypeAlias = tuple[StopReason, str | None, Any]  # reason, error, output
_counter: Final = ApproxTokenCounter()


class Loop:
    """The loop of one agent, with everything that can be prebuilt built once.

    Example:
        >>> result = await loop.run(spec, None, None)  # doctest: +SKIP
    """

    __slots__ = (
        "_inference",
        "_model",
        "_name",
        "_output",
        "_tools",
        "agent_id",
        "definitions",
        "governance",
        "limits",
        "max_output_tokens",
        "memory",
        "reset_tool_choice",
        "response_format",
        "temperature",
        "tool_choice",
        "window",
    )

    def __init__(
        self,
        *,
        agent_id: str,
        name: str,
        model: ModelAdapter,
        tools: ToolRunner,
        definitions: tuple[ToolDefinition, ...],
        output: OutputSpec | None,
        limits: RunLimits,
        temperature: float | None,
        max_output_tokens: int | None,
        window: ContextWindow | None,
        tool_choice: ToolChoice = "auto",
        reset_tool_choice: bool = True,
        memory: MemoryLog | None = None,
        governance: Governance | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.memory = memory
        self.governance = governance
        self._inference = (
            ModelInference(model.provider, model.model_name) if governance is not None else None
        )
        self._name = name
        self._model = model
        self._tools = tools
        self.definitions = definitions
        self._output = output
        self.response_format: ResponseFormat | None = output.format if output else None
        self.limits = limits
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.window = window
        self.tool_choice: ToolChoice = tool_choice
        self.reset_tool_choice = reset_tool_choice

    def replaying(self, model: ModelAdapter, executor: Executes) -> Loop:
        """The same loop with another model and tool runner, no memory and no policy (a
        replay calls no model and runs no tool: it has no effect to govern).

        Example:
            >>> loop.replaying(recorded_model, recorded_tools).memory is None  # doctest: +SKIP
            True
        """
        return Loop(
            agent_id=self.agent_id,
            name=self._name,
            model=model,
            tools=self._tools.replaying(executor),
            definitions=self.definitions,
            output=self._output,
            limits=self.limits,
            temperature=self.temperature,
            max_output_tokens=self.max_output_tokens,
            window=self.window,
            tool_choice=self.tool_choice,
            reset_tool_choice=self.reset_tool_choice,
        )

    async def run(
        self, spec: RunSpec, emit: Emit | None, control: RunControl | None
    ) -> RunResult[Any]:
        """Run the loop for ``spec``; every ending but a bug or the caller's cancellation is a
        `RunResult` (model errors, limits, timeout, invalid output, a policy deny,
        `RunControl` cancellation).

        Example:
            >>> (await loop.run(spec, None, None)).stop_reason  # doctest: +SKIP
            <StopReason.COMPLETED: 'completed'>
        """
        governance = self.governance
        if governance is None:
            return await self._run(spec, emit, control)
        with governance.for_run(spec).active():
            return await self._run(spec, emit, control)

    async def _run(
        self, spec: RunSpec, emit: Emit | None, control: RunControl | None
    ) -> RunResult[Any]:
        state = RunState(spec.messages, spec.hits)
        deadline = spec.deadline if spec.deadline is not None else math.inf
        wall = self.limits.max_wall_time
        if wall is not None:
            deadline = min(deadline, trio.current_time() + wall)
        scope = trio.CancelScope(deadline=deadline)
        if control is not None:
            control.scope = scope
            if control.cancelled:
                scope.cancel()
        outcome: _Outcome | None = None
        tracer = telemetry.current_tracer()
        if tracer is None:
            with scope:
                outcome = await self._body(state, spec, emit, None)
            return await self._finished(spec, state, self._ending(outcome, scope, control))
        span = tracer.start_span("agent.run")
        if span.is_recording():
            span.set_attributes(
                telemetry.run_attributes(
                    self.agent_id, self._name, spec.run_id, spec.trace_id, spec.metadata
                )
            )
        with telemetry.SpanScope(span):
            with scope:
                outcome = await self._body(state, spec, emit, tracer)
            result = await self._finished(spec, state, self._ending(outcome, scope, control))
            if span.is_recording():
                span.set_attributes(telemetry.usage_attributes(result.usage))
                span.set_attribute("agent.stop_reason", result.stop_reason.value)
                span.set_attribute("agent.steps", result.steps)
                if result.error is not None:
                    telemetry.fail(span, result.error)
            return result

    async def _body(
        self, state: RunState, spec: RunSpec, emit: Emit | None, tracer: Tracer | None
    ) -> _Outcome:
        try:
            await self._started(spec, emit)
            return await self._turns(state, spec, emit, tracer)
        except PolicyDenied as denied:  # a memory write the policy refused: the run ends
            return StopReason.POLICY_DENIED, str(denied), None

    async def _started(self, spec: RunSpec, emit: Emit | None) -> None:
        if emit is not None:
            await emit(RunStarted(spec.run_id, self._name, self.agent_id))
        if self.memory is not None:
            await self.memory.task(spec)

    async def _finished(self, spec: RunSpec, state: RunState, outcome: _Outcome) -> RunResult[Any]:
        result = self._result(spec, state, outcome)
        if self.memory is not None:
            try:
                await self.memory.answer(spec, result)
            except PolicyDenied as denied:  # an answer that cannot be recorded is withheld
                before = f"{outcome[1]}; " if outcome[1] else ""
                problem = f"{before}the answer was not recorded, so it is withheld: {denied}"
                return self._result(spec, state, (StopReason.POLICY_DENIED, problem, None))
        return result

    def _ending(
        self, outcome: _Outcome | None, scope: trio.CancelScope, control: RunControl | None
    ) -> _Outcome:
        if outcome is not None and not scope.cancelled_caught:
            return outcome
        if control is not None and control.cancelled:
            return StopReason.CANCELLED, "the run was cancelled", None
        wall = self.limits.max_wall_time
        limit = f"max_wall_time ({wall:g} s) or the deadline" if wall is not None else "deadline"
        return StopReason.TIMEOUT, f"the run timed out: its {limit} passed", None

    def _result(self, spec: RunSpec, state: RunState, outcome: _Outcome) -> RunResult[Any]:
        reason, error, output = outcome
        text = ""
        for message in reversed(state.messages):
            if message.role is Role.ASSISTANT:
                text = message.content
                break
        return RunResult(
            run_id=spec.run_id,
            output=output,
            text=text,
            messages=tuple(state.messages),
            tool_calls=tuple(state.records),
            usage=Usage(input_tokens=state.input, output_tokens=state.output),
            steps=state.steps,
            stop_reason=reason,
            error=error,
            guardrail_hits=tuple(state.hits),
            cost=state.cost,
        )

    async def _turns(
        self, state: RunState, spec: RunSpec, emit: Emit | None, tracer: Tracer | None
    ) -> _Outcome:
        limits = self.limits
        output = self._output
        corrections = 0
        messages = state.messages
        while True:
            if state.steps >= limits.max_steps:
                return (
                    StopReason.MAX_STEPS,
                    f"the model was called {state.steps} times (max_steps) without a final answer",
                    None,
                )
            try:
                request = await self._request(state, spec)
            except ContextBudgetError as error:
                problem = f"the context window cannot hold the run: {error}"
                return StopReason.MAX_TOKENS, problem, None
            except InvalidModelValue as error:  # e.g. the model reused a tool call id
                problem = f"the model's answers do not form a valid request: {error}"
                return StopReason.MODEL_ERROR, problem, None
            if limits.max_total_tokens is not None:
                over = self._over_budget(state, request, limits.max_total_tokens)
                if over is not None:
                    return StopReason.MAX_TOKENS, over, None
            budget = spec.max_cost if spec.max_cost is not None else limits.max_cost
            if budget is not None:
                over = cost_check(self._model, state.cost, request, budget)
                if over is not None:
                    return StopReason.MAX_COST, over, None
            if self._inference is not None:
                refused = await self._model_denied(state.steps + 1)
                if refused is not None:
                    return StopReason.POLICY_DENIED, refused, None
            state.steps += 1
            try:
                response = await self._call(request, emit, tracer, state.steps)
            except ModelError as error:
                if self.memory is not None:
                    await self.memory.model_error(spec, state.steps, error)
                return StopReason.MODEL_ERROR, f"model call {state.steps} failed: {error}", None
            usage = response.usage
            state.input += usage.input_tokens
            state.output += usage.output_tokens
            state.reported = usage.input_tokens and usage.input_tokens + usage.output_tokens
            if response.cost is not None:
                state.cost = response.cost + (state.cost or 0.0)
            if self.memory is not None:
                await self.memory.model_response(spec, state.steps, response)
            messages.append(assistant_message(response))
            state.mark = len(messages)
            if emit is not None:
                total = Usage(input_tokens=state.input, output_tokens=state.output)
                await emit(ModelCallFinished(response, total))
            calls = response.tool_calls
            if calls:
                stop = self._tool_limits(state, len(calls), budget)
                if stop is not None:
                    return stop
                state.calls += len(calls)
                denied = await self._tools.run(calls, state, spec, emit, tracer)
                if denied is not None:
                    return StopReason.POLICY_DENIED, str(denied), None
                continue
            if output is None:
                return StopReason.COMPLETED, None, response.text
            value, problem = output.parse(response.text)
            if problem is None:
                return StopReason.COMPLETED, None, value
            if corrections >= limits.max_output_retries or state.steps >= limits.max_steps:
                return (
                    StopReason.INVALID_OUTPUT,
                    f"the answer does not fit the output type after {corrections} "
                    f"correction{'' if corrections == 1 else 's'}: {problem}",
                    None,
                )
            corrections += 1
            messages.append(correction_message(problem))

    async def _model_denied(self, step: int) -> str | None:
        policy = current_policy()
        inference = self._inference
        if policy is None or inference is None:
            return None
        decision = await policy.check(inference)
        if decision.is_allow:
            return None
        return f"model call {step} ({inference.label}) denied by policy: {decision.reason}"

    def _tool_limits(self, state: RunState, asked: int, max_cost: float | None) -> _Outcome | None:
        limits = self.limits
        if state.steps >= limits.max_steps:
            return (
                StopReason.MAX_STEPS,
                f"the model asked for tools at its last allowed call (max_steps={limits.max_steps})"
                "; they were not run",
                None,
            )
        if state.calls + asked > limits.max_tool_calls:
            return (
                StopReason.MAX_TOOL_CALLS,
                f"the model asked for {asked} tool call{'' if asked == 1 else 's'} after "
                f"{state.calls}, beyond max_tool_calls={limits.max_tool_calls}; they were not run",
                None,
            )
        budget = limits.max_total_tokens
        if budget is not None and state.input + state.output > budget:
            return (
                StopReason.MAX_TOKENS,
                f"the run used {state.input + state.output} tokens, beyond "
                f"max_total_tokens={budget}; the requested tools were not run",
                None,
            )
        spent = state.cost
        if max_cost is not None and spent is not None and spent > max_cost:
            return (
                StopReason.MAX_COST,
                f"the run has cost ${spent:.6f}, beyond max_cost=${max_cost:g}; "
                "the requested tools were not run",
                None,
            )
        return None

    def _over_budget(self, state: RunState, request: ModelRequest, budget: int) -> str | None:
        used = state.input + state.output
        if state.reported and self.window is None:
            fresh = state.messages[state.mark :]
            predicted = state.reported + sum(_counter.count(message) for message in fresh)
        else:
            predicted = sum(_counter.count(message) for message in request.messages)
        predicted += request.max_output_tokens or 0
        if used + predicted <= budget:
            return None
        return (
            f"the next model call needs about {predicted} tokens and the run has used {used}, "
            f"beyond max_total_tokens={budget}"
        )

    async def _request(self, state: RunState, spec: RunSpec) -> ModelRequest:
        messages = tuple(state.messages)
        if self.window is not None:
            messages = (await self.window.afit(messages)).messages
        temperature = spec.temperature if spec.temperature is not None else self.temperature
        max_output = spec.max_output_tokens
        choice = self.tool_choice
        if state.calls and self.reset_tool_choice:
            choice = "auto"
        return ModelRequest(
            messages,
            tools=self.definitions,
            tool_choice=choice if self.definitions else "auto",
            temperature=temperature,
            max_output_tokens=max_output if max_output is not None else self.max_output_tokens,
            response_format=self.response_format,
        )

    async def _call(
        self, request: ModelRequest, emit: Emit | None, tracer: Tracer | None, step: int
    ) -> ModelResponse:
        if tracer is None:
            if emit is None:
                return await self._model.complete(request)
            return await self._stream(request, emit)
        span = tracer.start_span("agent.model_call")
        if span.is_recording():
            span.set_attributes(telemetry.model_attributes(self._model, step))
        with telemetry.SpanScope(span):  # records a ModelError and sets the error status
            if emit is None:
                response = await self._model.complete(request)
            else:
                response = await self._stream(request, emit)
            if span.is_recording():
                span.set_attributes(telemetry.usage_attributes(response.usage))
            return response

    async def _stream(self, request: ModelRequest, emit: Emit) -> ModelResponse:
        model = self._model
        assembler = ResponseAssembler(model=model.model_name, provider=model.provider)
        stream = model.stream(request)
        try:
            async for event in stream:
                assembler.add(event)
                if type(event) is TextDelta and event.text:
                    await emit(ModelTextDelta(event.text))
        finally:
            close: Callable[[], Awaitable[object]] | None = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        return assembler.response()
