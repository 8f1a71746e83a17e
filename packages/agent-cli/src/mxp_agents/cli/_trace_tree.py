"""Printing captured spans as a rich tree: durations, agents, tools, MXP hops and trace ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rich.markup import escape

from mxp_agents.cli._trace import (
    TRACE_ID,
    attribute,
    mxp_links,
    normalise_id,
    span_id,
    span_parents,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.sdk.trace import ReadableSpan
    from rich.tree import Tree

__all__ = ["render_trace"]

_DETAILS: Final = (
    ("tool", ("gen_ai.tool.name", "mxp.tool")),
    ("model", ("gen_ai.request.model",)),
    ("capability", ("mxp.capability",)),
    ("from", ("mxp.peer",)),
)


def _duration(span: ReadableSpan) -> str:
    if span.start_time is None or span.end_time is None:
        return "?"
    milliseconds = (span.end_time - span.start_time) / 1e6
    return f"{milliseconds:.1f} ms" if milliseconds < 1000 else f"{milliseconds / 1000:.2f} s"


def _agent_names(spans: Sequence[ReadableSpan]) -> dict[str, str]:
    names: dict[str, str] = {}
    for span in spans:
        agent_id, name = attribute(span, "agent.id"), attribute(span, "agent.name")
        if agent_id is not None and name is not None:
            names[str(agent_id)] = str(name)
    return names


def _label(span: ReadableSpan, names: dict[str, str], hop: bool) -> str:
    details: list[str] = []
    agent_id = attribute(span, "agent.id")
    agent = attribute(span, "agent.name") or (
        names.get(str(agent_id), str(agent_id)[:8]) if agent_id is not None else None
    )
    if agent is not None:
        details.append(f"agent={agent}")
    for label, keys in _DETAILS:
        value = next(
            (attribute(span, key) for key in keys if attribute(span, key) is not None), None
        )
        if value is not None:
            details.append(f"{label}={value}")
    peer = attribute(span, "mxp.peer.id")
    if peer is not None:
        details.append(f"to={names.get(str(peer), str(peer)[:8])}")
    trace_id = attribute(span, TRACE_ID)
    if trace_id is not None:
        details.append(f"trace_id=0x{normalise_id(trace_id)}")
    failed = span.status.status_code.name == "ERROR"
    style = "bold red" if failed else "bold"
    name = f"[{style}]{escape(span.name)}{' (error)' if failed else ''}[/]"
    arrow = "[magenta]⇢ over MXP[/] " if hop else ""
    shown = f"  [dim]{escape(' '.join(details))}[/]" if details else ""
    return f"{arrow}{name} [cyan]{_duration(span)}[/]{shown}"


def render_trace(spans: Sequence[ReadableSpan], *, title: str = "trace") -> Tree:
    """``spans`` as a rich tree: children under parents in start order, with durations; a
    span reached over an MXP hop is marked ``⇢ over MXP``.

    Example:
        >>> rich.print(render_trace(capture.spans()))
        trace
        └── mxp.call 12.3 ms  agent=coordinator trace_id=0x...
    """
    from rich.tree import Tree

    root = Tree(f"[bold]{escape(title)}[/]")
    parents, hops, names = span_parents(spans), mxp_links(spans), _agent_names(spans)
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda item: item.start_time or 0):
        children.setdefault(parents[span_id(span)], []).append(span)
    shown: set[int] = set()

    def grow(node: Tree, parent: int | None) -> None:
        for span in children.get(parent, []):
            key = span_id(span)
            if key not in shown:
                shown.add(key)
                grow(node.add(_label(span, names, key in hops)), key)

    grow(root, None)
    for span in spans:  # spans caught in a parent cycle (never expected): show them at the top
        key = span_id(span)
        if key not in shown:
            shown.add(key)
            grow(root.add(_label(span, names, key in hops)), key)
    return root
