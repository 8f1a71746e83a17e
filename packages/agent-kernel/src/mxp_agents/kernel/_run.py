"""One run's data (`RunSpec`, `RunState`), its cancel handle and `RunStream`, the streamed run."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Final, Generic

import trio

from mxp_agents.kernel._events import RunEvent, RunFinished
from mxp_agents.kernel._result import OutputT, RunResult

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractAsyncContextManager
    from types import TracebackType

    from mxp_agents.kernel._loop import Loop
    from mxp_agents.kernel._result import ToolCallRecord
    from mxp_agents.primitives import Message
    from mxp_agents.prompts import GuardrailHit

__all__ = ["RunControl", "RunSpec", "RunState", "RunStream"]

_checkpoint_if_cancelled: Final = trio.lowlevel.checkpoint_if_cancelled

STREAM_BUFFER: Final = 64
"""Events a `RunStream` holds before the run waits for its reader (backpressure)."""


class RunSpec:
    """What one run needs besides its agent: first messages, ids, metadata and deadline.

    Example:
        >>> RunSpec("run-1", [Message.user("hi")], (), None, None, None).run_id
        'run-1'
    """

    __slots__ = (
        "deadline",
        "hits",
        "max_cost",
        "max_output_tokens",
        "memory_tags",
        "messages",
        "metadata",
        "run_id",
        "temperature",
        "trace_id",
    )

    def __init__(
        self,
        run_id: str,
        messages: list[Message],
        hits: tuple[GuardrailHit, ...],
        trace_id: int | None,
        metadata: Mapping[str, Any] | None,
        deadline: float | None,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
    ) -> None:
        self.run_id = run_id
        self.messages = messages
        self.hits = hits
        self.trace_id = trace_id
        self.metadata = metadata
        self.deadline = deadline
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.max_cost: float | None = None  # None: the agent's limits.max_cost
        self.memory_tags: tuple[str, ...] = ()  # tags on every memory record of the run


class RunState:
    """The mutable state of a run in progress: the transcript, tool records, counters.

    Example:
        >>> RunState([Message.user("hi")], ()).steps
        0
    """

    __slots__ = ("calls", "cost", "hits", "input", "mark", "messages", "output", "records",
                 "reported", "steps")  # fmt: skip

    def __init__(self, messages: list[Message], hits: tuple[GuardrailHit, ...]) -> None:
        self.messages = messages
        self.records: list[ToolCallRecord] = []
        self.hits: list[GuardrailHit] = list(hits)
        self.steps = 0  # model calls made
        self.calls = 0  # tool calls made
        self.input = 0  # tokens used so far
        self.output = 0
        self.reported = 0  # input + output tokens of the last model call (0: not reported)
        self.mark = 0  # messages[:mark] were sent in the last request or are its answer
        self.cost: float | None = None  # US dollars of the model calls (None: none priced)


class RunControl:
    """Cancels a run from outside its task; the run then ends with ``StopReason.CANCELLED``.

    Example:
        >>> control = RunControl()
        >>> control.cancel()
        >>> control.cancelled
        True
    """

    __slots__ = ("cancelled", "scope")

    def __init__(self) -> None:
        self.cancelled = False
        self.scope: trio.CancelScope | None = None

    def cancel(self) -> None:
        """Cancel the run, now or as soon as it starts.

        Example:
            >>> RunControl().cancel()
        """
        self.cancelled = True
        if self.scope is not None:
            self.scope.cancel()


class RunStream(Generic[OutputT]):
    """A run executing in a nursery, its events flowing over a bounded memory channel.

    Use it as an async context manager (`Agent.run_stream` builds it) and iterate over the
    `RunEvent`s; `RunFinished` is the last one. ``result`` holds the `RunResult` once the run
    ended. `cancel` ends the run with ``StopReason.CANCELLED`` (a `RunFinished` still comes);
    leaving the block before the run ended cancels it too. A bug in the run (an exception
    other than those the loop turns into stop reasons) is raised by the iteration.

    Example:
        >>> async with agent.run_stream("What is 2 + 3?") as events:  # doctest: +SKIP
        ...     async for event in events:
        ...         if isinstance(event, ModelTextDelta):
        ...             print(event.text, end="")
        >>> events.result.output  # doctest: +SKIP
        '5'
    """

    __slots__ = ("_control", "_error", "_loop", "_nursery_manager", "_raised", "_receive",
                 "_result", "_spec")  # fmt: skip

    def __init__(self, loop: Loop, spec: RunSpec) -> None:
        self._loop = loop
        self._spec = spec
        self._control = RunControl()
        self._result: RunResult[OutputT] | None = None
        self._error: Exception | None = None
        self._raised = False
        self._nursery_manager: AbstractAsyncContextManager[trio.Nursery] | None = None
        self._receive: trio.MemoryReceiveChannel[RunEvent] | None = None

    @property
    def result(self) -> RunResult[OutputT] | None:
        """The run's result once it ended, else None.

        Example:
            >>> events.result.stop_reason  # doctest: +SKIP
            <StopReason.COMPLETED: 'completed'>
        """
        return self._result

    def cancel(self) -> None:
        """End the run now, with ``StopReason.CANCELLED`` (running tools are cancelled).

        Example:
            >>> events.cancel()  # doctest: +SKIP
        """
        self._control.cancel()

    async def __aenter__(self) -> RunStream[OutputT]:
        if self._receive is not None:
            raise RuntimeError("a RunStream can be entered only once")
        send, self._receive = trio.open_memory_channel[RunEvent](STREAM_BUFFER)
        manager = self._nursery_manager = trio.open_nursery()
        nursery = await manager.__aenter__()
        nursery.start_soon(self._drive, send)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        if self._result is None:
            self._control.cancel()
        assert self._receive is not None
        self._receive.close()
        manager = self._nursery_manager
        assert manager is not None
        try:
            handled = await manager.__aexit__(kind, error, traceback)
        except BaseExceptionGroup as group:
            # The nursery is ours, not the caller's: give back their exception unwrapped.
            if error is not None and list(group.exceptions) == [error]:
                return False
            raise
        if error is None and self._error is not None and not self._raised:
            self._raised = True
            raise self._error
        return handled

    def __aiter__(self) -> RunStream[OutputT]:
        return self

    async def __anext__(self) -> RunEvent:
        receive = self._receive
        if receive is None:
            raise RuntimeError("iterate a RunStream inside its `async with` block")
        try:
            # Events already buffered are taken without a scheduler pass each (the buffer bounds
            # how many); cancellation is still noticed here.
            await _checkpoint_if_cancelled()
            try:
                return receive.receive_nowait()
            except trio.WouldBlock:
                return await receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            if self._error is not None and not self._raised:
                self._raised = True
                raise self._error from None
            raise StopAsyncIteration from None

    async def _drive(self, send: trio.MemorySendChannel[RunEvent]) -> None:
        async def emit(event: RunEvent) -> None:
            # Without waiting while the buffer has room (the run checkpoints at every model and
            # tool call anyway): a yield per event would cost a scheduler pass per text delta.
            with contextlib.suppress(trio.BrokenResourceError):  # the reader left: cancelling
                try:
                    send.send_nowait(event)
                except trio.WouldBlock:
                    await send.send(event)

        with send:
            try:
                result: RunResult[Any] = await self._loop.run(self._spec, emit, self._control)
            except Exception as error:  # a bug: re-raised in the reader's task, not as a group
                self._error = error
                return
            self._result = result
            await emit(RunFinished(result))
