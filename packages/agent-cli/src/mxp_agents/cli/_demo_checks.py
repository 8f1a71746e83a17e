"""What the demo verifies in its trace: both runs, the delegation hop, the tools, one trace id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from mxp_agents.cli._trace import mxp_trace_ids, normalise_id, span_id, span_parents

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from opentelemetry.sdk.trace import ReadableSpan

__all__ = ["Check", "served_model_checks", "trace_checks"]


class Check(msgspec.Struct, frozen=True):
    """One verified fact of the demo: its name, whether it holds, and a detail.

    Example:
        >>> Check("the call completed", True).passed
        True
    """

    name: str
    passed: bool
    detail: str = ""


def _attribute(span: ReadableSpan, key: str) -> object:
    attributes: Mapping[str, object] = span.attributes or {}
    return attributes.get(key)


def _ancestors(span: ReadableSpan, parents: dict[int, int | None]) -> list[int]:
    found: list[int] = []
    current = parents.get(span_id(span))
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


def trace_checks(spans: Sequence[ReadableSpan], trace_id: int) -> list[Check]:
    """Checks on the demo's spans: both agents ran, the worker's run sits under the
    coordinator's delegation, the worker's tools ran in it, and one MXP trace id spans all.

    Example:
        >>> all(check.passed for check in trace_checks(capture.spans(), response.trace_id))
        True
    """
    parents = span_parents(spans)
    by_id = {span_id(span): span for span in spans}
    runs = {str(_attribute(span, "agent.name")): span for span in spans if span.name == "agent.run"}
    checks = [Check("spans of both agents' runs", {"coordinator", "worker"} <= set(runs))]
    worker_run = runs.get("worker")
    delegations = [span for span in spans if span.name == "mxp.delegate"]
    under_delegation = worker_run is not None and any(
        by_id[ancestor].name == "mxp.delegate"
        for ancestor in _ancestors(worker_run, parents)
        if ancestor in by_id
    )
    checks.append(
        Check(
            "the worker's run is under the coordinator's delegation (mxp.delegate)",
            bool(delegations) and under_delegation,
        )
    )
    worker_tools = sorted(
        str(_attribute(span, "gen_ai.tool.name"))
        for span in spans
        if span.name == "agent.tool_call"
        and worker_run is not None
        and span_id(worker_run) in _ancestors(span, parents)
    )
    checks.append(
        Check(
            "the worker's tool calls are in its run",
            bool(worker_tools),
            ", ".join(worker_tools) or "none",
        )
    )
    ids = mxp_trace_ids(spans)
    expected = normalise_id(trace_id)
    carriers = sum(1 for span in spans if _attribute(span, "mxp.trace_id") is not None)
    checks.append(
        Check(
            "one MXP trace_id across coordinator and worker",
            ids == {expected},
            f"0x{expected} on {carriers} spans" if ids == {expected} else f"found {sorted(ids)}",
        )
    )
    return checks


def served_model_checks(spans: Sequence[ReadableSpan]) -> list[Check]:
    """Checks for a live (served) model: each agent's run made at least one model call.

    Example:
        >>> [check.passed for check in served_model_checks(capture.spans())]
        [True]
    """
    parents = span_parents(spans)
    names = {
        span_id(span): str(_attribute(span, "agent.name"))
        for span in spans
        if span.name == "agent.run"
    }
    counts: dict[str, int] = {}
    for span in spans:
        if span.name != "agent.model_call":
            continue
        for ancestor in _ancestors(span, parents):
            if ancestor in names:
                counts[names[ancestor]] = counts.get(names[ancestor], 0) + 1
                break
    detail = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
    both = counts.get("coordinator", 0) >= 1 and counts.get("worker", 0) >= 1
    return [Check("both agents called the served model", both, detail or "no model calls")]
