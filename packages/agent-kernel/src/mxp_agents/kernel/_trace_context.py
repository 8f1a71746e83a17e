"""The OpenTelemetry context across an MXP hop, in ``CallRequest.metadata``.

The caller's helpers (`call_agent`, `stream_agent`) inject the current context with the
globally configured propagator (``opentelemetry.propagate``; the API's default is W3C
``traceparent`` / ``tracestate`` plus ``baggage``) into the request's ``metadata``, and only
when a valid span is current: without an SDK nothing is added and the body is unchanged. The
handling kernel extracts it, parents its ``mxp.call`` span on it, and removes the carrier keys
from the metadata its run and tools see (the context travels as the OTel context instead, and
a further delegation injects its own span). The reference runtime's body is never touched.

``opentelemetry.propagate`` (about 20 ms to import) is imported on first use only: when a span
is current on the sending side, or when a received ``metadata`` is not empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.context import Context

    from mxp_agents.kernel._call_body import CallRequest

__all__ = ["extract_trace_context", "inject_trace_context", "trace_carrier"]


def inject_trace_context(request: CallRequest) -> CallRequest:
    """``request`` with the current OTel context in its ``metadata`` (unchanged without one).

    A request whose metadata already holds one of the propagator's keys is sent as it is.

    Example:
        >>> with tracer.start_as_current_span("mxp.delegate"):  # doctest: +SKIP
        ...     inject_trace_context(CallRequest(task="hi")).metadata["traceparent"]
        '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    """
    if not trace.get_current_span().get_span_context().is_valid:
        return request
    from opentelemetry import propagate

    propagator = propagate.get_global_textmap()
    metadata = request.metadata
    if metadata and not propagator.fields.isdisjoint(metadata):
        return request
    carrier: dict[str, list[str] | str] = {}
    propagator.inject(carrier)
    if not carrier:
        return request
    return msgspec.structs.replace(request, metadata={**metadata, **carrier})


def trace_carrier() -> dict[str, list[str] | str]:
    """The current OTel context as the propagator's fields, for a Call's ``metadata`` (empty
    when no valid span is current).

    Example:
        >>> trace_carrier()  # no span current
        {}
    """
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    from opentelemetry import propagate

    carrier: dict[str, list[str] | str] = {}
    propagate.get_global_textmap().inject(carrier)
    return carrier


def extract_trace_context(metadata: dict[str, Any]) -> tuple[Context | None, dict[str, Any]]:
    """The OTel context carried in a Call's ``metadata`` (None: none) and the metadata without
    the propagator's keys (the same dict when it has none of them).

    Example:
        >>> parent, rest = extract_trace_context({"traceparent": header, "tenant": "acme"})
        >>> rest
        {'tenant': 'acme'}
    """
    if not metadata:
        return None, metadata
    from opentelemetry import propagate

    propagator = propagate.get_global_textmap()
    fields = propagator.fields
    if fields.isdisjoint(metadata):
        return None, metadata
    carrier = {key: value for key in fields if isinstance(value := metadata.get(key), str)}
    rest = {key: value for key, value in metadata.items() if key not in fields}
    if not carrier:
        return None, rest
    from opentelemetry.context import Context

    return propagator.extract(carrier, Context()), rest
