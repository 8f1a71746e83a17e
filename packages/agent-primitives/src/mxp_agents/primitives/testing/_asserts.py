"""Assertion helpers for tests of types built on the shared primitives."""

from __future__ import annotations

from typing import TypeVar

from mxp_agents.primitives._json import from_json, to_json

__all__ = ["assert_json_round_trip"]

T = TypeVar("T")


def assert_json_round_trip(value: T) -> T:
    """Encode ``value`` to JSON, decode it as ``type(value)`` and check the result is equal.

    Returns the decoded copy. Raises `AssertionError` showing the JSON when they differ (the
    check does not depend on ``assert`` statements, so it also runs under ``python -O``).

    Example:
        >>> assert_json_round_trip(Usage(input_tokens=3)).input_tokens
        3
    """
    data = to_json(value)
    decoded = from_json(data, type(value))
    if decoded != value:
        raise AssertionError(
            f"JSON round trip changed the value:\n  before: {value!r}\n  json:   {data.decode()}"
            f"\n  after:  {decoded!r}"
        )
    return decoded
