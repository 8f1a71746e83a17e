"""Test kit for code built on ``mxp_agents.primitives`` (shipped, like ``trio.testing``).

A controllable clock, factories for valid values with sensible defaults, and assertions.

Example:
    >>> from mxp_agents.primitives.testing import ManualClock, make_manifest
    >>> clock = ManualClock()
    >>> clock.advance(5)
    >>> clock.monotonic(), make_manifest(name="demo").name
    (5.0, 'demo')
"""

from mxp_agents.primitives.testing._asserts import assert_json_round_trip
from mxp_agents.primitives.testing._clock import ManualClock
from mxp_agents.primitives.testing._factories import (
    make_agent_id,
    make_capability,
    make_manifest,
    make_tool_call,
)

__all__ = [
    "ManualClock",
    "assert_json_round_trip",
    "make_agent_id",
    "make_capability",
    "make_manifest",
    "make_tool_call",
]
