"""`FunctionModel`: a model adapter whose answers come from one function of the request."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeAlias

import trio

from mxp_agents.adapters._response import ModelResponse
from mxp_agents.adapters.testing._stream import labelled, response_events

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from mxp_agents.adapters._events import ModelEvent
    from mxp_agents.adapters._request import ModelRequest

__all__ = ["FunctionModel", "ModelFunction"]

ModelFunction: TypeAlias = Callable[
    ["ModelRequest"], "ModelResponse | str | Awaitable[ModelResponse | str]"
]
"""What `FunctionModel` takes: request -> response (or just its text), maybe async."""


class FunctionModel:
    """A `ModelAdapter` that answers with ``fn(request)``: a `ModelResponse`, or a str (a text
    answer with estimated usage); ``fn`` may be async. Requests are recorded in ``requests``.

    ``stream`` delivers the answer in deltas of ``chunk_size`` characters (default 4).

    Example:
        >>> from mxp_agents.primitives import Message
        >>> echo = FunctionModel(lambda request: request.messages[-1].content.upper())
        >>> trio.run(echo.complete, ModelRequest((Message.user("hi"),))).text
        'HI'
    """

    def __init__(
        self, fn: ModelFunction, *, model_name: str = "function", chunk_size: int | None = None
    ) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionModel takes a callable, got {fn!r}")
        self._fn = fn
        self._model_name = model_name
        self._chunk_size = chunk_size
        self.requests: list[ModelRequest] = []
        """Every request received, in order."""

    @property
    def provider(self) -> str:
        """Always ``"function"``.

        Example:
            >>> FunctionModel(str).provider
            'function'
        """
        return "function"

    @property
    def model_name(self) -> str:
        """The name given at construction (default ``"function"``).

        Example:
            >>> FunctionModel(str, model_name="echo").model_name
            'echo'
        """
        return self._model_name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The answer of the function to ``request``.

        Example:
            >>> trio.run(FunctionModel(lambda r: "ok").complete, request).text  # doctest: +SKIP
            'ok'
        """
        self.requests.append(request)
        await trio.lowlevel.checkpoint_if_cancelled()
        answer = self._fn(request)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, str):
            answer = ModelResponse(text=answer)
        elif not isinstance(answer, ModelResponse):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(
                f"the function of FunctionModel returned {answer!r}; "
                "return a ModelResponse or a str"
            )
        return labelled(answer, self._model_name, "function", request)

    async def stream(self, request: ModelRequest) -> AsyncGenerator[ModelEvent, None]:
        """The answer of the function as a stream of events.

        Example:
            >>> [e async for e in FunctionModel(lambda r: "ok").stream(request)]  # doctest: +SKIP
            [UsageUpdate(...), TextDelta(text='ok'), UsageUpdate(...), Finish(...)]
        """
        response = await self.complete(request)
        for event in response_events(response, chunk_size=self._chunk_size):
            yield event
