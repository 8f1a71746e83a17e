"""The conformance suite every `Journal` backend passes (shipped, so third-party journals can too).

A backend hands the suite ``open_journal``: a zero-argument callable returning an async context
manager that opens the journal on one storage (a directory, a table) and closes it on exit.
Each call of ``run_journal_check`` needs its own storage, empty before the check's first open;
later opens inside the check must reopen that same storage (persistence is checked).

Run it with pytest (one test per check)::

    import pytest
    from mxp_agents.memory.testing import journal_check_names, run_journal_check

    @pytest.mark.parametrize("name", journal_check_names())
    async def test_journal_conformance(name: str, tmp_path) -> None:
        await run_journal_check(name, lambda: FileJournal.opened(tmp_path / "journal"))

Example:
    >>> "round_trip" in JOURNAL_CHECKS
    True
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, NamedTuple

import trio

from mxp_agents.memory._errors import InvalidRecord, JournalClosed
from mxp_agents.memory._journal_api import Durability, Journal, JournalEntry
from mxp_agents.memory._record import MemoryChannel, MemoryRecord

__all__ = [
    "JOURNAL_CHECKS",
    "JournalCheck",
    "JournalConformanceFailure",
    "JournalOpener",
    "check_journal",
    "journal_check_names",
    "run_journal_check",
]

JournalOpener = Callable[[], AbstractAsyncContextManager[Journal]]
"""Opens (or reopens) the journal under test on the check's storage."""

CheckFunction = Callable[[JournalOpener], Awaitable[None]]

T0: Final = 1_700_000_000.0  # a base timestamp, exact to the microsecond (PostgreSQL keeps µs)


class JournalConformanceFailure(AssertionError):
    """A journal broke a rule of the `Journal` contract; the message says which.

    Example:
        >>> raise JournalConformanceFailure("offsets: expected [0, 1], got [0, 2]")
        Traceback (most recent call last):
        ...
        JournalConformanceFailure: offsets: expected [0, 1], got [0, 2]
    """


class JournalCheck(NamedTuple):
    """One registered check: its function and a one-line description."""

    function: CheckFunction
    description: str


JOURNAL_CHECKS: Final[dict[str, JournalCheck]] = {}
"""Every check by name, in registration order."""


def _check(function: CheckFunction) -> CheckFunction:
    doc = (function.__doc__ or "").strip().splitlines()
    JOURNAL_CHECKS[function.__name__] = JournalCheck(function, doc[0] if doc else "")
    return function


def journal_check_names() -> list[str]:
    """The names of every journal check, in order.

    Example:
        >>> journal_check_names()[0]
        'round_trip'
    """
    return list(JOURNAL_CHECKS)


async def run_journal_check(name: str, open_journal: JournalOpener) -> None:
    """Run the check ``name``; a `JournalConformanceFailure` says what broke.

    Example:
        >>> opener = lambda: FileJournal.opened(path)
        >>> await run_journal_check("round_trip", opener)  # doctest: +SKIP
    """
    entry = JOURNAL_CHECKS.get(name)
    if entry is None:
        raise KeyError(f"no journal check {name!r}; known: {sorted(JOURNAL_CHECKS)}")
    try:
        await entry.function(open_journal)
    except JournalConformanceFailure as failure:
        raise JournalConformanceFailure(f"{name}: {failure}") from None


async def check_journal(open_storage: Callable[[], JournalOpener]) -> None:
    """Run every check, each on fresh storage from ``open_storage()``.

    Example:
        >>> await check_journal(lambda: opener_on_a_new_directory())  # doctest: +SKIP
    """
    for name in JOURNAL_CHECKS:
        await run_journal_check(name, open_storage())


