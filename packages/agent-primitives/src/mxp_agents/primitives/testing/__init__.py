"""Test kit for code built on ``mxp_agents.primitives`` (shipped, like ``trio.testing``).

A controllable clock, factories for valid values with sensible defaults, assertions, and
`TemporaryPostgres`: a throwaway PostgreSQL server on 127.0.0.1 from the system's binaries.

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
from mxp_agents.primitives.testing._postgres_server import (
    TemporaryPostgres,
    TemporaryPostgresError,
    find_postgres_binaries,
)

__all__ = [
    "ManualClock",
    "TemporaryPostgres",
    "TemporaryPostgresError",
    "assert_json_round_trip",
    "find_postgres_binaries",
    "make_agent_id",
    "make_capability",
    "make_manifest",
    "make_tool_call",
]
