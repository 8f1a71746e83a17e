"""`Step`: one scripted answer of a `ScriptedModel`."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import msgspec

from mxp_agents.adapters._events import FinishReason
from mxp_agents.primitives import ToolCall, Usage

if TYPE_CHECKING:
    from mxp_agents.adapters._request import ModelRequest
    from mxp_agents.adapters._response import ModelResponse

__all__ = ["Responder", "Step", "StepKind"]

StepKind: TypeAlias = Literal["text", "tool_calls", "json", "error", "respond"]
Responder: TypeAlias = Callable[
    ["ModelRequest"], "ModelResponse | Step | Awaitable[ModelResponse | Step]"
]
"""What `Step.respond` takes: a function of the request giving the answer (maybe awaited)."""

_encoder: Final = msgspec.json.Encoder()
_PREVIEW: Final = 40


class Step:
    """One scripted answer: text, tool calls, JSON, an error, or a function of the request.

    Build steps with the class methods. Options shared by the answers:
    ``usage`` (default: estimated at about 4 characters per token, never 0),
    ``finish_reason``, ``streamed`` (``stream`` delivers many small deltas when True, one
    delta per text or tool call when False; the assembled answer is the same) and ``delay``
    (seconds to ``trio.sleep`` before answering; cancellable, for timeout tests).

    Attributes: ``kind``, ``content`` (the text), ``calls``, ``exception``,
    ``responder``, ``partial_text``, ``usage``, ``finish_reason``, ``streamed``, ``delay``.
    A step object may appear several times in a script; it is prepared once.

    Example:
        >>> script = [
        ...     Step.tool_calls(ToolCall("call_1", "search", {"query": "mxp"})),
        ...     Step.text("Found it.", usage=Usage(input_tokens=20, output_tokens=3)),
        ... ]
        >>> script[0]
        Step.tool_calls(search)
    """

    __slots__ = (
        "_cache",
        "calls",
        "content",
        "delay",
        "exception",
        "finish_reason",
        "kind",
        "partial_text",
        "responder",
        "streamed",
        "usage",
    )

    def __init__(
        self,
        kind: StepKind,
        *,
        text: str = "",
        tool_calls: tuple[ToolCall, ...] = (),
        error: Exception | None = None,
        responder: Responder | None = None,
        partial_text: str = "",
        usage: Usage | None = None,
        finish_reason: FinishReason | str = FinishReason.STOP,
        streamed: bool = True,
        delay: float = 0.0,
    ) -> None:
        if not isinstance(text, str) or not isinstance(partial_text, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError("a step's text must be a str")
        for call in tool_calls:
            if not isinstance(call, ToolCall):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise TypeError(f"Step.tool_calls takes ToolCall values, got {call!r}")
        if usage is not None and not isinstance(usage, Usage):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"usage must be a Usage, got {usage!r}")
        if isinstance(delay, bool) or not math.isfinite(delay) or delay < 0:
            raise ValueError(f"delay must be a finite number of seconds >= 0, got {delay!r}")
        self.kind: Final = kind
        self.content: Final = text
        self.calls: Final = tool_calls
        self.exception: Final = error
        self.responder: Final = responder
        self.partial_text: Final = partial_text
        self.usage: Final = usage
        self.finish_reason: Final = (
            finish_reason if type(finish_reason) is FinishReason else FinishReason(finish_reason)
        )
        self.streamed: Final = streamed
        self.delay: Final = delay
        self._cache: dict[tuple[str, str, int | None], Any] = {}

    @classmethod
    def text(
        cls,
        text: str,
        *,
        usage: Usage | None = None,
        finish_reason: FinishReason | str = FinishReason.STOP,
        streamed: bool = True,
        delay: float = 0.0,
    ) -> Step:
        """Answer with ``text``.

        Example:
            >>> Step.text("Paris.", delay=0.5).delay
            0.5
        """
        return cls(
            "text",
            text=text,
            usage=usage,
            finish_reason=finish_reason,
            streamed=streamed,
            delay=delay,
        )

    @classmethod
    def tool_calls(
        cls,
        *calls: ToolCall,
        text: str = "",
        usage: Usage | None = None,
        finish_reason: FinishReason | str = FinishReason.TOOL_CALLS,
        streamed: bool = True,
        delay: float = 0.0,
    ) -> Step:
        """Ask for one or more tool calls (parallel calls when several), optionally with text.

        Example:
            >>> Step.tool_calls(ToolCall("c1", "clock"), ToolCall("c2", "weather")).finish_reason
            <FinishReason.TOOL_CALLS: 'tool_calls'>
        """
        if not calls:
            raise ValueError("Step.tool_calls needs at least one ToolCall")
        return cls(
            "tool_calls",
            text=text,
            tool_calls=calls,
            usage=usage,
            finish_reason=finish_reason,
            streamed=streamed,
            delay=delay,
        )

    @classmethod
    def json(
        cls,
        value: object,
        *,
        usage: Usage | None = None,
        finish_reason: FinishReason | str = FinishReason.STOP,
        streamed: bool = True,
        delay: float = 0.0,
    ) -> Step:
        """Answer with the JSON text of ``value`` (structured output; msgspec encodes it).

        Example:
            >>> Step.json({"city": "Paris"}).content
            '{"city":"Paris"}'
        """
        return cls(
            "json",
            text=_encoder.encode(value).decode(),
            usage=usage,
            finish_reason=finish_reason,
            streamed=streamed,
            delay=delay,
        )

    @classmethod
    def error(cls, error: Exception, *, partial_text: str = "", delay: float = 0.0) -> Step:
        """Fail with ``error`` (usually a `ModelError`); ``stream`` first yields
        ``partial_text`` as deltas when given, as a connection dropped mid-answer would.

        Example:
            >>> from mxp_agents.adapters import RateLimitedError
            >>> Step.error(RateLimitedError("slow down", retry_after=1.0))
            Step.error(RateLimitedError('slow down; retry after 1s'))
        """
        if not isinstance(error, Exception):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"Step.error takes an exception, got {error!r}")
        return cls("error", error=error, partial_text=partial_text, delay=delay)

    @classmethod
    def respond(cls, responder: Responder, *, streamed: bool = True, delay: float = 0.0) -> Step:
        """Answer with ``responder(request)``: a `ModelResponse`, or a `Step` to play (either
        may be returned by an async function). For replies that depend on the request.

        Example:
            >>> from mxp_agents.adapters import ModelResponse
            >>> step = Step.respond(lambda request: ModelResponse(text=str(len(request.messages))))
            >>> step.kind
            'respond'
        """
        if not callable(responder):
            raise TypeError(f"Step.respond takes a callable, got {responder!r}")
        return cls("respond", responder=responder, streamed=streamed, delay=delay)

    def __repr__(self) -> str:
        if self.kind == "error":
            return f"Step.error({self.exception!r})"
        if self.kind == "respond":
            name = getattr(self.responder, "__qualname__", repr(self.responder))
            return f"Step.respond({name})"
        if self.kind == "tool_calls":
            return f"Step.tool_calls({', '.join(call.name for call in self.calls)})"
        text = self.content
        text = text if len(text) <= _PREVIEW else text[: _PREVIEW - 3] + "..."
        return f"Step.{self.kind}({text!r})"
