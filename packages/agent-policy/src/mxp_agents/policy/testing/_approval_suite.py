"""The conformance suite every `ApprovalStore` passes (shipped, so third-party stores can too).

A backend hands the suite ``open_store``: a callable taking a `Clock` and returning an async
context manager that opens the store on one storage (a directory, a table) with that clock and
closes it on exit. Each ``run_approval_check`` needs its own empty storage; every open inside
the check must reach that same storage (persistence, and deciders in other store instances,
are checked). Times come from a `ManualClock`; waits are bounded (``fail_after``).

Run it with pytest (one test per check)::

    import pytest
    from mxp_agents.policy.testing import approval_check_names, run_approval_check

    @pytest.mark.parametrize("name", approval_check_names())
    async def test_approval_conformance(name: str, tmp_path) -> None:
        await run_approval_check(name, lambda clock: FileApprovalStore(tmp_path, clock=clock))

Example:
    >>> "approve_is_recorded" in approval_check_names()
    True
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

import trio
from msgspec.structs import replace

from mxp_agents.policy._approval_api import (
    ApprovalRecord,
    ApprovalRequest,
    ApprovalStatus,
    ApprovalStore,
    fingerprint,
)
from mxp_agents.policy._errors import ApprovalError
from mxp_agents.policy._request import InvokeTool
from mxp_agents.primitives import Clock
from mxp_agents.primitives.testing import ManualClock

__all__ = [
    "ApprovalConformanceFailure",
    "ApprovalOpener",
    "approval_check_names",
    "run_approval_check",
]

ApprovalOpener = Callable[[Clock], AbstractAsyncContextManager[ApprovalStore]]
"""Opens (or reopens) the store under test on the check's storage, with the given clock."""

Check = Callable[[ApprovalOpener], Awaitable[None]]
START: Final = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
LIMIT: Final = 20.0  # seconds any one wait in a check may take before the check fails
AGENT: Final = "agent-7"

_CHECKS: dict[str, Check] = {}


class ApprovalConformanceFailure(AssertionError):
    """A store broke a rule of the `ApprovalStore` contract; the message says which.

    Example:
        >>> str(ApprovalConformanceFailure("decide: expected approved, got pending"))
        'decide: expected approved, got pending'
    """


def approval_check_names() -> list[str]:
    """The names of every approval store check, in order.

    Example:
        >>> approval_check_names()[0]
        'submit_and_get'
    """
    return list(_CHECKS)


async def run_approval_check(name: str, open_store: ApprovalOpener) -> None:
    """Run the check ``name``; an `ApprovalConformanceFailure` says what broke.

    Example:
        >>> await run_approval_check("submit_and_get", opener)  # doctest: +SKIP
    """
    check = _CHECKS.get(name)
    if check is None:
        raise KeyError(f"no approval check {name!r}; known: {sorted(_CHECKS)}")
    try:
        await check(open_store)
    except ApprovalConformanceFailure as failure:
        raise ApprovalConformanceFailure(f"{name}: {failure}") from None


def _check(function: Check) -> Check:
    _CHECKS[function.__name__.removeprefix("check_")] = function
    return function


def expect(condition: object, message: str) -> None:
    if not condition:
        raise ApprovalConformanceFailure(message)


def request(
    clock: Clock,
    approval_id: str = "appr-1",
    *,
    amount: int = 120,
    approvers: tuple[str, ...] = (),
    ttl: float = 60.0,
) -> ApprovalRequest:
    action = InvokeTool("pay", arguments={"amount": amount, "to": "acme"})
    now = clock.now().timestamp()
    return ApprovalRequest(
        id=approval_id,
        agent_id=AGENT,
        action=action,
        fingerprint=fingerprint(AGENT, action),
        reason="payments over 100 need finance",
        approvers=approvers,
        run_id="run-1",
        created=now,
        deadline=now + ttl,
    )


async def refused(call: Awaitable[Any], *words: str) -> str:
    """The message of the `ApprovalError` ``call`` must raise, holding each of ``words``."""
    try:
        result = await call
    except ApprovalError as error:
        message = str(error)
        for word in words:
            expect(word in message, f"expected {word!r} in the refusal, got {message!r}")
        return message
    raise ApprovalConformanceFailure(f"expected ApprovalError ({', '.join(words)}), got {result!r}")


def same(record: ApprovalRecord, status: ApprovalStatus, by: str | None = None) -> None:
    expect(record.status is status, f"expected status {status}, got {record.status}")
    expect(record.decided_by == by, f"expected decided_by {by!r}, got {record.decided_by!r}")


@_check
async def check_submit_and_get(open_store: ApprovalOpener) -> None:
    """A submitted request is pending, and get / list return it unchanged."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        expect(isinstance(store, ApprovalStore), f"{store!r} is not an ApprovalStore")  # pyright: ignore[reportUnnecessaryIsInstance]
        asked = request(clock)
        record = await store.submit(asked)
        expect(record == ApprovalRecord(request=asked), f"submit returned {record!r}")
        expect(await store.get(asked.id) == record, "get differs from what submit returned")
        expect(await store.list() == [record], "list does not hold exactly the submitted one")


@_check
async def check_submit_is_idempotent(open_store: ApprovalOpener) -> None:
    """The same request again returns the stored record; another request under its id fails."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        asked = request(clock)
        await store.submit(asked)
        await store.decide(asked.id, approve=True, by="ann", fingerprint=asked.fingerprint)
        again = await store.submit(asked)
        same(again, ApprovalStatus.APPROVED, "ann")
        await refused(store.submit(request(clock, amount=5)), "already exists")
        expect(len(await store.list()) == 1, "a refused submit was stored")