def expect(condition: object, message: str) -> None:
    """Fail the check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise JournalConformanceFailure(message)


def record(
    n: int, *, run: str | None = "r", at: float | None = None, payload: Any = None
) -> MemoryRecord:
    """A small record: payload ``n`` (unless given), timestamp ``T0 + n`` (unless given)."""
    return MemoryRecord(
        MemoryChannel.INPUT,
        n if payload is None else payload,
        run_id=run,
        timestamp=T0 + n if at is None else at,
    )


async def entries(aiter: AsyncIterator[JournalEntry], limit: float = 30.0) -> list[JournalEntry]:
    """Every entry of ``aiter`` (fails after ``limit`` seconds)."""
    with trio.move_on_after(limit):
        return [entry async for entry in aiter]
    raise JournalConformanceFailure(f"reading took more than {limit:g}s")


def offsets(found: list[JournalEntry]) -> list[int]:
    return [entry.offset for entry in found]


async def append_all(journal: Journal, records: list[MemoryRecord]) -> list[int]:
    return [await journal.append(item) for item in records]


def full_records() -> list[MemoryRecord]:
    """Records using every field and the payload kinds a journal must carry."""
    payloads: list[Any] = [
        "text with unicode: ü → 漢字",
        b"\x00\x01binary\xff",
        42,
        -(2**62),
        2.5,
        True,
        None,
        [1, "two", [3.0, None]],
        {"text": "hello", "nested": {"k": [1, 2]}, "flag": False},
        "",
    ]
    out = [
        MemoryRecord(
            MemoryChannel.TOOL,
            payload,
            tags=("a", "sensitive"),
            metadata={"tool": "calc", "n": i, "ok": True},
            embedding=(0.5, -1.25, 3.0),
            run_id=f"run-{i % 3}",
            step=i,
            agent_id="agent-7",
            id=uuid.UUID(int=i + 1),
            timestamp=T0 + i * 0.25,
        )
        for i, payload in enumerate(payloads)
    ]
    out.append(MemoryRecord(MemoryChannel.CUSTOM, "custom", label="thoughts", timestamp=T0))
    out.append(MemoryRecord(MemoryChannel.SYSTEM, {"empty": {}}))
    return out


@_check
async def round_trip(open_journal: JournalOpener) -> None:
    """Every field and payload kind reads back equal, with the offsets append returned."""
    records = full_records()
    async with open_journal() as journal:
        mode = journal.durability
        expect(type(mode) is Durability, f"durability {mode!r} is not a Durability")
        got = await append_all(journal, records)
        found = await entries(journal.read())
    expect(offsets(found) == got, f"read offsets {offsets(found)} != appended {got}")
    for entry, original in zip(found, records, strict=True):
        expect(entry.record == original, f"offset {entry.offset}: {entry.record!r} != {original!r}")


@_check
async def offsets_contiguous(open_journal: JournalOpener) -> None:
    """append returns 0, 1, 2, … without gaps."""
    async with open_journal() as journal:
        got = await append_all(journal, [record(i) for i in range(25)])
        expect(got == list(range(25)), f"offsets {got}, expected 0..24")
        expect(offsets(await entries(journal.read())) == got, "read offsets differ")


@_check
async def read_by_run(open_journal: JournalOpener) -> None:
    """read(run_id=…) yields that run's records only, in offset order."""
    async with open_journal() as journal:
        await append_all(journal, [record(i, run=f"run-{i % 3}") for i in range(30)])
        await journal.append(record(30, run=None))
        for run in range(3):
            found = await entries(journal.read(run_id=f"run-{run}"))
            expect(offsets(found) == list(range(run, 30, 3)), f"run-{run}: {offsets(found)}")
            expect(all(e.record.run_id == f"run-{run}" for e in found), "another run's record")
        expect(await entries(journal.read(run_id="nope")) == [], "an unknown run has records")


@_check
async def read_by_time_range(open_journal: JournalOpener) -> None:
    """read(since=…, until=…) keeps since <= timestamp < until."""
    async with open_journal() as journal:
        await append_all(journal, [record(i) for i in range(20)])
        cases: list[tuple[float | None, float | None, list[int]]] = [
            (T0 + 5, T0 + 10, list(range(5, 10))),
            (T0 + 15, None, list(range(15, 20))),
            (None, T0 + 3, [0, 1, 2]),
            (T0 + 4.5, T0 + 5.5, [5]),
            (T0 + 7, T0 + 7, []),
            (T0 + 100, None, []),
        ]
        for since, until, expected in cases:
            found = offsets(await entries(journal.read(since=since, until=until)))
            expect(found == expected, f"since={since} until={until}: {found} != {expected}")


