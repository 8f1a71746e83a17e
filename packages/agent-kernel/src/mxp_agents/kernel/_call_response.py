"""What a Call is answered with: `CallResponse` (the Response body, and the last chunk of a
streamed Call), the streamed events before it, `CallFailed` and the Error body."""

from __future__ import annotations

from typing import Any

import msgspec

from mxp_agents.primitives import Usage

__all__ = [
    "CallErrorBody",
    "CallEvent",
    "CallFailed",
    "CallResponse",
    "CallStarted",
    "CallStep",
    "CallTextDelta",
    "CallToolFinished",
    "CallToolStarted",
    "ToolCallSummary",
]


class ToolCallSummary(msgspec.Struct, frozen=True):
    """One tool call of a run, as a `CallResponse` lists it."""

    id: str
    name: str
    is_error: bool = False


class CallResponse(msgspec.Struct, frozen=True, kw_only=True, tag="response", tag_field="type"):
    """The body of the Response to a Call (and the last chunk of a streamed Call).

    ``output`` is the run's output as a JSON value (the text, or the structured output);
    ``stop_reason`` and ``error`` say how the run ended (``ok`` only for ``completed``);
    ``cost`` is what the run's model calls cost in US dollars (None when none was priced).

    Example:
        >>> response = await call_agent(endpoint, address, "add 2 and 3")  # doctest: +SKIP
        >>> response.text, response.stop_reason, response.ok  # doctest: +SKIP
        ('5', 'completed', True)
    """

    run_id: str
    output: Any
    text: str
    stop_reason: str
    usage: Usage = Usage()
    tool_calls: tuple[ToolCallSummary, ...] = ()
    steps: int = 0
    trace_id: int = 0
    error: str | None = None
    cost: float | None = None

    @property
    def ok(self) -> bool:
        """True when the run completed with a final answer.

        Example:
            >>> response.ok  # doctest: +SKIP
            True
        """
        return self.stop_reason == "completed"


class CallStarted(msgspec.Struct, frozen=True, kw_only=True, tag="started", tag_field="type"):
    """Streamed first: the run began on the agent."""

    run_id: str
    agent_id: str
    agent_name: str
    trace_id: int


class CallTextDelta(msgspec.Struct, frozen=True, tag="text_delta", tag_field="type"):
    """Streamed: the next piece of the model's answer."""

    text: str


class CallToolStarted(msgspec.Struct, frozen=True, tag="tool_started", tag_field="type"):
    """Streamed: a tool call starts."""

    id: str
    name: str


class CallToolFinished(msgspec.Struct, frozen=True, tag="tool_finished", tag_field="type"):
    """Streamed: a tool call ended (``is_error`` for a failure), after ``duration`` s."""

    id: str
    name: str
    is_error: bool = False
    duration: float = 0.0


class CallStep(msgspec.Struct, frozen=True, kw_only=True, tag="step", tag_field="type"):
    """Streamed: model call number ``step`` ended; ``usage`` is the run's total so far."""

    step: int
    usage: Usage


class CallFailed(msgspec.Struct, frozen=True, kw_only=True, tag="error", tag_field="type"):
    """Streamed last instead of a `CallResponse` when the call failed after it was accepted."""

    error: str
    code: str
    retry_after_ms: int | None = None


CallEvent = (
    CallStarted | CallTextDelta | CallToolStarted | CallToolFinished | CallStep | CallFailed
    | CallResponse
)  # fmt: skip
"""One chunk of a streamed Call; the last one is a `CallResponse` (or `CallFailed`)."""


class CallErrorBody(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The body of an Error reply: `mxp.bodies.ErrorResponse` plus an optional retry hint.

    Example:
        >>> encode(CallErrorBody(error="queue full", code="busy", retry_after_ms=250))
        b'{"error":"queue full","code":"busy","retry_after_ms":250}'
    """

    error: str
    code: str
    retry_after_ms: int | None = None
