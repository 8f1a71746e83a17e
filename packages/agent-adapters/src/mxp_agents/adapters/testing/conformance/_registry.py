"""The registry of conformance checks and the helpers they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, NamedTuple

import trio

from mxp_agents.adapters.testing.conformance._types import FEATURES, Harness

__all__ = ["CHECKS", "Check", "ConformanceFailure", "check", "expect", "wait_for"]

CheckFunction = Callable[[Harness], Awaitable[None]]


class ConformanceFailure(AssertionError):
    """An adapter broke a rule of the `ModelAdapter` contract; the message says which.

    Example:
        >>> raise ConformanceFailure("stream_text: the stream did not end with Finish")
        Traceback (most recent call last):
        ...
        ConformanceFailure: stream_text: the stream did not end with Finish
    """


class Check(NamedTuple):
    """One registered check: its function, the features it needs, whom it applies to."""

    function: CheckFunction
    requires: frozenset[str]
    scripted: bool  # True: needs a scriptable backend; False: for live models only


CHECKS: Final[dict[str, Check]] = {}
"""Every check by name, in registration order."""


def check(*requires: str, scripted: bool = True) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under its function's name (decorator).

    Example:
        >>> @check("tools")
        ... async def tools_offered(harness: Harness) -> None: ...
    """
    unknown = set(requires) - FEATURES
    if unknown:
        raise ValueError(f"unknown conformance feature(s) {sorted(unknown)}")

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[function.__name__] = Check(function, frozenset(requires), scripted)
        return function

    return register


def expect(condition: object, message: str) -> None:
    """Fail the check with ``message`` unless ``condition`` holds.

    Example:
        >>> expect(1 + 1 == 2, "arithmetic is broken")
    """
    if not condition:
        raise ConformanceFailure(message)


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 5.0) -> None:
    """Poll ``condition`` every 10 ms until it holds; fail after ``limit`` seconds.

    Example:
        >>> await wait_for(lambda: harness.disconnects >= 1, "the server to see the close")
    """
    with trio.move_on_after(limit):
        while not condition():  # noqa: ASYNC110 - the condition lives in another component
            await trio.sleep(0.01)
        return
    raise ConformanceFailure(f"waited {limit:g}s for {what}")
