"""What the agent loop remembers: one `MemoryRecord` per step of a run, written to the agent's
`MemoryBus` before the step's effect is acknowledged.

A run leaves, in order: a ``task`` (channel input: the first messages and the run's options,
the caller's metadata), then per model call a ``model_response`` (channel system), per tool
call a ``tool_call`` before it runs and a ``tool_result`` after (channel tool), and last an
``answer`` (channel output). The payloads are the tagged `RunEntry` Structs (field ``"type"``),
so a journal holds everything `Agent.replay` needs.

In a run governed by a policy, each write is first a `MemoryWrite` {channel, tags} question to
it: a denied (or unapproved) write raises `PolicyDenied` and the step it records does not happen
- the run ends with ``StopReason.POLICY_DENIED`` rather than going on unrecorded.
"""

from typing import TYPE_CHECKING, Any, Final, TypeAlias

import msgspec

from mxp_agents.adapters import ModelError, ModelResponse
from mxp_agents.kernel._governor import PolicyDenied, current_policy
from mxp_agents.kernel._model_errors import ModelErrorBody, body_of
from mxp_agents.memory import MemoryChannel, MemoryRecord
from mxp_agents.policy import MemoryWrite
from mxp_agents.primitives import Message, Role, ToolCall, ToolResult, Usage

if TYPE_CHECKING:
    from mxp_agents.kernel._result import RunResult
    from mxp_agents.kernel._run import RunSpec
    from mxp_agents.memory import MemoryBus

__all__ = [
    "AnswerEntry",
    "MemoryLog",
    "ModelEntry",
    "ModelErrorEntry",
    "RunEntry",
    "TaskEntry",
    "ToolCallEntry",
    "ToolResultEntry",
    "entry_of",
]


class TaskEntry(msgspec.Struct, frozen=True, tag="task", tag_field="type"):
    """A run began: its first messages (system, history, task) and its per-run options.

    Example:
        >>> TaskEntry("hi", (Message.user("hi"),)).text
        'hi'
    """

    text: str
    messages: tuple[Message, ...]
    temperature: float | None = None
    max_output_tokens: int | None = None
    max_cost: float | None = None


class ModelEntry(msgspec.Struct, frozen=True, tag="model_response", tag_field="type"):
    """A model call answered (``response`` as the loop received it).

    Example:
        >>> ModelEntry(ModelResponse(text="5")).response.text
        '5'
    """

    response: ModelResponse


class ModelErrorEntry(msgspec.Struct, frozen=True, tag="model_error", tag_field="type"):
    """A model call failed: the error as the model-call wire carries it (class, message, ...).

    Example:
        >>> ModelErrorEntry(body_of(TransientModelError("overloaded"))).error.kind
        'transient'
    """

    error: ModelErrorBody


class ToolCallEntry(msgspec.Struct, frozen=True, tag="tool_call", tag_field="type"):
    """A tool call about to run, with the arguments it runs with.

    Example:
        >>> ToolCallEntry(ToolCall("c1", "add", {"a": 1})).call.name
        'add'
    """

    call: ToolCall


class ToolResultEntry(msgspec.Struct, frozen=True, tag="tool_result", tag_field="type"):
    """A tool call's result, as the model gets it, and how long it took (seconds).

    Example:
        >>> ToolResultEntry(ToolResult("c1", "add", "3")).result.content
        '3'
    """

    result: ToolResult
    duration: float = 0.0


class AnswerEntry(msgspec.Struct, frozen=True, tag="answer", tag_field="type"):
    """A run ended: its answer text, structured output (as JSON values), why, usage and cost.

    Example:
        >>> AnswerEntry("5", "5", "completed", None, Usage(), 1).stop_reason
        'completed'
    """

    text: str
    output: Any
    stop_reason: str
    error: str | None
    usage: Usage
    steps: int
    cost: float | None = None
    tool_calls: int = 0


RunEntry: TypeAlias = (
    TaskEntry | ModelEntry | ModelErrorEntry | ToolCallEntry | ToolResultEntry | AnswerEntry
)
"""The payload of a record the loop wrote; decode with `entry_of`."""

_to_builtins: Final = msgspec.to_builtins
_ENTRY_TYPES: Final = (
    TaskEntry, ModelEntry, ModelErrorEntry, ToolCallEntry, ToolResultEntry, AnswerEntry
)  # fmt: skip


