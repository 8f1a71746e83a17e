"""What the `Scheduler` hands out and reports: `Admission`, `SchedulerStats` and its errors
(all `SchedulerError`, a `KernelError`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import trio

from mxp_agents.kernel._errors import KernelError

if TYPE_CHECKING:
    from mxp_agents.kernel._fair_queue import Priority

__all__ = [
    "Admission",
    "DeadlineExceeded",
    "JobCancelled",
    "SchedulerBusy",
    "SchedulerClosed",
    "SchedulerError",
    "SchedulerStats",
]


class SchedulerError(KernelError):
    """Base class of the scheduler's errors.

    Example:
        >>> issubclass(SchedulerBusy, SchedulerError)
        True
    """


class SchedulerBusy(SchedulerError):
    """The queue is full; try again after ``retry_after_ms`` milliseconds.

    Example:
        >>> try:
        ...     await scheduler.submit(job)
        ... except SchedulerBusy as busy:
        ...     print(busy.retry_after_ms)
        250
    """

    def __init__(self, queued: int, retry_after_ms: int) -> None:
        self.queued = queued
        self.retry_after_ms = retry_after_ms
        super().__init__(
            f"the scheduler's queue is full ({queued} calls waiting) - "
            f"retry after {retry_after_ms} ms"
        )


class SchedulerClosed(SchedulerError):
    """The scheduler is draining or closed and accepts no new work.

    Example:
        >>> scheduler.close()
        >>> scheduler.admit()
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._scheduler.SchedulerClosed: the scheduler is shutting down ...
    """


class JobCancelled(SchedulerError):
    """The job was cancelled by the scheduler's shutdown (its drain deadline passed).

    Example:
        >>> await scheduler.submit(slow_job)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._scheduler.JobCancelled: job cancelled: shutting down ...
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"job cancelled: {reason}")


class DeadlineExceeded(SchedulerError):
    """The job's deadline passed (while it waited or while it ran).

    Example:
        >>> await scheduler.submit(slow_job, deadline=0.5)  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        mxp_agents.kernel._scheduler.DeadlineExceeded: deadline of 0.5 s exceeded while running
    """

    def __init__(self, deadline: float, where: str) -> None:
        self.deadline = deadline
        self.where = where
        super().__init__(f"deadline of {deadline:g} s exceeded while {where}")


class SchedulerStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counters of a `Scheduler` (see `Scheduler.stats`).

    Example:
        >>> scheduler.stats().peak_queued <= scheduler.queue_size
        True
    """

    running: int
    queued: int
    peak_running: int
    peak_queued: int
    admitted: int
    completed: int
    rejected_busy: int
    deadline_exceeded: int
    cancelled: int
    started: dict[str, int]


class Admission:
    """A place in the scheduler for one job, from `Scheduler.admit`; pass it to `Scheduler.run`.

    Example:
        >>> admission = scheduler.admit(priority="background", deadline=30)
        >>> await scheduler.run(admission, job)  # doctest: +SKIP
    """

    __slots__ = (
        "_event",
        "_scope",
        "cancel_reason",
        "deadline",
        "granted",
        "priority",
        "seconds",
        "used",
    )

    def __init__(self, priority: Priority, deadline: float, seconds: float) -> None:
        self.priority = priority
        self.deadline = deadline
        """Absolute trio time by which the job must be done (``inf``: none)."""
        self.granted = False
        self.used = False
        self.cancel_reason: str | None = None
        self._event = trio.Event()
        self._scope: trio.CancelScope | None = None
        self.seconds = seconds
        """The deadline as given, in seconds (``inf``: none)."""

    def __repr__(self) -> str:
        return f"<Admission {self.priority.value} granted={self.granted}>"