@_check
async def check_submit_refuses_bad_requests(open_store: ApprovalOpener) -> None:
    """A forged fingerprint, a path-like id, a blank reason or a past deadline is refused."""
    clock = ManualClock(START)
    good = request(clock)
    forged = replace(good, fingerprint=request(clock, amount=1).fingerprint)
    async with open_store(clock) as store:
        await refused(store.submit(forged), "fingerprint")
        await refused(store.submit(replace(good, id="../x")), "id")
        await refused(store.submit(replace(good, reason=" ")), "reason")
        late = replace(good, deadline=good.created)
        await refused(store.submit(late), "deadline")
        expect(await store.list() == [], "a refused request was stored")


@_check
async def check_unknown_id_is_refused(open_store: ApprovalOpener) -> None:
    """get, decide and wait refuse an id that was never submitted, naming it."""
    async with open_store(ManualClock(START)) as store:
        await refused(store.get("nope"), "nope")
        await refused(store.decide("nope", approve=True, by="ann", fingerprint="0" * 64), "nope")
        await refused(store.wait("nope"), "nope")


@_check
async def check_approve_is_recorded(open_store: ApprovalOpener) -> None:
    """An approval records who, when and the note, and survives reopening the store."""
    clock = ManualClock(START)
    asked = request(clock)
    async with open_store(clock) as store:
        await store.submit(asked)
        clock.advance(5)
        record = await store.decide(
            asked.id, approve=True, by="ann", fingerprint=asked.fingerprint, note="ok"
        )
        same(record, ApprovalStatus.APPROVED, "ann")
        expect(record.note == "ok", f"note lost: {record.note!r}")
        expect(record.decided_at == asked.created + 5, f"decided_at {record.decided_at}")
    async with open_store(clock) as reopened:
        expect(await reopened.get(asked.id) == record, "the decision did not survive reopening")
        expect(await reopened.wait(asked.id) == record, "wait on a decided approval differs")


@_check
async def check_deny_is_recorded(open_store: ApprovalOpener) -> None:
    """A denial is recorded like an approval, with status denied."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        asked = await store.submit(request(clock))
        fp = asked.request.fingerprint
        record = await store.decide("appr-1", approve=False, by="bob", fingerprint=fp)
        same(record, ApprovalStatus.DENIED, "bob")
        same(await store.get("appr-1"), ApprovalStatus.DENIED, "bob")


@_check
async def check_other_call_is_refused(open_store: ApprovalOpener) -> None:
    """An approval bound to one call refuses the fingerprint of another and stays pending."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        asked = request(clock)
        await store.submit(asked)
        other = request(clock, amount=121).fingerprint
        await refused(
            store.decide(asked.id, approve=True, by="ann", fingerprint=other), "different call"
        )
        same(await store.get(asked.id), ApprovalStatus.PENDING)


@_check
async def check_second_decision_is_refused(open_store: ApprovalOpener) -> None:
    """The first decision wins; a later one is refused and changes nothing."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        asked = request(clock)
        await store.submit(asked)
        first = await store.decide(asked.id, approve=False, by="bob", fingerprint=asked.fingerprint)
        again = store.decide(asked.id, approve=True, by="ann", fingerprint=asked.fingerprint)
        await refused(again, "already denied", "bob")
        expect(await store.get(asked.id) == first, "a refused decision changed the record")


@_check
async def check_approvers_are_enforced(open_store: ApprovalOpener) -> None:
    """Only a listed approver may decide (anyone when none is listed); blank names never."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        listed = await store.submit(request(clock, "appr-1", approvers=("finance", "cfo")))
        fp = listed.request.fingerprint
        await refused(store.decide("appr-1", approve=True, by="bob", fingerprint=fp), "finance")
        await refused(store.decide("appr-1", approve=True, by=" ", fingerprint=fp), "blank")
        approved = await store.decide("appr-1", approve=True, by="cfo", fingerprint=fp)
        same(approved, ApprovalStatus.APPROVED, "cfo")
        await store.submit(request(clock, "appr-2"))
        anyone = await store.decide("appr-2", approve=True, by="anyone", fingerprint=fp)
        same(anyone, ApprovalStatus.APPROVED, "anyone")


@_check
async def check_deadline_expires(open_store: ApprovalOpener) -> None:
    """Past its deadline an approval reads as expired, refuses decisions and records that."""
    clock = ManualClock(START)
    asked = request(clock, ttl=30)
    async with open_store(clock) as store:
        await store.submit(asked)
        clock.advance(30)
        record = await store.get(asked.id)
        same(record, ApprovalStatus.EXPIRED)
        expect(record.decided_at == asked.deadline, f"expired at {record.decided_at}")
        await refused(
            store.decide(asked.id, approve=True, by="ann", fingerprint=asked.fingerprint), "expired"
        )
    async with open_store(ManualClock(START)) as before_deadline:
        same(await before_deadline.get(asked.id), ApprovalStatus.EXPIRED)  # recorded, not computed


