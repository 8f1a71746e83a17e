"""OpenTelemetry spans of the runtime: one ``mxp.call`` span per handled Call and one
``mxp.delegate`` span per delegated call, through ``opentelemetry-api`` only.

The library configures no exporter: without an SDK installed and set up by the application
the spans are no-ops. Ids are recorded as ``0x`` + 16 lower-case hex digits (``mxp.message_id``,
``mxp.trace_id``), as the agent loop's spans record them: OTel integer attributes are signed
64-bit and MXP ids are unsigned.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from opentelemetry import context, trace

from mxp_agents.kernel._telemetry import mxp_id

if TYPE_CHECKING:
    from collections.abc import Generator

    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = ["KernelTelemetry"]

_SCOPE: Final = "mxp_agents.kernel"
_VERSION: Final = "0.1.0"


class KernelTelemetry:
    """Creates the runtime's spans, from ``tracer_provider`` (default: the global provider).

    Example:
        >>> telemetry = KernelTelemetry()
        >>> span = telemetry.start_call_span(message_id=1, trace_id=2, agent_id="a", peer="p")
        >>> with KernelTelemetry.activate(span):
        ...     pass
    """

    __slots__ = ("_provider", "_tracer")

    def __init__(self, tracer_provider: TracerProvider | None = None) -> None:
        self._provider = tracer_provider
        self._tracer: Tracer | None = None

    @property
    def tracer(self) -> Tracer:
        """The tracer of ``mxp_agents.kernel`` (resolved on first use).

        Example:
            >>> KernelTelemetry().tracer is not None
            True
        """
        tracer = self._tracer
        if tracer is None:
            tracer = self._tracer = trace.get_tracer(
                _SCOPE, _VERSION, tracer_provider=self._provider
            )
        return tracer

    def start_call_span(
        self,
        *,
        message_id: int,
        trace_id: int,
        agent_id: str,
        peer: str,
        parent: Context | None = None,
        start_time: int | None = None,
    ) -> Span:
        """Start the ``mxp.call`` span (kind SERVER) of one Call; end it with `activate`.

        The span is not made current here, so the task that finishes the call (for a
        streamed call, another task than the handler's) can activate and end it. ``parent``
        is the caller's context carried in the Call (see `extract_trace_context`; None: a
        new trace); ``start_time`` (ns since the epoch) when the Call arrived.

        Example:
            >>> span = telemetry.start_call_span(message_id=1, trace_id=2, agent_id="a", peer="p")
            >>> with KernelTelemetry.activate(span):
            ...     KernelTelemetry.set_task(span, "run-1")
        """
        return self.tracer.start_span(
            "mxp.call",
            context=parent if parent is not None else context.Context(),
            kind=trace.SpanKind.SERVER,
            start_time=start_time,
            attributes={
                "mxp.message_id": mxp_id(message_id),
                "mxp.trace_id": mxp_id(trace_id),
                "agent.id": agent_id,
                "mxp.peer": peer,
            },
        )

    @staticmethod
    @contextmanager
    def activate(span: Span, parent: Context | None = None) -> Generator[Span]:
        """Make ``span`` current for the block and end it on exit (exceptions are recorded).

        ``parent``: the context the span was started in (the caller's, with its baggage),
        made current under the span.

        Example:
            >>> with KernelTelemetry.activate(span):
            ...     ...
        """
        if parent is None:
            with trace.use_span(span, end_on_exit=True):
                yield span
            return
        token = context.attach(parent)
        try:
            with trace.use_span(span, end_on_exit=True):
                yield span
        finally:
            context.detach(token)

    @contextmanager
    def delegation_span(
        self, *, capability: str, tool: str, trace_id: int | None, agent_id: str | None
    ) -> Generator[Span]:
        """The ``mxp.delegate`` span (kind CLIENT) around one delegated call to a peer.

        Example:
            >>> with telemetry.delegation_span(
            ...     capability="math.add", tool="ask_math", trace_id=7, agent_id=None
            ... ) as span:
            ...     span.set_attribute("mxp.peer.id", "worker-1")
        """
        attributes: dict[str, str] = {"mxp.capability": capability, "mxp.tool": tool}
        if trace_id is not None:
            attributes["mxp.trace_id"] = mxp_id(trace_id)
        if agent_id is not None:
            attributes["agent.id"] = agent_id
        with self.tracer.start_as_current_span(
            "mxp.delegate", kind=trace.SpanKind.CLIENT, attributes=attributes
        ) as span:
            yield span

    @staticmethod
    def set_task(span: Span, task_id: str) -> None:
        """Record the run id as ``task.id``.

        Example:
            >>> KernelTelemetry.set_task(span, "run-1")
        """
        span.set_attribute("task.id", task_id)

    @staticmethod
    def set_error(span: Span, code: str, message: str) -> None:
        """Mark the span failed with an MXP error ``code`` (``mxp.error_code``).

        Example:
            >>> KernelTelemetry.set_error(span, "busy", "queue full")
        """
        span.set_attribute("mxp.error_code", code)
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"{code}: {message}"))
