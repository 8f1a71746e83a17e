"""Audit observers: `TracingSink` (an OpenTelemetry span event per decision) and `FanOut`
(every event to several sinks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import trio
from opentelemetry import trace

from mxp_agents.policy._errors import AuditError

if TYPE_CHECKING:
    from opentelemetry.util.types import AttributeValue

    from mxp_agents.policy._audit_api import AuditEvent, AuditSink

__all__ = ["SPAN_EVENT", "FanOut", "TracingSink"]

SPAN_EVENT: Final = "policy.decision"
"""The name of the span event `TracingSink` adds."""


class TracingSink:
    """Adds a ``policy.decision`` event to the current span, with the attributes ``agent.id``,
    ``policy.subject``, ``policy.decision`` (``allow``/``deny``/``escalate``),
    ``policy.reason`` and ``policy.approvers`` (when set), ``policy.action`` (the action's
    kind) and ``policy.approval_id`` (for an escalation with an approval). Outside a recording
    span it does nothing.

    Example:
        >>> with tracer.start_as_current_span("tool pay"):  # doctest: +SKIP
        ...     await TracingSink().record(event)
    """

    async def record(self, event: AuditEvent) -> None:
        """Add the span event for ``event``.

        Example:
            >>> await TracingSink().record(event)  # doctest: +SKIP
        """
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(SPAN_EVENT, span_attributes(event))


def span_attributes(event: AuditEvent) -> dict[str, AttributeValue]:
    """The attributes `TracingSink` puts on its span event.

    Example:
        >>> span_attributes(event)["policy.decision"]  # doctest: +SKIP
        'deny'
    """
    attributes: dict[str, AttributeValue] = {
        "agent.id": event.agent_id,
        "policy.subject": event.subject,
        "policy.decision": event.decision.value,
        "policy.action": type(event.action).__struct_config__.tag or "",
    }
    if event.reason is not None:
        attributes["policy.reason"] = event.reason
    if event.approvers:
        attributes["policy.approvers"] = list(event.approvers)
    if event.approval_id is not None:
        attributes["policy.approval_id"] = event.approval_id
    return attributes


class FanOut:
    """An `AuditSink` handing every event to each of ``sinks``, concurrently. A failing sink
    does not stop the others: once all have finished, the failures are raised together as an
    `AuditError` naming each sink (its ``__cause__`` is an ``ExceptionGroup`` of them).

    Example:
        >>> sink = FanOut(TracingSink(), log)
        >>> await sink.record(event)  # doctest: +SKIP
    """

    def __init__(self, *sinks: AuditSink) -> None:
        if not sinks:
            raise AuditError("FanOut needs at least one sink")
        self.sinks: tuple[AuditSink, ...] = sinks

    async def record(self, event: AuditEvent) -> None:
        """Give ``event`` to every sink; raise `AuditError` after all ran if any failed.

        Example:
            >>> await FanOut(TracingSink()).record(event)  # doctest: +SKIP
        """
        failures: list[tuple[int, Exception]] = []

        async def one(index: int, sink: AuditSink) -> None:
            try:
                await sink.record(event)
            except Exception as error:
                failures.append((index, error))

        if len(self.sinks) == 1:
            await one(0, self.sinks[0])
        else:
            async with trio.open_nursery() as nursery:
                for index, sink in enumerate(self.sinks):
                    nursery.start_soon(one, index, sink)
        if failures:
            failures.sort(key=lambda failure: failure[0])
            named = "; ".join(
                f"sink {index} ({type(self.sinks[index]).__name__}): "
                f"{type(error).__name__}: {error}"
                for index, error in failures
            )
            raise AuditError(
                f"{len(failures)} of {len(self.sinks)} audit sinks failed: {named}"
            ) from ExceptionGroup("audit sink failures", [error for _, error in failures])
