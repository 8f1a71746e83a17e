"""OpenTelemetry spans of runs, model calls and tool calls, through ``opentelemetry-api`` only.

The API is imported when the first `Agent` is built (not when ``mxp_agents.kernel`` is imported).
When no SDK tracer provider is installed (the API's proxy or no-op provider), `current_tracer`
returns None and the loop creates no span at all; with one, attributes are only built for
spans that record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from mxp_agents.adapters import ModelAdapter
    from mxp_agents.primitives import ToolCall, ToolResult, Usage

__all__ = ["SpanScope", "current_tracer", "load", "mxp_id"]

TRACER_NAME: Final = "mxp_agents.kernel"
_VERSION: Final = "0.1.0"

_get_provider: Callable[[], TracerProvider] | None = None
_no_sdk: tuple[type[TracerProvider], ...] = ()
_set_span: Callable[[Span], Context] | None = None
_attach: Callable[[Context], object] | None = None
_detach: Callable[[Any], None] | None = None
_error_status: Callable[[str], Any] | None = None
_cache: list[Any] = [None, None]  # [provider, its tracer or None]


def load() -> None:
    """Import ``opentelemetry.trace`` (once). `Agent` calls it when built.

    Example:
        >>> load()
    """
    global _get_provider, _no_sdk, _set_span, _attach, _detach, _error_status
    if _get_provider is not None:
        return
    from opentelemetry import context, trace

    def error_status(description: str) -> Any:
        return trace.Status(trace.StatusCode.ERROR, description)

    _no_sdk = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    _set_span, _attach, _detach = trace.set_span_in_context, context.attach, context.detach
    _error_status = error_status
    _get_provider = trace.get_tracer_provider


def current_tracer() -> Tracer | None:
    """The kernel's tracer, or None when no SDK tracer provider is installed (no spans).

    The tracer is cached per provider, so a provider installed later (or replaced in tests)
    is picked up by the next run.

    Example:
        >>> current_tracer() is None  # no SDK configured
        True
    """
    get = _get_provider
    if get is None:
        load()
        get = _get_provider
        assert get is not None
    provider = get()
    cache = _cache
    if provider is not cache[0]:
        tracer = (
            None if isinstance(provider, _no_sdk) else provider.get_tracer(TRACER_NAME, _VERSION)
        )
        cache[0], cache[1] = provider, tracer
    return cache[1]


def mxp_id(value: object) -> str:
    """An MXP id (u64) as span attribute text, ``0x`` + 16 hex digits; other values as text.

    Example:
        >>> mxp_id(255)
        '0x00000000000000ff'
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return f"0x{value:016x}"
    return str(value)


class SpanScope:
    """A started span made current for a block, ended when the block exits.

    An ``Exception`` leaving the block is recorded and sets the status to error; a
    ``trio.Cancelled`` (a ``BaseException``) only ends the span.

    Example:
        >>> with SpanScope(tracer.start_span("agent.run")) as span:  # doctest: +SKIP
        ...     span.set_attribute("agent.name", "worker")
    """

    __slots__ = ("_token", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self._token: object = None

    def __enter__(self) -> Span:
        assert _attach is not None
        assert _set_span is not None
        self._token = _attach(_set_span(self.span))
        return self.span

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        assert _detach is not None
        _detach(self._token)
        span = self.span
        if isinstance(error, Exception) and span.is_recording():
            span.record_exception(error)
            fail(span, f"{type(error).__name__}: {error}")
        span.end()


def fail(span: Span, description: str) -> None:
    """Set a span's status to error with ``description``.

    Example:
        >>> fail(span, "model call failed")  # doctest: +SKIP
    """
    assert _error_status is not None
    span.set_status(_error_status(description))


def run_attributes(
    agent_id: str,
    agent_name: str,
    run_id: str,
    trace_id: int | None,
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The attributes of an ``agent.run`` span.

    Example:
        >>> run_attributes("a1", "worker", "r1", 7, None)["mxp.trace_id"]
        '0x0000000000000007'
    """
    attributes: dict[str, Any] = {"agent.id": agent_id, "agent.name": agent_name, "task.id": run_id}
    if trace_id is not None:
        attributes["mxp.trace_id"] = mxp_id(trace_id)
    if metadata is not None:
        message_id = metadata.get("mxp.message_id")
        if message_id is not None:
            attributes["mxp.message_id"] = mxp_id(message_id)
    return attributes


def model_attributes(model: ModelAdapter, step: int) -> dict[str, Any]:
    """The attributes of an ``agent.model_call`` span, before the call.

    Example:
        >>> model_attributes(ScriptedModel([]), 1)["gen_ai.request.model"]  # doctest: +SKIP
        'scripted'
    """
    return {"gen_ai.system": model.provider, "gen_ai.request.model": model.model_name,
            "agent.step": step}  # fmt: skip


def usage_attributes(usage: Usage) -> dict[str, Any]:
    """Token counts as ``gen_ai.usage.*`` attributes.

    Example:
        >>> usage_attributes(Usage(input_tokens=3))["gen_ai.usage.input_tokens"]  # doctest: +SKIP
        3
    """
    return {
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
    }


def tool_attributes(call: ToolCall) -> dict[str, Any]:
    """The attributes of an ``agent.tool_call`` span.

    Example:
        >>> tool_attributes(ToolCall("c1", "add"))["gen_ai.tool.name"]  # doctest: +SKIP
        'add'
    """
    return {"gen_ai.tool.name": call.name, "gen_ai.tool.call.id": call.id}


def tool_outcome(span: Span, result: ToolResult) -> None:
    """Record a tool call's outcome on its span (error status for an error result).

    Example:
        >>> tool_outcome(span, result)  # doctest: +SKIP
    """
    if span.is_recording():
        span.set_attribute("tool.is_error", result.is_error)
        if result.is_error:
            fail(span, result.content)
