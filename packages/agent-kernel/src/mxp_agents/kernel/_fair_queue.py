"""`Priority`, `PriorityWeights` and `FairQueue`: waiting work by priority class, taken out
by smooth weighted round robin.

With the default weights (8, 4, 1) and all three classes waiting, control gets 8 of every 13
turns, interactive 4 and background 1: the most urgent class goes first most of the time and
no class ever starves.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import Final, Generic, TypeVar

import msgspec

from mxp_agents.kernel._scheduler_types import SchedulerError

__all__ = ["PRIORITIES", "FairQueue", "Priority", "PriorityWeights"]

T = TypeVar("T")


class Priority(enum.StrEnum):
    """Priority classes of scheduled work, most urgent first.

    Example:
        >>> Priority("background") is Priority.BACKGROUND
        True
    """

    CONTROL = "control"
    INTERACTIVE = "interactive"
    BACKGROUND = "background"


PRIORITIES: Final = (Priority.CONTROL, Priority.INTERACTIVE, Priority.BACKGROUND)
"""The priority classes, most urgent first."""


class PriorityWeights(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Relative shares of the priority classes when all of them have waiting work.

    Example:
        >>> PriorityWeights(background=2).background
        2
    """

    control: int = 8
    interactive: int = 4
    background: int = 1

    def __post_init__(self) -> None:
        for name in ("control", "interactive", "background"):
            value: object = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                raise SchedulerError(
                    f"PriorityWeights.{name}: expected an int in 1..1000, got {value!r}"
                )

    def of(self, priority: Priority) -> int:
        """The weight of ``priority``.

        Example:
            >>> PriorityWeights().of(Priority.CONTROL)
            8
        """
        return int(getattr(self, priority.value))


class FairQueue(Generic[T]):
    """Items waiting by priority class; `pop` takes them by smooth weighted round robin.

    Within a class items leave in arrival order.

    Example:
        >>> queue = FairQueue[str](PriorityWeights())
        >>> queue.push("report", Priority.BACKGROUND)
        >>> queue.push("stop", Priority.CONTROL)
        >>> queue.pop(), queue.pop(), len(queue)
        ('stop', 'report', 0)
    """

    __slots__ = ("_credit", "_length", "_queues", "_weights")

    def __init__(self, weights: PriorityWeights) -> None:
        self._weights = {level: weights.of(level) for level in PRIORITIES}
        self._queues: dict[Priority, deque[T]] = {level: deque() for level in PRIORITIES}
        self._credit: dict[Priority, int] = dict.fromkeys(PRIORITIES, 0)
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def push(self, item: T, priority: Priority) -> None:
        """Append ``item`` to its class.

        Example:
            >>> queue.push("job", Priority.INTERACTIVE)
        """
        self._queues[priority].append(item)
        self._length += 1

    def pop(self) -> T:
        """Take the next item: the class with the most credit goes (ties: the more urgent).

        Raises:
            IndexError: the queue is empty.

        Example:
            >>> queue.pop()
            'job'
        """
        credit = self._credit
        best: Priority | None = None
        total = 0
        for level in PRIORITIES:
            if self._queues[level]:
                weight = self._weights[level]
                credit[level] += weight
                total += weight
                if best is None or credit[level] > credit[best]:
                    best = level
        if best is None:
            raise IndexError("pop from an empty FairQueue")
        credit[best] -= total
        return self._take(best, self._queues[best].popleft())

    def remove(self, item: T, priority: Priority) -> bool:
        """Remove ``item`` (at most ``len(queue)`` steps); False if it is not waiting.

        Example:
            >>> queue.remove("job", Priority.INTERACTIVE)
            False
        """
        queue = self._queues[priority]
        try:
            queue.remove(item)
        except ValueError:
            return False
        self._take(priority, item)
        return True

    def clear(self) -> list[T]:
        """Remove and return every waiting item, most urgent class first.

        Example:
            >>> queue.clear()
            []
        """
        items = [item for level in PRIORITIES for item in self._queues[level]]
        for level in PRIORITIES:
            self._queues[level].clear()
            self._credit[level] = 0
        self._length = 0
        return items

    def _take(self, level: Priority, item: T) -> T:
        self._length -= 1
        if not self._queues[level]:
            self._credit[level] = 0  # an idle class starts afresh
        return item