@_check
async def read_from_offset(open_journal: JournalOpener) -> None:
    """read(start=k) begins at offset k; a start past the end yields nothing."""
    async with open_journal() as journal:
        await append_all(journal, [record(i) for i in range(20)])
        for start in (0, 1, 13, 19):
            found = offsets(await entries(journal.read(start=start)))
            expect(found == list(range(start, 20)), f"start={start}: {found}")
        expect(await entries(journal.read(start=20)) == [], "start=20 of 20 yielded entries")
        expect(await entries(journal.read(start=10**9)) == [], "a far start yielded entries")


@_check
async def read_combined(open_journal: JournalOpener) -> None:
    """run_id, since, until and start filter together."""
    async with open_journal() as journal:
        await append_all(journal, [record(i, run=f"run-{i % 2}") for i in range(40)])
        found = offsets(
            await entries(journal.read(run_id="run-1", since=T0 + 10, until=T0 + 30, start=15))
        )
        expected = [i for i in range(15, 30) if i % 2 == 1]
        expect(found == expected, f"combined filter: {found} != {expected}")


@_check
async def read_order(open_journal: JournalOpener) -> None:
    """Entries come in offset order even when timestamps go backwards."""
    async with open_journal() as journal:
        stamps = [T0 + 9, T0 + 1, T0 + 5, T0 + 1, T0 + 0.5]
        await append_all(journal, [record(i, at=at) for i, at in enumerate(stamps)])
        found = await entries(journal.read())
        expect(offsets(found) == [0, 1, 2, 3, 4], f"order {offsets(found)}")
        ranged = offsets(await entries(journal.read(since=T0 + 1, until=T0 + 6)))
        expect(ranged == [1, 2, 3], f"time range out of offset order: {ranged}")


@_check
async def concurrent_appends(open_journal: JournalOpener) -> None:
    """Many trio tasks appending at once: no record lost, every offset unique."""
    tasks, each = 40, 25
    returned: dict[int, tuple[int, int]] = {}

    async with open_journal() as journal:

        async def writer(task: int) -> None:
            for n in range(each):
                offset = await journal.append(record(task * each + n, run=f"t{task}"))
                expect(offset not in returned, f"offset {offset} returned twice")
                returned[offset] = (task, n)

        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                for task in range(tasks):
                    nursery.start_soon(writer, task)
        total = tasks * each
        expect(sorted(returned) == list(range(total)), "offsets are not exactly 0..N-1")
        found = await entries(journal.read())
    expect(offsets(found) == list(range(total)), "read does not give every offset once")
    for entry in found:
        task, n = returned[entry.offset]
        expect(entry.record.payload == task * each + n, f"offset {entry.offset}: wrong record")
    for task in range(tasks):
        mine = [e.record.payload for e in found if e.record.run_id == f"t{task}"]
        expect(mine == [task * each + n for n in range(each)], f"t{task}'s records out of order")


@_check
async def persistence_across_reopen(open_journal: JournalOpener) -> None:
    """Records survive close and reopen; offsets continue after the last one."""
    first = [record(i, run="a") for i in range(10)]
    async with open_journal() as journal:
        await append_all(journal, first)
        await journal.flush()
    async with open_journal() as journal:
        found = await entries(journal.read())
        expect([e.record for e in found] == first, "records changed across reopen")
        offset = await journal.append(record(10, run="a"))
        expect(offset == 10, f"after reopen the next offset is {offset}, expected 10")
    async with open_journal() as journal:
        found = await entries(journal.read(run_id="a"))
        expect(offsets(found) == list(range(11)), f"second reopen: {offsets(found)}")


