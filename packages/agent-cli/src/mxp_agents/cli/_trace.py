"""Capturing OpenTelemetry spans in memory and linking them across MXP hops.

Spans of one agent nest through the OTel context, and the kernel carries that context over
MXP (W3C ``traceparent`` in the Call's metadata), so the callee's server ``mxp.call`` is
normally a real child of the caller's client span (``mxp.delegate``): marked as a hop. A server
span that starts a new OTel trace instead (a peer that does not continue it) is hung under the
client span that carries the same ``mxp.trace_id`` and was open when it started, so the tree
shows the whole delegated call either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mxp_agents.cli._errors import CommandFailed

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = [
    "SpanCapture",
    "attribute",
    "mxp_links",
    "mxp_trace_ids",
    "normalise_id",
    "span_id",
    "span_parents",
]

TRACE_ID: Final = "mxp.trace_id"


class SpanCapture:
    """Keeps every span finished while installed, in memory (an SDK in-memory exporter).

    `install` makes its SDK tracer provider the global one, or, when an SDK provider is
    already global (OTel allows setting it once per process), adds its exporter to that one.
    `close` stops collecting; the spans stay readable.

    Example:
        >>> capture = SpanCapture()
        >>> capture.install()
        >>> ...  # run agents
        >>> capture.close()
        >>> rich.print(render_trace(capture.spans()))
    """

    def __init__(self) -> None:
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter: Final[InMemorySpanExporter] = InMemorySpanExporter()

    def install(self) -> None:
        """Start capturing the spans of the global OTel tracer provider.

        Raises:
            CommandFailed: a non-SDK tracer provider is already global (nothing to attach to).

        Example:
            >>> SpanCapture().install()
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        current = trace.get_tracer_provider()
        if isinstance(current, trace.ProxyTracerProvider):
            provider = TracerProvider()
            trace.set_tracer_provider(provider)
            current = trace.get_tracer_provider()
        if not isinstance(current, TracerProvider):
            raise CommandFailed(
                f"cannot capture spans: the global tracer provider is a "
                f"{type(current).__name__}, not an OpenTelemetry SDK TracerProvider"
            )
        current.add_span_processor(SimpleSpanProcessor(self.exporter))

    def close(self) -> None:
        """Stop capturing (spans already captured stay available).

        Example:
            >>> capture.close()
        """
        self.exporter.shutdown()

    def spans(self) -> list[ReadableSpan]:
        """The spans finished so far, in the order they ended.

        Example:
            >>> [span.name for span in capture.spans()][-1]
            'mxp.call'
        """
        return list(self.exporter.get_finished_spans())


def span_id(span: ReadableSpan) -> int:
    """The span's OTel span id.

    Example:
        >>> span_id(span)  # doctest: +SKIP
        1311768467294899695
    """
    context = span.context
    return context.span_id if context is not None else id(span)


def normalise_id(value: object) -> str:
    """An MXP id attribute as 16 lower-case hex digits (``0x`` prefixes dropped).

    Example:
        >>> normalise_id("0x00000000000000FF"), normalise_id(255)
        ('00000000000000ff', '00000000000000ff')
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:016x}"
    text = str(value).strip().lower()
    return text[2:] if text.startswith("0x") else text


def attribute(span: ReadableSpan, key: str) -> object:
    """The span's attribute ``key`` (None when absent).

    Example:
        >>> attribute(span, "agent.name")  # doctest: +SKIP
        'worker'
    """
    attributes: Mapping[str, object] = span.attributes or {}
    return attributes.get(key)


def mxp_trace_ids(spans: Sequence[ReadableSpan]) -> set[str]:
    """The distinct ``mxp.trace_id`` attribute values of ``spans`` (`normalise_id` form).

    Example:
        >>> mxp_trace_ids(capture.spans())
        {'5f3a0c...'}
    """
    return {
        normalise_id(value) for span in spans if (value := attribute(span, TRACE_ID)) is not None
    }


def span_parents(spans: Sequence[ReadableSpan]) -> dict[int, int | None]:
    """Each span's parent id: its OTel parent, or the client span that carried it over MXP.

    Example:
        >>> parents = span_parents(capture.spans())
    """
    return _link(spans)[0]


def mxp_links(spans: Sequence[ReadableSpan]) -> set[int]:
    """The ids of the spans on the far side of an MXP hop: a server span whose parent is a
    client span, or a span whose parent was found through the MXP trace id.

    Example:
        >>> len(mxp_links(capture.spans()))  # the worker's server span
        1
    """
    return _link(spans)[1]


def _link(spans: Sequence[ReadableSpan]) -> tuple[dict[int, int | None], set[int]]:
    from opentelemetry.trace import SpanKind

    known = {span_id(span) for span in spans}
    clients = [span for span in spans if span.kind is SpanKind.CLIENT]
    parents: dict[int, int | None] = {}
    hops: set[int] = set()
    client_ids = {span_id(client) for client in clients}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        if parent is None or parent not in known:
            parent = _carrier(span, clients)
            if parent is not None:
                hops.add(span_id(span))
        elif span.kind is SpanKind.SERVER and parent in client_ids:
            hops.add(span_id(span))  # the OTel context itself crossed the hop
        parents[span_id(span)] = parent
    return parents, hops


def _carrier(span: ReadableSpan, clients: list[ReadableSpan]) -> int | None:
    """The latest client span with the same ``mxp.trace_id`` open when ``span`` started."""
    value = attribute(span, TRACE_ID)
    start = span.start_time or 0
    if value is None:
        return None
    trace_id = normalise_id(value)
    open_then = [
        client
        for client in clients
        if client is not span
        and normalise_id(attribute(client, TRACE_ID)) == trace_id
        and (client.start_time or 0) <= start <= (client.end_time or start)
    ]
    if not open_then:
        return None
    return span_id(max(open_then, key=lambda client: client.start_time or 0))