def entry_of(record: MemoryRecord) -> RunEntry | None:
    """The `RunEntry` a record holds, or None for a record the loop did not write.

    Works on records fresh from the loop (the payload is the Struct) and on records read back
    from a journal (the payload is its msgpack form).

    Example:
        >>> entry_of(MemoryRecord(MemoryChannel.INPUT, "just text")) is None
        True
    """
    payload = record.payload
    if isinstance(payload, _ENTRY_TYPES):
        return payload
    if not isinstance(payload, dict) or "type" not in payload:
        return None
    try:
        return msgspec.convert(payload, RunEntry)
    except msgspec.ValidationError:
        return None


class MemoryLog:
    """Writes the steps of one agent's runs to its `MemoryBus`.

    Each write returns once the bus has it (durably, when its journal says so); an error from
    the bus propagates and ends the run before the step takes effect. In a governed run the
    policy is asked first; `PolicyDenied` is raised when it does not allow the write.

    Example:
        >>> log = MemoryLog(MemoryBus(), agent_id="0190...")
        >>> await log.task(spec, ())  # doctest: +SKIP
    """

    __slots__ = ("agent_id", "bus")

    def __init__(self, bus: "MemoryBus", *, agent_id: str) -> None:
        self.bus = bus
        self.agent_id = agent_id

    async def task(self, spec: "RunSpec") -> None:
        """Record the start of a run.

        Example:
            >>> await log.task(spec)  # doctest: +SKIP
        """
        text = ""
        for message in reversed(spec.messages):
            if message.role is Role.USER:
                text = message.content
                break
        entry = TaskEntry(
            text,
            tuple(spec.messages),
            spec.temperature,
            spec.max_output_tokens,
            spec.max_cost,
        )
        metadata = dict(spec.metadata) if spec.metadata else {}
        await self._write(MemoryChannel.INPUT, entry, spec, 0, metadata)

    async def model_response(self, spec: "RunSpec", step: int, response: ModelResponse) -> None:
        """Record a model call's answer.

        Example:
            >>> await log.model_response(spec, 1, response)  # doctest: +SKIP
        """
        await self._write(MemoryChannel.SYSTEM, ModelEntry(response), spec, step)

    async def model_error(self, spec: "RunSpec", step: int, error: ModelError) -> None:
        """Record a failed model call.

        Example:
            >>> await log.model_error(spec, 2, error)  # doctest: +SKIP
        """
        await self._write(MemoryChannel.SYSTEM, ModelErrorEntry(body_of(error)), spec, step)

    async def tool_call(self, spec: "RunSpec", step: int, call: ToolCall) -> None:
        """Record a tool call before it runs.

        Example:
            >>> await log.tool_call(spec, 1, call)  # doctest: +SKIP
        """
        await self._write(MemoryChannel.TOOL, ToolCallEntry(call), spec, step)

    async def tool_result(
        self, spec: "RunSpec", step: int, result: ToolResult, duration: float
    ) -> None:
        """Record a tool call's result before the model sees it.

        Example:
            >>> await log.tool_result(spec, 1, result, 0.01)  # doctest: +SKIP
        """
        await self._write(MemoryChannel.TOOL, ToolResultEntry(result, duration), spec, step)

    async def answer(self, spec: "RunSpec", result: "RunResult[Any]") -> None:
        """Record how the run ended, before the caller gets the result.

        Example:
            >>> await log.answer(spec, result)  # doctest: +SKIP
        """
        entry = AnswerEntry(
            result.text,
            _to_builtins(result.output),
            result.stop_reason.value,
            result.error,
            result.usage,
            result.steps,
            result.cost,
            len(result.tool_calls),
        )
        await self._write(MemoryChannel.OUTPUT, entry, spec, result.steps)

    async def _write(
        self,
        channel: MemoryChannel,
        entry: RunEntry,
        spec: "RunSpec",
        step: int,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        policy = current_policy()
        if policy is not None:
            decision = await policy.check(MemoryWrite(channel.value, spec.memory_tags))
            if not decision.is_allow:
                raise PolicyDenied(f"memory write `{channel.value}`", decision.reason or "denied")
        record = MemoryRecord(
            channel,
            entry,
            tags=spec.memory_tags,
            metadata=metadata if metadata is not None else {},
            run_id=spec.run_id,
            step=step,
            agent_id=self.agent_id,
        )
        await self.bus.write(record)
