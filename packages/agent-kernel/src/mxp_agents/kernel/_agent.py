"""`Agent`: instructions, a model, tools and limits, run as the agent loop."""

from __future__ import annotations

from random import getrandbits
from typing import TYPE_CHECKING, Any, Generic, overload

from mxp_agents.adapters import ModelAdapter, ToolChoice, ToolChoiceTool
from mxp_agents.kernel import _telemetry as telemetry
from mxp_agents.kernel._errors import AgentConfigError, KernelError, RunInputError
from mxp_agents.kernel._governor import Governance
from mxp_agents.kernel._limits import RunLimits, check_cost
from mxp_agents.kernel._loop import Loop
from mxp_agents.kernel._memory_log import MemoryLog
from mxp_agents.kernel._output import OutputSpec
from mxp_agents.kernel._prompt import Instructions, InstructionsLike, Task, assemble
from mxp_agents.kernel._replay import replay_run
from mxp_agents.kernel._result import OutputT, RunResult
from mxp_agents.kernel._run import RunSpec, RunStream
from mxp_agents.kernel._tool_calls import ToolRunner
from mxp_agents.memory import MemoryBus
from mxp_agents.primitives import AgentId, InvalidValue, random_agent_id
from mxp_agents.tools import Tool, ToolExecutor, ToolRegistry, ToolsError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from mxp_agents.config import Secret
    from mxp_agents.memory import Journal, JournalEntry, MemoryRecord
    from mxp_agents.policy import ApprovalStore, AuditSink, DecisionKind, PolicyEngine
    from mxp_agents.primitives import CapabilityId, Message
    from mxp_agents.prompts import ContextWindow, Guardrails
    from mxp_agents.tools import AuditSinkLike

__all__ = ["Agent"]

_DEFAULT_LIMITS = RunLimits()
_NO_SECRETS: Mapping[str, Secret] = {}


