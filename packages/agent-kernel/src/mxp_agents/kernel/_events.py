"""The events of a streamed run (`Agent.run_stream`), in the order they happen.

A run emits `RunStarted`, then for each model call its `ModelTextDelta`s and one
`ModelCallFinished`, then for each tool call a `ToolCallStarted` and a `ToolCallFinished`
(parallel calls: every start first, then the finishes as the calls end), and last `RunFinished`.
The events are a msgspec tagged union (field ``"type"``), so they encode to JSON.
"""

from typing import Any

import msgspec

from mxp_agents.adapters import ModelResponse
from mxp_agents.kernel._result import RunResult
from mxp_agents.primitives import ToolCall, ToolResult, Usage

__all__ = [
    "ModelCallFinished",
    "ModelTextDelta",
    "RunEvent",
    "RunFinished",
    "RunStarted",
    "ToolCallFinished",
    "ToolCallStarted",
]


class RunStarted(msgspec.Struct, frozen=True, tag="run_started", tag_field="type"):
    """The first event: the run's id and the agent running it.

    Example:
        >>> RunStarted("run-1", "worker", "0190...").run_id
        'run-1'
    """

    run_id: str
    agent_name: str
    agent_id: str


class ModelTextDelta(msgspec.Struct, frozen=True, tag="model_text_delta", tag_field="type"):
    """The next piece of the model's answer text, as the model streams it.

    Example:
        >>> msgspec.json.encode(ModelTextDelta("Hel"))
        b'{"type":"model_text_delta","text":"Hel"}'
    """

    text: str


class ModelCallFinished(msgspec.Struct, frozen=True, tag="model_call_finished", tag_field="type"):
    """A model call ended: its whole ``response`` and the run's ``usage`` so far (summed).

    Example:
        >>> event.response.tool_calls, event.usage.total  # doctest: +SKIP
        ((ToolCall(id='call_1', name='add', ...),), 42)
    """

    response: ModelResponse
    usage: Usage


class ToolCallStarted(msgspec.Struct, frozen=True, tag="tool_call_started", tag_field="type"):
    """A tool call is about to run (with the arguments it runs with).

    Example:
        >>> ToolCallStarted(ToolCall("call_1", "add", {"a": 1})).call.name
        'add'
    """

    call: ToolCall


class ToolCallFinished(msgspec.Struct, frozen=True, tag="tool_call_finished", tag_field="type"):
    """A tool call ended: its result (``is_error`` for a failure) and duration in seconds.

    Example:
        >>> event.result.content, event.duration  # doctest: +SKIP
        ('5', 0.0001)
    """

    call: ToolCall
    result: ToolResult
    duration: float = 0.0


class RunFinished(msgspec.Struct, frozen=True, tag="run_finished", tag_field="type"):
    """The last event: the run's `RunResult` (also available as ``stream.result``).

    Example:
        >>> event.result.stop_reason  # doctest: +SKIP
        <StopReason.COMPLETED: 'completed'>
    """

    result: RunResult[Any]


RunEvent = (
    RunStarted
    | ModelTextDelta
    | ModelCallFinished
    | ToolCallStarted
    | ToolCallFinished
    | RunFinished
)
"""One event of a streamed run; decode JSON with ``msgspec.json.decode(data, type=RunEvent)``."""
