"""Replaying a recorded run: the loop again, with the journal's model responses and tool
results in place of the model and the tools."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec

from mxp_agents.adapters import (
    Finish,
    ModelError,
    ModelRequest,
    ModelResponse,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from mxp_agents.kernel._errors import KernelError
from mxp_agents.kernel._memory_log import (
    AnswerEntry,
    ModelEntry,
    ModelErrorEntry,
    RunEntry,
    TaskEntry,
    ToolCallEntry,
    ToolResultEntry,
    entry_of,
)
from mxp_agents.kernel._model_errors import error_of
from mxp_agents.kernel._run import RunSpec
from mxp_agents.memory import Journal, JournalEntry, MemoryRecord
from mxp_agents.primitives import ToolCall, ToolResult

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Mapping

    from mxp_agents.adapters import ModelEvent
    from mxp_agents.kernel._loop import Loop
    from mxp_agents.kernel._result import RunResult

__all__ = ["ReplayError", "replay_run"]

_to_builtins: Final = msgspec.to_builtins


class ReplayError(KernelError):
    """A run cannot be replayed: no such run in the records, or the replay diverged.

    Example:
        >>> str(ReplayError("no run 'r9' in the records"))
        "no run 'r9' in the records"
    """


class _Recording:
    """One run's entries, sorted out: task, model answers in order, tool calls and results."""

    def __init__(self, run_id: str, records: list[MemoryRecord]) -> None:
        self.run_id = run_id
        self.task: TaskEntry | None = None
        self.metadata: dict[str, Any] = {}
        self.answers: list[ModelEntry | ModelErrorEntry] = []
        self.calls: dict[str, ToolCall] = {}
        self.results: dict[str, ToolResultEntry] = {}
        self.answer: AnswerEntry | None = None
        for record in records:
            entry: RunEntry | None = entry_of(record)
            if isinstance(entry, TaskEntry) and self.task is None:
                self.task, self.metadata = entry, dict(record.metadata)
            elif isinstance(entry, ModelEntry | ModelErrorEntry):
                self.answers.append(entry)
            elif isinstance(entry, ToolCallEntry):
                self.calls[entry.call.id] = entry.call
            elif isinstance(entry, ToolResultEntry):
                self.results[entry.result.tool_call_id] = entry
            elif isinstance(entry, AnswerEntry):
                self.answer = entry


class _RecordedModel:
    """Answers each model call with the next recorded response (or raises the recorded error)."""

    def __init__(self, recording: _Recording, problems: list[str]) -> None:
        self._answers = recording.answers
        self._problems = problems
        self._next = 0
        first = next((a.response for a in self._answers if isinstance(a, ModelEntry)), None)
        self.provider = first.provider if first is not None else "replay"
        self.model_name = first.model if first is not None else "replay"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        index = self._next
        self._next += 1
        if index >= len(self._answers):
            problem = (
                f"the replay made model call {index + 1}, but the recording has "
                f"{len(self._answers)}"
            )
            self._problems.append(problem)
            raise ModelError(problem, provider="replay", model=self.model_name)
        answer = self._answers[index]
        if isinstance(answer, ModelErrorEntry):
            raise error_of(answer.error, model=self.model_name, where="the recording")
        return answer.response

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        response = await self.complete(request)
        if response.text:
            yield TextDelta(response.text)
        for index, call in enumerate(response.tool_calls):
            raw = call.raw_arguments
            if raw is None:
                raw = msgspec.json.encode(call.arguments).decode()
            yield ToolCallDelta(index, call.id, call.name, raw)
        yield UsageUpdate(response.usage, response.cost)
        yield Finish(response.finish_reason)

    @property
    def used(self) -> int:
        return self._next


