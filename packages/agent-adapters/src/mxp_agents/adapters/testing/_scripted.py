"""`ScriptedModel`: a model adapter that plays a script of answers, in order."""

from __future__ import annotations

import inspect
from collections import deque
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.adapters._events import ModelEvent, TextDelta
from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters.testing._prepared import prepared
from mxp_agents.adapters.testing._steps import Step
from mxp_agents.adapters.testing._stream import (
    DEFAULT_CHUNK_SIZE,
    describe_message,
    labelled,
    response_events,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterable

    from mxp_agents.adapters._request import ModelRequest

__all__ = ["ScriptExhausted", "ScriptedModel"]

_checkpoint_if_cancelled: Final = trio.lowlevel.checkpoint_if_cancelled


class ScriptExhausted(AssertionError):
    """A `ScriptedModel` got more requests than its script has steps.

    An ``AssertionError`` (a failed test expectation), so code under test that handles
    `ModelError` does not swallow it.

    Example:
        >>> trio.run(ScriptedModel([]).complete, request)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        ScriptExhausted: ScriptedModel 'scripted' got request #1, but its script has 0 steps; ...
    """


class ScriptedModel:
    """A `ModelAdapter` that answers each request with the next `Step` of its script.

    ``stream`` and ``complete`` each consume one step (``stream`` when iteration starts).
    Every request is recorded in ``requests``. A request after the last step raises
    `ScriptExhausted`; `assert_complete` fails while steps remain. ``chunk_size`` is the
    number of characters per delta of streamed steps (default: 4, about one token).

    Example:
        >>> from mxp_agents.primitives import Message, ToolCall
        >>> model = ScriptedModel([
        ...     Step.tool_calls(ToolCall("call_1", "clock")),
        ...     Step.text("It is noon."),
        ... ])
        >>> first = trio.run(model.complete, ModelRequest((Message.user("Time?"),)))
        >>> first.tool_calls[0].name, model.remaining
        ('clock', 1)
    """

    def __init__(
        self, steps: Iterable[Step], *, model_name: str = "scripted", chunk_size: int | None = None
    ) -> None:
        script = deque(steps)
        for index, step in enumerate(script):
            if not isinstance(step, Step):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise TypeError(f"step {index} of the script is {step!r}, not a Step")
        if chunk_size is not None and (isinstance(chunk_size, bool) or chunk_size < 1):
            raise ValueError(f"chunk_size must be an int >= 1 or None, got {chunk_size!r}")
        self._script = script
        self._scripted = len(script)
        self._model_name = model_name
        self._chunk_size = chunk_size
        self.requests: list[ModelRequest] = []
        """Every request received, in order (also those that failed)."""

    @property
    def provider(self) -> str:
        """Always ``"scripted"``.

        Example:
            >>> ScriptedModel([]).provider
            'scripted'
        """
        return "scripted"

    @property
    def model_name(self) -> str:
        """The name given at construction (default ``"scripted"``).

        Example:
            >>> ScriptedModel([], model_name="fake-gpt").model_name
            'fake-gpt'
        """
        return self._model_name

    @property
    def remaining(self) -> int:
        """How many steps have not been played yet.

        Example:
            >>> ScriptedModel([Step.text("a"), Step.text("b")]).remaining
            2
        """
        return len(self._script)

    def assert_complete(self) -> None:
        """Fail (``AssertionError``) when steps of the script were never played.

        Example:
            >>> ScriptedModel([Step.text("unused")]).assert_complete()
            Traceback (most recent call last):
            ...
            AssertionError: ScriptedModel 'scripted': 1 of 1 scripted steps were not used ...
        """
        if self._script:
            left = len(self._script)
            listed = ", ".join(
                f"#{self._scripted - left + number + 1} {step!r}"
                for number, step in enumerate(self._script)
            )
            raise AssertionError(
                f"ScriptedModel {self._model_name!r}: {left} of {self._scripted} scripted steps "
                f"were not used ({len(self.requests)} requests came): {listed}"
            )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Play the next step as a whole answer.

        Example:
            >>> model = ScriptedModel([Step.json([1, 2])])
            >>> trio.run(model.complete, request).parsed_json()  # doctest: +SKIP
            [1, 2]
        """
        step = self._take(request)
        while True:
            if step.delay:
                await trio.sleep(step.delay)
            else:
                await _checkpoint_if_cancelled()
            kind = step.kind
            if kind == "error":
                raise _fresh(step)
            if kind != "respond":
                return prepared(step, self._model_name, "scripted", self._chunk_size).complete(
                    request
                )
            answer = await _respond(step, request)
            if isinstance(answer, ModelResponse):
                return labelled(answer, self._model_name, "scripted", request)
            step = answer

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelEvent, None]:
        """Play the next step as a stream of events ending with `Finish`.

        Example:
            >>> async def main():
            ...     return [event async for event in model.stream(request)]
            >>> [type(event).__name__ for event in trio.run(main)]  # doctest: +SKIP
            ['UsageUpdate', 'TextDelta', 'TextDelta', 'UsageUpdate', 'Finish']
        """
        step = self._take(request)
        while True:
            if step.delay:
                await trio.sleep(step.delay)
            else:
                await _checkpoint_if_cancelled()
            kind = step.kind
            if kind == "error":
                size = self._chunk_size or DEFAULT_CHUNK_SIZE
                text = step.partial_text
                for start in range(0, len(text), size):
                    yield TextDelta(text[start : start + size])
                raise _fresh(step)
            if kind != "respond":
                answer = prepared(step, self._model_name, "scripted", self._chunk_size)
                for event in answer.events(request):
                    yield event
                return
            reply = await _respond(step, request)
            if isinstance(reply, ModelResponse):
                response = labelled(reply, self._model_name, "scripted", request)
                for event in response_events(
                    response, streamed=step.streamed, chunk_size=self._chunk_size
                ):
                    yield event
                return
            step = reply

    def _take(self, request: ModelRequest) -> Step:
        self.requests.append(request)
        if self._script:
            return self._script.popleft()
        last = describe_message(request.messages[-1]) if request.messages else "(no messages)"
        raise ScriptExhausted(
            f"ScriptedModel {self._model_name!r} got request #{len(self.requests)}, but its "
            f"script has {self._scripted} step{'' if self._scripted == 1 else 's'}; "
            f"the request's last message is {last}. Add a Step for it (or find why the code "
            "under test called the model again)."
        )


def _fresh(step: Step) -> Exception:
    error = step.exception
    assert error is not None
    return error.with_traceback(None)


async def _respond(step: Step, request: ModelRequest) -> ModelResponse | Step:
    responder = step.responder
    assert responder is not None
    answer = responder(request)
    if inspect.isawaitable(answer):
        answer = await answer
    if not isinstance(answer, ModelResponse | Step):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(
            f"the function of {step!r} returned {answer!r}; return a ModelResponse or a Step"
        )
    return answer
