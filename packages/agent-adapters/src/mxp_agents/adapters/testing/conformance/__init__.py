"""The conformance suite every `ModelAdapter` passes (shipped, so third-party adapters can too).

A `Harness` pairs an adapter with a backend. Fake-server harnesses are scriptable: each check
scripts `Reply`s, calls the adapter, and compares what came back and what the server saw
(`SeenRequest`) against the contract: streaming shape, tool calls and results, structured
output, usage and cost, the error hierarchy, retries, timeouts and cancellation. A live model
(``scriptable=False``) gets the checks that hold for any answer. Checks needing a feature the
harness does not declare are left out.

Run it with pytest (one test per check)::

    import pytest
    from mxp_agents.adapters.testing import conformance
    from mxp_agents.adapters.testing.fakes import OpenAIHarness

    HARNESS = OpenAIHarness()

    @pytest.mark.parametrize("name", conformance.check_names(HARNESS))
    async def test_conformance(name: str) -> None:
        await conformance.run_check(name, HARNESS)

Example:
    >>> from mxp_agents.adapters.testing import conformance
    >>> "stream_text" in conformance.CHECKS
    True
"""

from __future__ import annotations

# Importing the check modules registers their checks in CHECKS, in this order.
from mxp_agents.adapters.testing.conformance import _checks_basic as _checks_basic
from mxp_agents.adapters.testing.conformance import _checks_failures as _checks_failures
from mxp_agents.adapters.testing.conformance import _checks_live as _checks_live
from mxp_agents.adapters.testing.conformance import _checks_tools as _checks_tools
from mxp_agents.adapters.testing.conformance._registry import (
    CHECKS,
    Check,
    ConformanceFailure,
)
from mxp_agents.adapters.testing.conformance._replay import (
    ReplayError,
    ReplayHarness,
    ReplayModel,
)
from mxp_agents.adapters.testing.conformance._types import (
    FEATURES,
    ErrorKind,
    ErrorReply,
    Harness,
    Reply,
    SeenRequest,
)

__all__ = [
    "CHECKS",
    "FEATURES",
    "Check",
    "ConformanceFailure",
    "ErrorKind",
    "ErrorReply",
    "Harness",
    "ReplayError",
    "ReplayHarness",
    "ReplayModel",
    "Reply",
    "SeenRequest",
    "check_names",
    "run_check",
]


def check_names(harness: Harness) -> list[str]:
    """The names of the checks that apply to ``harness``, in order.

    Example:
        >>> conformance.check_names(OpenAIHarness())[:2]  # doctest: +SKIP
        ['complete_text', 'stream_text']
    """
    unknown = set(harness.features) - FEATURES
    if unknown:
        raise ValueError(f"{harness.name}: unknown feature(s) {sorted(unknown)}")
    return [
        name
        for name, entry in CHECKS.items()
        if entry.scripted == harness.scriptable and entry.requires <= harness.features
    ]


async def run_check(name: str, harness: Harness) -> None:
    """Run the check ``name`` against ``harness``; a `ConformanceFailure` says what broke.

    Example:
        >>> await conformance.run_check("stream_text", OpenAIHarness())  # doctest: +SKIP
    """
    entry = CHECKS.get(name)
    if entry is None:
        raise KeyError(f"no conformance check {name!r}; known: {sorted(CHECKS)}")
    try:
        await entry.function(harness)
    except ConformanceFailure as failure:
        raise ConformanceFailure(f"{harness.name}: {name}: {failure}") from None