class Agent(Generic[OutputT]):
    """An agent: instructions, a model, tools it may call and the limits of each run.

    Everything that does not change between runs is prepared here once: the system message,
    the tool definitions offered to the model (only the tools whose capabilities are all in
    ``capabilities``), the `ToolExecutor`, the output type's JSON Schema and decoder. Tools are
    read now: register them before building the agent. One agent serves any number of
    concurrent runs.

    Arguments: ``name``; ``model`` (any `ModelAdapter`); ``instructions`` (a str, a
    `PromptTemplate` or a system → role → task `PromptStack`, rendered with the run's
    ``variables``); ``tools`` (`Tool`s or a `ToolRegistry`); ``capabilities`` granted to the
    agent (a tool needing another is never invoked); ``secrets`` (each tool sees only the ones
    it declares); ``output_type`` (a msgspec-supported type for structured output);
    ``limits``; ``temperature`` and ``max_output_tokens`` for every model call;
    ``tool_choice`` (``"auto"``, ``"required"``, ``"none"`` or a `ToolChoiceTool`) for the
    model calls until a tool has run, then ``"auto"`` again unless ``reset_tool_choice`` is
    False (so a forced tool call cannot loop); ``context_window`` (fits each request);
    ``guardrails`` (applied to the task and to tool arguments); ``audit`` (receives a
    `ToolAuditEvent` per tool call); ``memory`` (a `MemoryBus` every step of every run is
    written to before it takes effect, so `replay` can re-run it); ``id``.

    Governance: ``policy`` (a `PolicyEngine`) is asked before every model call, tool call,
    memory write and outbound (delegated) call of every run, and nothing happens without its
    allow; an engine error or no answer within ``policy_timeout`` seconds is a deny. A denied
    tool call is not run (the model gets ``denied by policy: <reason>``); a denied delegation
    sends nothing (the tool reports it); a denied model call or memory write ends the run with
    ``StopReason.POLICY_DENIED``. An escalation suspends the step on an `ApprovalRequest` in
    ``approvals`` (an `ApprovalStore`), bound to the exact action, until it is approved (the
    step runs once), denied, or its deadline (``approval_timeout`` seconds) passes and
    ``approval_fallback`` (``"deny"`` unless ``"allow"``) applies. ``policy_audit`` (an
    `AuditSink`) records every decision; a decision it cannot record is a deny.

    Raises:
        AgentConfigError: an argument that cannot work (the message names it).

    Example:
        >>> import trio
        >>> from mxp_agents.adapters.testing import ScriptedModel, Step
        >>> from mxp_agents.primitives import ToolCall
        >>> from mxp_agents.tools import tool
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> agent = Agent(
        ...     name="calculator",
        ...     instructions="You add numbers.",
        ...     model=ScriptedModel([
        ...         Step.tool_calls(ToolCall("call_1", "add", {"a": 2, "b": 3})),
        ...         Step.text("2 + 3 = 5"),
        ...     ]),
        ...     tools=[add],
        ... )
        >>> result = trio.run(agent.run, "What is 2 + 3?")
        >>> result.output, result.tool_calls[0].result.content
        ('2 + 3 = 5', '5')
    """

    @overload
    def __init__(
        self: Agent[str],
        name: str,
        *,
        model: ModelAdapter,
        instructions: InstructionsLike = None,
        tools: Iterable[Tool] | ToolRegistry = (),
        capabilities: Iterable[CapabilityId | str] = (),
        secrets: Mapping[str, Secret] = ...,
        output_type: None = None,
        limits: RunLimits = ...,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        context_window: ContextWindow | None = None,
        guardrails: Guardrails | None = None,
        audit: AuditSinkLike | None = None,
        id: AgentId | None = None,
        tool_choice: ToolChoice = "auto",
        reset_tool_choice: bool = True,
        memory: MemoryBus | None = None,
        policy: PolicyEngine | None = None,
        approvals: ApprovalStore | None = None,
        policy_audit: AuditSink | None = None,
        policy_timeout: float = 2.0,
        approval_timeout: float = 3600.0,
        approval_fallback: DecisionKind | str = "deny",
    ) -> None: ...
    @overload
    def __init__(
        self,
        name: str,
        *,
        model: ModelAdapter,
        instructions: InstructionsLike = None,
        tools: Iterable[Tool] | ToolRegistry = (),
        capabilities: Iterable[CapabilityId | str] = (),
        secrets: Mapping[str, Secret] = ...,
        output_type: type[OutputT],
        limits: RunLimits = ...,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        context_window: ContextWindow | None = None,
        guardrails: Guardrails | None = None,
        audit: AuditSinkLike | None = None,
        id: AgentId | None = None,
        tool_choice: ToolChoice = "auto",
        reset_tool_choice: bool = True,
        memory: MemoryBus | None = None,
        policy: PolicyEngine | None = None,
        approvals: ApprovalStore | None = None,
        policy_audit: AuditSink | None = None,
        policy_timeout: float = 2.0,
        approval_timeout: float = 3600.0,
        approval_fallback: DecisionKind | str = "deny",
    ) -> None: ...
    def __init__(
        self,
        name: str,
        *,
        model: ModelAdapter,
        instructions: InstructionsLike = None,
        tools: Iterable[Tool] | ToolRegistry = (),
        capabilities: Iterable[CapabilityId | str] = (),
        secrets: Mapping[str, Secret] = _NO_SECRETS,
        output_type: type[OutputT] | None = None,
        limits: RunLimits = _DEFAULT_LIMITS,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        context_window: ContextWindow | None = None,
        guardrails: Guardrails | None = None,
        audit: AuditSinkLike | None = None,
        id: AgentId | None = None,
        tool_choice: ToolChoice = "auto",
        reset_tool_choice: bool = True,
        memory: MemoryBus | None = None,
        policy: PolicyEngine | None = None,
        approvals: ApprovalStore | None = None,
        policy_audit: AuditSink | None = None,
        policy_timeout: float = 2.0,
        approval_timeout: float = 3600.0,
        approval_fallback: DecisionKind | str = "deny",
    ) -> None:
        if not isinstance(name, str) or not name.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(f"name must be a non-blank str, got {name!r}")
        if not isinstance(model, ModelAdapter):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(
                f"model must be a ModelAdapter (provider, model_name, stream, complete), "
                f"got {type(model).__name__}"
            )
        if not isinstance(limits, RunLimits):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(f"limits must be a RunLimits, got {type(limits).__name__}")
        _check_sampling(temperature, max_output_tokens)
        _check_tool_choice(tool_choice, reset_tool_choice)
        if memory is not None and not isinstance(memory, MemoryBus):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise AgentConfigError(f"memory must be a MemoryBus, got {type(memory).__name__}")
        self._name = name
        self._id: AgentId = id if id is not None else random_agent_id()
        self._model = model
        self._instructions = Instructions(instructions)
        self._guardrails = guardrails
        self._limits = limits
        registry = tools if isinstance(tools, ToolRegistry) else _registry(tools)
        try:
            executor = ToolExecutor(registry, granted=capabilities, secrets=secrets, audit=audit)
        except (ToolsError, InvalidValue) as error:
            raise AgentConfigError(f"cannot build the agent's tool executor: {error}") from None
        self._executor = executor
        self._output = OutputSpec(output_type) if output_type is not None else None
        definitions = tuple(registry.definitions(granted=executor.granted))
        if isinstance(tool_choice, ToolChoiceTool) and tool_choice.name not in {
            definition.name for definition in definitions
        }:
            raise AgentConfigError(
                f"tool_choice names tool {tool_choice.name!r}, which the agent does not offer "
                f"(offered: {[d.name for d in definitions]})"
            )
        agent_id = str(self._id)
        governance: Governance | None = None
        if policy is not None:
            governance = Governance(
                policy,
                agent_id=agent_id,
                approvals=approvals,
                audit=policy_audit,
                timeout=policy_timeout,
                approval_timeout=approval_timeout,
                fallback=approval_fallback,
            )
        elif approvals is not None or policy_audit is not None:
            raise AgentConfigError("approvals= and policy_audit= need a policy= to consult")
        self._governance = governance
        telemetry.load()
        self._memory = memory
        log = MemoryLog(memory, agent_id=agent_id) if memory is not None else None
        self._loop = Loop(
            agent_id=agent_id,
            name=name,
            model=model,
            tools=ToolRunner(
                executor, agent_id=agent_id, guardrails=guardrails, audit=audit, memory=log
            ),
            definitions=definitions,
            output=self._output,
            limits=limits,
            temperature=temperature,
            max_output_tokens=max_output_tokens,
            window=context_window,
            tool_choice=tool_choice,
            reset_tool_choice=reset_tool_choice,
            memory=log,
            governance=governance,
        )

    @property
    def name(self) -> str:
        """The agent's name.

        Example:
            >>> agent.name  # doctest: +SKIP
            'calculator'
        """
        return self._name

    @property
    def id(self) -> AgentId:
        """The agent's id (random unless given).

        Example:
            >>> str(agent.id)  # doctest: +SKIP
            '5f0c6a8e-...'
        """
        return self._id

    @property
    def model(self) -> ModelAdapter:
        """The model the agent calls.

        Example:
            >>> agent.model.provider  # doctest: +SKIP
            'scripted'
        """
        return self._model

    @property
    def limits(self) -> RunLimits:
        """The limits of each run.

        Example:
            >>> agent.limits.max_steps  # doctest: +SKIP
            10
        """
        return self._limits

    @property
    def executor(self) -> ToolExecutor:
        """The `ToolExecutor` running this agent's tool calls (registry, granted capabilities).

        Example:
            >>> sorted(agent.executor.granted)  # doctest: +SKIP
            ['math.add']
        """
        return self._executor

    @property
    def memory(self) -> MemoryBus | None:
        """The `MemoryBus` every step of every run is written to, or None.

        Example:
            >>> agent.memory.recent(1)[0].channel  # doctest: +SKIP
            <MemoryChannel.OUTPUT: 'output'>
        """
        return self._memory

    @property
    def governance(self) -> Governance | None:
        """The agent's policy, approval store and audit sink (None: no policy).

        Example:
            >>> agent.governance.approval_timeout  # doctest: +SKIP
            3600.0
        """
        return self._governance

    @property
    def output_type(self) -> Any:
        """The structured output type, or None for text answers.

        Example:
            >>> agent.output_type is None  # doctest: +SKIP
            True
        """
        return self._output.type if self._output is not None else None

    async def run(
        self,
        task: Task,
        *,
        variables: Mapping[str, object] | None = None,
        run_id: str | None = None,
        trace_id: int | None = None,
        deadline: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        history: Sequence[Message] | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        max_cost: float | None = None,
        memory_tags: Iterable[str] = (),
    ) -> RunResult[OutputT]:
        """Run the loop on ``task`` (a str, or messages) and return how it ended.

        ``variables`` render template instructions; ``history`` goes between the system
        message and the task; ``run_id`` (random unless given) is the ``task.id`` of spans and
        the ``run_id`` of tool contexts and audit events; ``trace_id`` (the MXP trace id) and
        ``metadata`` (``"mxp.message_id"`` is put on spans) reach the tools' contexts;
        ``deadline`` is an absolute `trio.current_time` bound, combined with
        ``limits.max_wall_time``; ``temperature`` and ``max_output_tokens`` override the
        agent's for this run's model calls; ``max_cost`` (US dollars) overrides
        ``limits.max_cost`` for this run; ``memory_tags`` go on every memory record of the run
        (``("sensitive",)`` keeps them from ever leaving the agent).

        Model errors, limits, timeouts, invalid output and policy denies end the run with a
        `StopReason`; they do not raise. A step waiting for an approval counts against the
        run's ``max_wall_time`` and ``deadline``. The caller's cancellation propagates, and so
        does an error of the agent's memory (a step that cannot be recorded does not happen).

        Raises:
            RunInputError: an empty task, bad history or option (before any model call).
            PromptsError: the instructions cannot be rendered with ``variables``, or the
                guardrails block the task (`GuardrailViolation`).

        Example:
            >>> result = await agent.run("What is 2 + 3?")  # doctest: +SKIP
            >>> result.output, result.stop_reason  # doctest: +SKIP
            ('2 + 3 = 5', <StopReason.COMPLETED: 'completed'>)
        """
        spec = self._spec(task, variables, run_id, trace_id, deadline, metadata, history)
        _check_sampling(temperature, max_output_tokens, RunInputError)
        check_cost(max_cost, RunInputError, "run(max_cost=...)")
        spec.temperature, spec.max_output_tokens = temperature, max_output_tokens
        spec.max_cost = max_cost
        spec.memory_tags = _memory_tags(memory_tags)
        return await self._loop.run(spec, None, None)

    def run_stream(
        self,
        task: Task,
        *,
        variables: Mapping[str, object] | None = None,
        run_id: str | None = None,
        trace_id: int | None = None,
        deadline: float | None = None,
        metadata: Mapping[str, Any] | None = None,
        history: Sequence[Message] | None = None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        max_cost: float | None = None,
        memory_tags: Iterable[str] = (),
    ) -> RunStream[OutputT]:
        """Like `run`, streaming the model and reporting each step as a `RunEvent`.

        Use the returned `RunStream` with ``async with``; iterate it for the events. The input
        is checked here (same errors as `run`).

        Example:
            >>> async with agent.run_stream("What is 2 + 3?") as events:  # doctest: +SKIP
            ...     async for event in events:
            ...         print(type(event).__name__)
            RunStarted
            ModelTextDelta
            ...
            RunFinished
        """
        spec = self._spec(task, variables, run_id, trace_id, deadline, metadata, history)
        _check_sampling(temperature, max_output_tokens, RunInputError)
        check_cost(max_cost, RunInputError, "run_stream(max_cost=...)")
        spec.temperature, spec.max_output_tokens = temperature, max_output_tokens
        spec.max_cost = max_cost
        spec.memory_tags = _memory_tags(memory_tags)
        return RunStream(self._loop, spec)

    async def replay(
        self,
        source: Journal | Iterable[JournalEntry | MemoryRecord],
        *,
        run_id: str | None = None,
    ) -> RunResult[OutputT]:
        """Re-execute a recorded run from its memory records: no model or tool is called.

        ``source`` is a `Journal` (then ``run_id`` names the run) or the run's records or
        journal entries (from any journal, e.g. one read over MXP). The loop runs again with
        the recorded task and options; each model call gets the recorded response, each tool
        call the recorded result. The result must match the recorded answer.

        Raises:
            ReplayError: the records hold no such run, or the replay diverged from the
                recording (another model call or tool call than recorded, another answer) —
                the message says where.

        Example:
            >>> replayed = await agent.replay(journal, run_id=result.run_id)  # doctest: +SKIP
            >>> replayed.output == result.output  # doctest: +SKIP
            True
        """
        return await replay_run(self._loop, source, run_id)

    def _spec(
        self,
        task: Task,
        variables: Mapping[str, object] | None,
        run_id: str | None,
        trace_id: int | None,
        deadline: float | None,
        metadata: Mapping[str, Any] | None,
        history: Sequence[Message] | None,
    ) -> RunSpec:
        if run_id is None:
            run_id = f"{getrandbits(128):032x}"
        elif not isinstance(run_id, str) or not run_id:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise RunInputError(f"run_id must be a non-empty str, got {run_id!r}")
        if trace_id is not None and (isinstance(trace_id, bool) or not isinstance(trace_id, int)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise RunInputError(f"trace_id must be an int (the MXP trace id), got {trace_id!r}")
        messages, hits = assemble(self._instructions, task, variables, history, self._guardrails)
        return RunSpec(run_id, messages, hits, trace_id, metadata, deadline)

    def __repr__(self) -> str:
        return f"Agent(name={self._name!r}, id={str(self._id)!r}, model={self._model.model_name!r})"


def _memory_tags(tags: Iterable[str]) -> tuple[str, ...]:
    if isinstance(tags, str):
        raise RunInputError("memory_tags must be a collection of str, not a str")
    chosen = tuple(tags)
    for index, tag in enumerate(chosen):
        if not isinstance(tag, str) or not tag.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
            raise RunInputError(f"memory tags must be non-blank str, got {tag!r} - at $[{index}]")
    return chosen


def _registry(tools: Iterable[Tool]) -> ToolRegistry:
    if isinstance(tools, str | bytes):
        raise AgentConfigError("tools must be a collection of tools or a ToolRegistry")
    try:
        return ToolRegistry(tools)
    except ToolsError as error:
        raise AgentConfigError(f"cannot register the agent's tools: {error}") from None


def _check_sampling(
    temperature: float | None,
    max_output_tokens: int | None,
    error: type[KernelError] = AgentConfigError,
) -> None:
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)  # pyright: ignore[reportUnnecessaryIsInstance]
        or not 0.0 <= temperature <= 2.0
    ):
        raise error(f"temperature must be between 0 and 2, got {temperature!r}")
    if max_output_tokens is not None and (
        isinstance(max_output_tokens, bool)
        or not isinstance(max_output_tokens, int)  # pyright: ignore[reportUnnecessaryIsInstance]
        or max_output_tokens < 1
    ):
        raise error(f"max_output_tokens must be an int >= 1, got {max_output_tokens!r}")


def _check_tool_choice(choice: object, reset: object) -> None:
    if not (choice in ("auto", "none", "required") or isinstance(choice, ToolChoiceTool)):
        raise AgentConfigError(
            f"tool_choice must be 'auto', 'none', 'required' or a ToolChoiceTool, got {choice!r}"
        )
    if not isinstance(reset, bool):
        raise AgentConfigError(f"reset_tool_choice must be a bool, got {reset!r}")