@_check
async def read_while_appending(open_journal: JournalOpener) -> None:
    """A reader runs while a writer appends: no error, offsets in order without gaps."""
    async with open_journal() as journal:
        await append_all(journal, [record(i) for i in range(50)])
        seen: list[int] = []

        async def writer() -> None:
            for i in range(50, 150):
                await journal.append(record(i))

        async def reader() -> None:
            async for entry in journal.read():
                seen.append(entry.offset)
                await trio.lowlevel.checkpoint()

        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(writer)
                nursery.start_soon(reader)
        expect(len(seen) >= 50, f"the reader saw {len(seen)} entries, 50 existed when it began")
        expect(seen == list(range(len(seen))), "the reader's offsets have gaps or repeats")
        found = offsets(await entries(journal.read()))
        expect(found == list(range(150)), "entries lost while reading")


@_check
async def closed_journal_raises(open_journal: JournalOpener) -> None:
    """After aclose, append, read and flush raise JournalClosed (a second aclose may too)."""
    finished = False
    try:
        async with open_journal() as journal:
            await journal.append(record(0))
            await journal.aclose()
            await _raises(JournalClosed, "append after aclose", lambda: journal.append(record(1)))
            await _raises(JournalClosed, "read after aclose", lambda: entries(journal.read()))
            await _raises(JournalClosed, "flush after aclose", journal.flush)
            finished = True
    except JournalClosed:
        if not finished:
            raise
    async with open_journal() as journal:
        expect(offsets(await entries(journal.read())) == [0], "a closed journal lost its record")


@_check
async def invalid_arguments(open_journal: JournalOpener) -> None:
    """Bad read arguments and non-records raise a clear error naming the argument."""
    async with open_journal() as journal:
        await journal.append(record(0))
        bad: list[tuple[str, dict[str, Any]]] = [
            ("start", {"start": -1}),
            ("start", {"start": "3"}),
            ("start", {"start": True}),
            ("since", {"since": T0 + 5, "until": T0 + 1}),
            ("run_id", {"run_id": 5}),
            ("since", {"since": "yesterday"}),
            ("until", {"until": float("nan")}),
        ]
        for name, kwargs in bad:
            await _bad_read(journal, name, kwargs)
        not_a_record: Any = {"channel": "input", "payload": "x"}
        refused = (InvalidRecord, TypeError)
        error = await _raises(refused, "append(dict)", lambda: journal.append(not_a_record))
        expect("MemoryRecord" in str(error), f"append(dict) error does not say what: {error}")
        expect(offsets(await entries(journal.read())) == [0], "a refused append left a record")


@_check
async def unencodable_payload(open_journal: JournalOpener) -> None:
    """A payload msgspec cannot encode raises InvalidRecord at $.payload; nothing is appended."""
    async with open_journal() as journal:
        await journal.append(record(0))
        bad = MemoryRecord(MemoryChannel.INPUT, {"x": object()})
        error = await _raises(InvalidRecord, "an unencodable payload", lambda: journal.append(bad))
        path = getattr(error, "path", None) or ""
        expect(path.startswith("$.payload"), f"error path {path!r} is not under $.payload")
        offset = await journal.append(record(1))
        expect(offset == 1, f"the refused append consumed an offset: next is {offset}")
    async with open_journal() as journal:
        found = await entries(journal.read())
        expect(offsets(found) == [0, 1], f"after reopen: {offsets(found)}")


async def _bad_read(journal: Journal, name: str, kwargs: dict[str, Any]) -> None:
    try:
        await entries(journal.read(**kwargs))
    except (ValueError, TypeError) as error:
        expect(name in str(error), f"read({kwargs}) error does not name {name!r}: {error}")
        return
    raise JournalConformanceFailure(f"read({kwargs}) did not raise")


async def _raises(
    kind: type[BaseException] | tuple[type[BaseException], ...],
    what: str,
    call: Callable[[], Awaitable[object]],
) -> BaseException:
    try:
        await call()
    except kind as error:
        return error
    except Exception as error:  # reported as the failure it is
        raise JournalConformanceFailure(f"{what}: expected {kind}, got {error!r}") from None
    raise JournalConformanceFailure(f"{what}: expected {kind}, nothing raised")
