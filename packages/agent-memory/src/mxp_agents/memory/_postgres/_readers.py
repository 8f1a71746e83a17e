"""Reads: a small pool of connections, each running one query at a time, and the paged read
that turns rows into checked entries."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import psycopg
import trio

from mxp_agents.memory._errors import JournalClosed, JournalCorrupted
from mxp_agents.memory._postgres._codec import decode_row
from mxp_agents.memory._postgres._conn import Dsn, connect, guarded
from mxp_agents.memory._postgres._queries import PAGE, bounds_query, page_query, query_params

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable

    from psycopg import sql

    from mxp_agents.memory._journal_api import JournalEntry
    from mxp_agents.memory._postgres._schema import Table
    from mxp_agents.memory._postgres._writer import Writer

__all__ = ["ReaderPool"]

Connection = psycopg.Connection[tuple[object, ...]]


class ReaderPool:
    """At most ``size`` autocommit connections for reads, opened on demand and reused."""

    __slots__ = ("_closed", "_connect_timeout", "_dsn", "_idle", "_slots", "_threads")

    def __init__(
        self, dsn: Dsn, size: int, threads: trio.CapacityLimiter, connect_timeout: float
    ) -> None:
        self._dsn = dsn
        self._slots = trio.CapacityLimiter(size)
        self._threads = threads
        self._idle: list[Connection] = []
        self._connect_timeout = connect_timeout
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncGenerator[Connection, None]:
        """A connection for one query; it goes back to the pool unless it broke."""
        async with self._slots:
            if self._closed:
                raise JournalClosed("the journal is closed")
            if self._idle:
                conn = self._idle.pop()
            else:
                dsn, timeout = self._dsn, self._connect_timeout
                conn = await trio.to_thread.run_sync(
                    lambda: connect(dsn, autocommit=True, connect_timeout=timeout),
                    limiter=self._threads,
                )
            try:
                yield conn
            finally:
                if self._closed or conn.closed or conn.broken:
                    with trio.CancelScope(shield=True):  # closing is quick, and must happen
                        await trio.to_thread.run_sync(conn.close, limiter=self._threads)
                else:
                    self._idle.append(conn)

    async def entries(
        self,
        current: Callable[[], Writer],
        check_open: Callable[[], None],
        run_id: str | None,
        since: float | None,
        until: float | None,
        start: int,
    ) -> AsyncIterator[JournalEntry]:
        """The rows committed when the read begins, checked, as entries (see Journal.read)."""
        check_open()
        table = current().table
        low, high = start, current().next_offset - 1
        if low > high:
            return
        if since is not None or until is not None:
            bounds = await self._fetch(
                table,
                bounds_query(table, run_id, since, until),
                query_params(run_id, since, until, low, high),
            )
            found_low, found_high = bounds[0]
            if not isinstance(found_low, int) or not isinstance(found_high, int):
                return
            low, high = found_low, found_high
        query = page_query(table, run_id, since, until)
        unfiltered = run_id is None and since is None and until is None
        previous: int | None = None
        while low <= high:
            rows = await self._fetch(table, query, query_params(run_id, since, until, low, high))
            for row in rows:
                entry = decode_row(table.label, *row)  # pyright: ignore[reportArgumentType]
                if unfiltered and previous is not None:
                    _check_gap(table, current().first_offset, previous, entry.offset)
                previous = entry.offset
                yield entry
            if len(rows) < PAGE:
                return
            low = int(rows[-1][0]) + 1  # pyright: ignore[reportArgumentType]

    async def aclose(self) -> None:
        """Close the idle connections; the ones in use close when their query ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await trio.to_thread.run_sync(conn.close, limiter=self._threads)

    async def _fetch(
        self, table: Table, query: sql.Composed, params: dict[str, object]
    ) -> list[tuple[object, ...]]:
        doing = f"reading {table.label!r}"
        async with self.connection() as conn:
            return await trio.to_thread.run_sync(
                lambda: guarded(self._dsn, doing, lambda: conn.execute(query, params).fetchall()),
                limiter=self._threads,
            )


def _check_gap(table: Table, first_kept: int | None, previous: int, offset: int) -> None:
    expected = max(previous + 1, first_kept or 0)
    if offset > expected:
        raise JournalCorrupted(
            f"offsets {expected}..{offset - 1} are missing (deleted outside retention)",
            f"{table.label}@offset {expected}",
        )
