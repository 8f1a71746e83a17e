"""`Scheduler`: bounded concurrency, a bounded `FairQueue` of waiting jobs, deadlines and a
graceful drain, on trio.

A job runs in the task that submitted it (so context variables such as the MXP trace id stay
with it); the scheduler only decides when it may start and bounds how long it may take.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, TypeVar

import trio

from mxp_agents.kernel._fair_queue import PRIORITIES, FairQueue, Priority, PriorityWeights
from mxp_agents.kernel._scheduler_types import (
    Admission,
    DeadlineExceeded,
    JobCancelled,
    SchedulerBusy,
    SchedulerClosed,
    SchedulerError,
    SchedulerStats,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["Scheduler"]

T = TypeVar("T")


class Scheduler:
    """Runs jobs with at most ``max_concurrency`` at once and at most ``queue_size`` waiting.

    `submit` (or `admit` then `run`) runs a job in the calling task once a slot is granted.
    A full queue raises `SchedulerBusy` at once (the queue never grows past ``queue_size``);
    a job past its deadline raises `DeadlineExceeded`; `drain` stops admissions, waits for the
    admitted work, then cancels what is left (`JobCancelled`).

    Example:
        >>> scheduler = Scheduler(max_concurrency=2, queue_size=10)
        >>> async def job() -> int:
        ...     return 42
        >>> await scheduler.submit(job, priority="interactive", deadline=5.0)
        42
    """

    def __init__(
        self,
        *,
        max_concurrency: int = 32,
        queue_size: int = 1024,
        weights: PriorityWeights | None = None,
        default_deadline: float | None = None,
        retry_after_ms: int = 250,
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise SchedulerError(f"max_concurrency: expected int, got {max_concurrency!r}")
        if max_concurrency < 1 or queue_size < 0:
            raise SchedulerError(
                f"expected max_concurrency >= 1 and queue_size >= 0, got {max_concurrency} "
                f"and {queue_size}"
            )
        if default_deadline is not None and not default_deadline > 0:
            raise SchedulerError(f"default_deadline: expected seconds > 0, got {default_deadline}")
        self.max_concurrency: Final = max_concurrency
        self.queue_size: Final = queue_size
        self.weights: Final = weights if weights is not None else PriorityWeights()
        self.default_deadline: Final = default_deadline
        self.retry_after_ms: Final = retry_after_ms
        self._waiting = FairQueue[Admission](self.weights)
        self._granted: set[Admission] = set()
        self._running = 0
        self._closed = False
        self._drained = trio.Event()
        self._counts: dict[str, int] = dict.fromkeys(
            ("peak_running", "peak_queued", "admitted", "completed", "rejected_busy",
             "deadline_exceeded", "cancelled"), 0
        )  # fmt: skip
        self._started: dict[str, int] = dict.fromkeys((p.value for p in PRIORITIES), 0)

    @property
    def running(self) -> int:
        """Jobs holding a slot (running, or granted and about to start).

        Example:
            >>> Scheduler().running
            0
        """
        return self._running

    @property
    def queued(self) -> int:
        """Jobs waiting for a slot.

        Example:
            >>> Scheduler().queued
            0
        """
        return len(self._waiting)

    @property
    def closed(self) -> bool:
        """Whether new work is refused (`close` or `drain` was called).

        Example:
            >>> Scheduler().closed
            False
        """
        return self._closed

    def stats(self) -> SchedulerStats:
        """A snapshot of the counters.

        Example:
            >>> Scheduler().stats().admitted
            0
        """
        return SchedulerStats(
            running=self._running,
            queued=len(self._waiting),
            started=dict(self._started),
            **self._counts,
        )

    # -- admission ---------------------------------------------------------------------------

    def admit(
        self, *, priority: Priority | str = Priority.INTERACTIVE, deadline: float | None = None
    ) -> Admission:
        """Reserve a place for one job (a slot if one is free, else a place in the queue).

        ``deadline`` is in seconds from now (None: ``default_deadline``; no deadline if that
        is None too). The admission must then be passed to `run` exactly once.

        Raises:
            SchedulerClosed: the scheduler is draining or closed.
            SchedulerBusy: the queue already holds ``queue_size`` jobs.

        Example:
            >>> admission = scheduler.admit(priority="control")
            >>> await scheduler.run(admission, job)  # doctest: +SKIP
        """
        if self._closed:
            raise SchedulerClosed(
                "the scheduler is shutting down and accepts no new work - call another agent "
                "or retry once it restarted"
            )
        try:
            level = Priority(priority)
        except ValueError:
            names = ", ".join(p.value for p in PRIORITIES)
            raise SchedulerError(f"unknown priority {priority!r}; use one of {names}") from None
        seconds = self.default_deadline if deadline is None else deadline
        if seconds is not None and (math.isnan(seconds) or seconds <= 0):
            raise SchedulerError(f"deadline: expected seconds > 0, got {seconds!r}")
        at = math.inf if seconds is None else trio.current_time() + seconds
        admission = Admission(level, at, math.inf if seconds is None else seconds)
        counts = self._counts
        waiting = self._waiting
        if self._running < self.max_concurrency and not waiting:
            self._grant(admission)
        elif len(waiting) >= self.queue_size:
            counts["rejected_busy"] += 1
            raise SchedulerBusy(len(waiting), self.retry_after_ms)
        else:
            waiting.push(admission, level)
            counts["peak_queued"] = max(counts["peak_queued"], len(waiting))
        counts["admitted"] += 1
        return admission

    async def submit(
        self,
        job: Callable[[], Awaitable[T]],
        *,
        priority: Priority | str = Priority.INTERACTIVE,
        deadline: float | None = None,
    ) -> T:
        """Admit and run ``job`` (see `admit` and `run`); returns what the job returns.

        Example:
            >>> await scheduler.submit(job, priority="background", deadline=60)  # doctest: +SKIP
            42
        """
        return await self.run(self.admit(priority=priority, deadline=deadline), job)

    async def run(self, admission: Admission, job: Callable[[], Awaitable[T]]) -> T:
        """Wait for ``admission``'s slot, then run ``job`` in this task within its deadline.

        Raises:
            DeadlineExceeded: the deadline passed while waiting or running.
            JobCancelled: `drain` gave up waiting and cancelled the job.
            SchedulerError: ``admission`` was already used.
            Exception: whatever ``job`` raised.

        Example:
            >>> await scheduler.run(scheduler.admit(), job)  # doctest: +SKIP
            42
        """
        if admission.used:
            raise SchedulerError("this admission was already used; admit() once per job")
        admission.used = True
        if not admission.granted:
            await self._wait_granted(admission)
        return await self._execute(admission, job)

    async def _wait_granted(self, admission: Admission) -> None:
        try:
            with trio.CancelScope(deadline=admission.deadline):
                await admission._event.wait()  # pyright: ignore[reportPrivateUsage]
        except BaseException:  # the caller was cancelled while waiting
            self._forget(admission)
            raise
        if admission.granted:
            return
        self._forget(admission)
        if admission.cancel_reason is not None:
            self._counts["cancelled"] += 1
            raise JobCancelled(admission.cancel_reason)
        self._counts["deadline_exceeded"] += 1
        raise DeadlineExceeded(admission.seconds, "waiting for a free slot")

    async def _execute(self, admission: Admission, job: Callable[[], Awaitable[T]]) -> T:
        scope = admission._scope = trio.CancelScope(deadline=admission.deadline)  # pyright: ignore[reportPrivateUsage]
        if admission.cancel_reason is not None:
            scope.cancel()
        finished = False
        result: T | None = None
        try:
            with scope:
                result = await job()
                finished = True
        finally:
            self._release(admission)
        if finished:
            self._counts["completed"] += 1
            return result  # pyright: ignore[reportReturnType] - set whenever finished
        if admission.cancel_reason is not None:
            self._counts["cancelled"] += 1
            raise JobCancelled(admission.cancel_reason)
        self._counts["deadline_exceeded"] += 1
        raise DeadlineExceeded(admission.seconds, "running")

    # -- shutdown ----------------------------------------------------------------------------

    def close(self) -> None:
        """Refuse new work from now on (`SchedulerClosed`); admitted jobs still run.

        Example:
            >>> scheduler.close()
            >>> scheduler.closed
            True
        """
        self._closed = True
        self._check_drained()

    async def drain(self, timeout: float, *, cancel_grace: float = 5.0) -> bool:  # noqa: ASYNC109 - the drain budget is the API
        """Close, wait up to ``timeout`` s for the admitted jobs, then cancel the rest.

        Cancelled jobs raise `JobCancelled` in their tasks; drain then waits up to
        ``cancel_grace`` s for them to unwind. Returns True when everything finished in time.

        Example:
            >>> await scheduler.drain(10.0)  # doctest: +SKIP
            True
        """
        self.close()
        with trio.move_on_after(timeout):
            await self._drained.wait()
            return True
        self.cancel_all("shutting down: the drain timeout passed")
        with trio.move_on_after(cancel_grace):
            await self._drained.wait()
        return False

    def cancel_all(self, reason: str) -> None:
        """Cancel every admitted job, waiting or running (each raises `JobCancelled`).

        Example:
            >>> scheduler.cancel_all("operator request")
        """
        for admission in self._waiting.clear():
            admission.cancel_reason = reason
            admission._event.set()  # pyright: ignore[reportPrivateUsage]
        for admission in tuple(self._granted):
            admission.cancel_reason = reason
            scope = admission._scope  # pyright: ignore[reportPrivateUsage]
            if scope is not None:
                scope.cancel()
        self._check_drained()

    # -- internals ---------------------------------------------------------------------------

    def _grant(self, admission: Admission) -> None:
        admission.granted = True
        self._granted.add(admission)
        self._running += 1
        self._started[admission.priority.value] += 1
        counts = self._counts
        counts["peak_running"] = max(counts["peak_running"], self._running)
        admission._event.set()  # pyright: ignore[reportPrivateUsage]

    def _release(self, admission: Admission) -> None:
        if admission in self._granted:
            self._granted.discard(admission)
            self._running -= 1
        self._dispatch()
        self._check_drained()

    def _forget(self, admission: Admission) -> None:
        """Drop a waiting (or just granted) admission whose task will not run it."""
        if admission.granted:
            self._release(admission)
            return
        self._waiting.remove(admission, admission.priority)
        self._check_drained()

    def _dispatch(self) -> None:
        waiting = self._waiting
        while self._running < self.max_concurrency and waiting:
            self._grant(waiting.pop())

    def _check_drained(self) -> None:
        if self._closed and not self._running and not self._waiting:
            self._drained.set()
