"""`RunResult` (what one run produced) and `ToolCallRecord` (one tool call it made)."""

from typing import Generic, TypeVar

import msgspec

from mxp_agents.kernel._limits import StopReason
from mxp_agents.primitives import Message, ToolCall, ToolResult, Usage
from mxp_agents.prompts import GuardrailHit

__all__ = ["OutputT", "RunResult", "ToolCallRecord"]

OutputT = TypeVar("OutputT")


class ToolCallRecord(msgspec.Struct, frozen=True):
    """One tool call of a run: the call as executed, its result and how long it took (seconds).

    ``call`` is the call the executor ran: with guardrails, its arguments are the redacted
    ones (the transcript keeps the model's original call).

    Example:
        >>> record = result.tool_calls[0]  # doctest: +SKIP
        >>> record.call.name, record.result.content, record.result.is_error  # doctest: +SKIP
        ('add', '5', False)
    """

    call: ToolCall
    result: ToolResult
    duration: float


class RunResult(msgspec.Struct, Generic[OutputT], frozen=True, kw_only=True):
    """What one run produced: the answer, the transcript, the tool calls, usage and why it ended.

    - ``output``: the final answer — the text, or an instance of the agent's ``output_type`` —
      or None when the run did not complete.
    - ``text``: the text of the last model answer ("" when there was none).
    - ``messages``: the whole transcript, the system message and history included; on a limit,
      timeout or cancellation it is the partial transcript (it may end with an assistant
      message whose tool calls were not answered).
    - ``tool_calls``: every executed call in order, with result and duration.
    - ``usage``: the tokens of every model call, summed. ``steps``: the model calls made.
    - ``cost``: what the model calls cost in US dollars, summed over the calls that reported
      a cost (None when none did).
    - ``stop_reason`` and ``error`` (a message for every reason but ``completed``).
    - ``guardrail_hits``: what the guardrails found in the task and the tool arguments.

    Example:
        >>> result = await agent.run("What is 2 + 3?")  # doctest: +SKIP
        >>> result.ok, result.output, result.stop_reason  # doctest: +SKIP
        (True, '5', <StopReason.COMPLETED: 'completed'>)
    """

    run_id: str
    output: OutputT | None
    text: str
    messages: tuple[Message, ...]
    tool_calls: tuple[ToolCallRecord, ...]
    usage: Usage
    steps: int
    stop_reason: StopReason
    error: str | None = None
    guardrail_hits: tuple[GuardrailHit, ...] = ()
    cost: float | None = None

    @property
    def ok(self) -> bool:
        """True when the run completed with a final answer.

        Example:
            >>> result.ok  # doctest: +SKIP
            True
        """
        return self.stop_reason is StopReason.COMPLETED