@_check
async def check_wait_returns_the_decision(open_store: ApprovalOpener) -> None:
    """wait keeps waiting while pending and returns the decision another store instance made."""
    clock = ManualClock(START)
    asked = request(clock)
    async with open_store(clock) as waiter, open_store(clock) as decider:
        await waiter.submit(asked)
        with trio.move_on_after(0.2) as still_pending:
            await waiter.wait(asked.id)
        expect(still_pending.cancelled_caught, "wait returned for a pending approval")
        results: list[ApprovalRecord] = []
        with trio.fail_after(LIMIT):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(lambda: _append(results, waiter.wait(asked.id)))
                await decider.decide(
                    asked.id, approve=True, by="ann", fingerprint=asked.fingerprint
                )
        same(results[0], ApprovalStatus.APPROVED, "ann")


@_check
async def check_wait_expires_at_the_deadline(open_store: ApprovalOpener) -> None:
    """wait returns expired once the deadline passes, and the expiry is recorded."""
    clock = ManualClock(START)
    asked = request(clock, ttl=10)
    async with open_store(clock) as store:
        await store.submit(asked)
        results: list[ApprovalRecord] = []
        with trio.fail_after(LIMIT):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(lambda: _append(results, store.wait(asked.id)))
                clock.advance(10)
        same(results[0], ApprovalStatus.EXPIRED)
    async with open_store(ManualClock(START)) as before_deadline:
        same(await before_deadline.get(asked.id), ApprovalStatus.EXPIRED)


@_check
async def check_list_is_oldest_first_and_filters(open_store: ApprovalOpener) -> None:
    """list is ordered by creation and filters by status, expired ones included."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        for name, ttl in (("c-old", 10.0), ("a-mid", 100.0), ("b-new", 100.0)):
            await store.submit(request(clock, name, ttl=ttl))
            clock.advance(1)
        fp = request(clock).fingerprint  # the same call for all three
        await store.decide("b-new", approve=False, by="bob", fingerprint=fp)
        clock.advance(20)  # c-old is past its deadline
        ids = {s: [r.request.id for r in await store.list(s)] for s in (None, *ApprovalStatus)}
    expect(ids[None] == ["c-old", "a-mid", "b-new"], f"list order {ids[None]}")
    expected = {"pending": ["a-mid"], "expired": ["c-old"], "denied": ["b-new"], "approved": []}
    for status, want in expected.items():
        expect(
            ids[ApprovalStatus(status)] == want,
            f"list({status}) gave {ids[ApprovalStatus(status)]}",
        )


@_check
async def check_pending_survive_reopening(open_store: ApprovalOpener) -> None:
    """A new store on the same storage (a restart) sees every pending approval."""
    clock = ManualClock(START)
    async with open_store(clock) as store:
        for number in range(3):
            await store.submit(request(clock, f"appr-{number}", amount=number))
    async with open_store(clock) as restarted:
        pending = await restarted.list(ApprovalStatus.PENDING)
    expect([r.request.id for r in pending] == ["appr-0", "appr-1", "appr-2"], f"{pending!r}")
    expect(pending[2].request.action == request(clock, amount=2).action, "an action changed")


@_check
async def check_one_concurrent_decider_wins(open_store: ApprovalOpener) -> None:
    """Deciders racing in separate store instances: exactly one wins, the rest are refused.

    Their clock is slow to read (stores read it while deciding), so that deciders without a
    lock would overlap."""
    clock = ManualClock(START)
    asked = request(clock)
    outcomes: list[ApprovalRecord | ApprovalError] = []

    async def decide(number: int) -> None:
        async with open_store(_SlowClock(clock)) as store:
            try:
                verdict = number % 2 == 0
                outcomes.append(
                    await store.decide(
                        asked.id, approve=verdict, by=f"d{number}", fingerprint=asked.fingerprint
                    )
                )
            except ApprovalError as error:
                outcomes.append(error)

    async with open_store(clock) as store:
        await store.submit(asked)
        with trio.fail_after(LIMIT):
            async with trio.open_nursery() as nursery:
                for number in range(6):
                    nursery.start_soon(decide, number)
        winners = [o for o in outcomes if isinstance(o, ApprovalRecord)]
        expect(len(winners) == 1, f"expected one winner, got {len(winners)}: {outcomes!r}")
        expect(await store.get(asked.id) == winners[0], "the stored decision is not the winner's")


class _SlowClock:
    """A clock whose wall time takes 50 ms to read (then the wrapped clock's)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> dt.datetime:
        time.sleep(0.05)  # widens a decider's critical section; a store reads it in a thread
        return self._clock.now()

    def monotonic(self) -> float:
        return self._clock.monotonic()


async def _append(results: list[ApprovalRecord], call: Awaitable[ApprovalRecord]) -> None:
    results.append(await call)
