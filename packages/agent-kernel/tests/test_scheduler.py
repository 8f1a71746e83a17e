"""The scheduler: bounded concurrency and queue, priorities with fairness, deadlines, drain."""

import collections

import pytest
import trio
import trio.lowlevel

from mxp_agents.kernel import (
    DeadlineExceeded,
    JobCancelled,
    KernelError,
    Priority,
    PriorityWeights,
    Scheduler,
    SchedulerBusy,
    SchedulerClosed,
    SchedulerError,
)


async def test_submit_runs_the_job_and_returns_its_result():
    scheduler = Scheduler()

    async def job() -> int:
        await trio.lowlevel.checkpoint()
        return 42

    assert await scheduler.submit(job) == 42
    stats = scheduler.stats()
    assert (stats.admitted, stats.completed, stats.running, stats.queued) == (1, 1, 0, 0)


async def test_concurrency_is_bounded_and_every_job_completes():
    scheduler = Scheduler(max_concurrency=3, queue_size=100)
    gate = trio.Event()
    running = 0
    peak = 0
    done: list[int] = []

    async def job(number: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1
        done.append(number)

    async with trio.open_nursery() as nursery:
        for number in range(20):
            nursery.start_soon(scheduler.submit, lambda n=number: job(n))
        await trio.testing.wait_all_tasks_blocked()
        assert (scheduler.running, scheduler.queued) == (3, 17)
        gate.set()
    assert sorted(done) == list(range(20))
    assert peak == 3
    assert scheduler.stats().peak_running == 3


async def test_a_full_queue_answers_busy_at_once_and_never_grows():
    scheduler = Scheduler(max_concurrency=1, queue_size=2, retry_after_ms=125)
    gate = trio.Event()

    async def job() -> str:
        await gate.wait()
        return "ok"

    results: list[str] = []

    async def submit() -> None:
        results.append(await scheduler.submit(job))

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(submit)
        await trio.testing.wait_all_tasks_blocked()
        for _ in range(5):
            with pytest.raises(SchedulerBusy) as caught:
                scheduler.admit()
            assert caught.value.retry_after_ms == 125
            assert "retry after 125 ms" in str(caught.value)
        assert (scheduler.running, scheduler.queued) == (1, 2)
        gate.set()
    assert results == ["ok"] * 3
    stats = scheduler.stats()
    assert (stats.peak_queued, stats.rejected_busy) == (2, 5)


async def test_weighted_round_robin_favours_control_and_never_starves_background():
    scheduler = Scheduler(max_concurrency=1, queue_size=100)
    blocker = trio.Event()
    order: list[Priority] = []

    async def block() -> None:
        await blocker.wait()

    async def record(priority: Priority) -> None:
        order.append(priority)
        await trio.lowlevel.checkpoint()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(scheduler.run, scheduler.admit(), block)
        admissions = [
            (scheduler.admit(priority=priority), priority)
            for _ in range(26)
            for priority in (Priority.BACKGROUND, Priority.INTERACTIVE, Priority.CONTROL)
        ]
        for admission, priority in admissions:
            nursery.start_soon(scheduler.run, admission, lambda p=priority: record(p))
        await trio.testing.wait_all_tasks_blocked()
        blocker.set()
    assert len(order) == 78
    first_round = collections.Counter(order[:13])
    assert first_round == {Priority.CONTROL: 8, Priority.INTERACTIVE: 4, Priority.BACKGROUND: 1}
    # Background gets a slot in every round of 13 while the others wait.
    assert order.index(Priority.BACKGROUND) < 13
    assert scheduler.stats().started == {"control": 26, "interactive": 27, "background": 26}


async def test_custom_weights_change_the_shares():
    scheduler = Scheduler(max_concurrency=1, weights=PriorityWeights(control=1, background=1))
    blocker = trio.Event()
    order: list[str] = []

    async def block() -> None:
        await blocker.wait()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(scheduler.run, scheduler.admit(), block)
        for _ in range(4):
            for priority in ("control", "background"):
                admission = scheduler.admit(priority=priority)

                async def job(p: str = priority) -> None:
                    order.append(p)

                nursery.start_soon(scheduler.run, admission, job)
        await trio.testing.wait_all_tasks_blocked()
        blocker.set()
    assert collections.Counter(order[:2]) == {"control": 1, "background": 1}


async def test_deadline_passes_while_waiting(autojump_clock):
    scheduler = Scheduler(max_concurrency=1)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(scheduler.submit, trio.sleep_forever)
        await trio.testing.wait_all_tasks_blocked()
        start = trio.current_time()
        with pytest.raises(DeadlineExceeded, match="while waiting for a free slot"):
            await scheduler.submit(trio.sleep_forever, deadline=5.0)
        assert trio.current_time() - start == pytest.approx(5.0)
        assert scheduler.queued == 0
        nursery.cancel_scope.cancel()
    assert scheduler.stats().deadline_exceeded == 1


async def test_deadline_passes_while_running(autojump_clock):
    scheduler = Scheduler(default_deadline=2.0)
    start = trio.current_time()
    with pytest.raises(DeadlineExceeded, match="deadline of 2 s exceeded while running"):
        await scheduler.submit(trio.sleep_forever)
    assert trio.current_time() - start == pytest.approx(2.0)
    assert scheduler.running == 0

    async def quick() -> str:
        await trio.sleep(1.0)
        return "in time"

    assert await scheduler.submit(quick, deadline=1.5) == "in time"


async def test_drain_waits_for_admitted_work_then_refuses_new_work(autojump_clock):
    scheduler = Scheduler(max_concurrency=2)
    finished: list[int] = []

    async def job(number: int) -> None:
        await trio.sleep(1.0)
        finished.append(number)

    async with trio.open_nursery() as nursery:
        for number in range(5):
            nursery.start_soon(scheduler.submit, lambda n=number: job(n))
        await trio.testing.wait_all_tasks_blocked()
        assert await scheduler.drain(10.0) is True
        assert sorted(finished) == list(range(5))
        assert scheduler.closed
        with pytest.raises(SchedulerClosed, match="shutting down"):
            scheduler.admit()


async def test_drain_cancels_what_is_left_after_its_timeout(autojump_clock):
    scheduler = Scheduler(max_concurrency=2)
    outcomes: list[str] = []

    async def submit() -> None:
        try:
            await scheduler.submit(trio.sleep_forever)
        except JobCancelled as error:
            outcomes.append(error.reason)

    async with trio.open_nursery() as nursery:
        for _ in range(5):
            nursery.start_soon(submit)
        await trio.testing.wait_all_tasks_blocked()
        start = trio.current_time()
        assert await scheduler.drain(3.0) is False
        assert trio.current_time() - start == pytest.approx(3.0)
    assert len(outcomes) == 5  # 2 running and 3 queued, all told why
    assert all("drain timeout" in reason for reason in outcomes)
    assert (scheduler.running, scheduler.queued, scheduler.stats().cancelled) == (0, 0, 5)


async def test_a_cancelled_waiter_gives_its_place_back():
    scheduler = Scheduler(max_concurrency=1, queue_size=1)
    gate = trio.Event()

    async def block() -> None:
        await gate.wait()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(scheduler.submit, block)
        await trio.testing.wait_all_tasks_blocked()
        with trio.CancelScope() as scope:

            async def cancel_soon() -> None:
                await trio.testing.wait_all_tasks_blocked()
                assert scheduler.queued == 1
                scope.cancel()

            nursery.start_soon(cancel_soon)
            await scheduler.submit(block)
        assert scope.cancelled_caught
        assert scheduler.queued == 0
        admission = scheduler.admit()  # the freed place can be taken again
        gate.set()
        await scheduler.run(admission, block)
    assert (scheduler.running, scheduler.queued) == (0, 0)


async def test_job_errors_propagate_and_free_the_slot():
    scheduler = Scheduler(max_concurrency=1)

    async def broken() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await scheduler.submit(broken)
    assert scheduler.running == 0
    assert await scheduler.submit(trio.lowlevel.checkpoint) is None


async def test_misuse_is_reported():
    scheduler = Scheduler()
    admission = scheduler.admit()
    await scheduler.run(admission, trio.lowlevel.checkpoint)
    with pytest.raises(SchedulerError, match="already used"):
        await scheduler.run(admission, trio.lowlevel.checkpoint)
    with pytest.raises(SchedulerError, match="unknown priority 'urgent'"):
        scheduler.admit(priority="urgent")
    with pytest.raises(SchedulerError, match="deadline"):
        scheduler.admit(deadline=0)
    with pytest.raises(SchedulerError, match="max_concurrency"):
        Scheduler(max_concurrency=0)
    with pytest.raises(SchedulerError, match=r"PriorityWeights\.background"):
        PriorityWeights(background=0)
    assert issubclass(SchedulerError, KernelError)