class _RecordedTools:
    """Answers each tool call with its recorded result; never runs a tool."""

    def __init__(self, recording: _Recording, problems: list[str]) -> None:
        self._calls = recording.calls
        self._results = recording.results
        self._problems = problems
        self.used = 0

    async def execute(
        self,
        call: ToolCall,
        *,
        agent_id: str | None = None,
        run_id: str | None = None,
        trace_id: int | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> ToolResult:
        self.used += 1
        recorded_call = self._calls.get(call.id)
        recorded = self._results.get(call.id)
        if recorded is None or recorded_call is None:
            problem = f"tool call {call.id!r} ({call.name}) has no recorded result"
        elif (recorded_call.name, recorded_call.arguments) != (call.name, call.arguments):
            problem = (
                f"tool call {call.id!r} differs from the recording: {call.name}"
                f"({call.arguments}) instead of {recorded_call.name}({recorded_call.arguments})"
            )
        else:
            return recorded.result
        self._problems.append(problem)
        return ToolResult(
            tool_call_id=call.id, name=call.name, content=f"replay: {problem}", is_error=True
        )


async def replay_run(
    loop: Loop, source: Journal | Iterable[JournalEntry | MemoryRecord], run_id: str | None
) -> RunResult[Any]:
    """Run ``loop`` again on the recorded run ``run_id`` of ``source`` (see `Agent.replay`).

    Example:
        >>> result = await replay_run(agent._loop, journal, "run-1")  # doctest: +SKIP
    """
    recording = await _recording(source, run_id)
    task = recording.task
    if task is None:
        raise ReplayError(f"run {recording.run_id!r} has no task record: it cannot be replayed")
    problems: list[str] = []
    model = _RecordedModel(recording, problems)
    tools = _RecordedTools(recording, problems)
    spec = RunSpec(
        recording.run_id,
        list(task.messages),
        (),
        None,
        recording.metadata or None,
        None,
        task.temperature,
        task.max_output_tokens,
    )
    spec.max_cost = task.max_cost
    result = await loop.replaying(model, tools).run(spec, None, None)
    problems.extend(_differences(recording, result, model.used, tools.used))
    if problems:
        raise ReplayError(
            f"the replay of run {recording.run_id!r} diverged from its recording: "
            + "; ".join(problems)
        )
    return result


async def _recording(
    source: Journal | Iterable[JournalEntry | MemoryRecord], run_id: str | None
) -> _Recording:
    if run_id is not None and (not isinstance(run_id, str) or not run_id):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ReplayError(f"run_id must be a non-empty str, got {run_id!r}")
    records: list[MemoryRecord] = []
    if isinstance(source, Journal):
        if run_id is None:
            raise ReplayError("replaying from a journal needs the run_id of the run")
        records = [entry.record async for entry in source.read(run_id=run_id)]
    else:
        if isinstance(source, str | bytes):
            raise ReplayError("source must be a Journal or the run's records, not a str")
        for index, item in enumerate(source):
            record = item.record if isinstance(item, JournalEntry) else item
            if not isinstance(record, MemoryRecord):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise ReplayError(
                    "source must hold MemoryRecords or JournalEntries, got "
                    f"{type(item).__name__} - at $[{index}]"
                )
            records.append(record)
    runs = {record.run_id for record in records if entry_of(record) is not None}
    if run_id is None:
        if len(runs) != 1 or None in runs:
            raise ReplayError(
                f"the records hold {len(runs)} runs; say which one with run_id="
                if runs
                else "the records hold no run written by an agent loop"
            )
        (run_id,) = runs
        assert run_id is not None
    chosen = [record for record in records if record.run_id == run_id]
    if not chosen:
        raise ReplayError(f"no run {run_id!r} in the records")
    return _Recording(run_id, chosen)


def _differences(
    recording: _Recording, result: RunResult[Any], models: int, tools: int
) -> list[str]:
    problems: list[str] = []
    if models != len(recording.answers):
        problems.append(
            f"the replay made {models} model calls, the recording {len(recording.answers)}"
        )
    if tools != len(recording.results):
        problems.append(
            f"the replay ran {tools} tool calls, the recording {len(recording.results)}"
        )
    answer = recording.answer
    if answer is None:
        problems.append("the recording has no answer: the run did not finish when it was recorded")
        return problems
    seen = {
        "stop_reason": (result.stop_reason.value, answer.stop_reason),
        "text": (result.text, answer.text),
        "output": (_to_builtins(result.output), answer.output),
        "steps": (result.steps, answer.steps),
        "error": (result.error, answer.error),
    }
    for name, (replayed, recorded) in seen.items():
        if replayed != recorded:
            problems.append(f"{name} is {replayed!r}, the recording says {recorded!r}")
    return problems
