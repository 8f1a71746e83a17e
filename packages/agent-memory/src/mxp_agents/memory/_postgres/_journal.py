"""`PostgresJournal`: the episodic journal in a PostgreSQL table, with group commit."""

from __future__ import annotations

import logging
import math
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import trio

from mxp_agents.config import Secret
from mxp_agents.memory._closing import ClosesOnExit
from mxp_agents.memory._errors import InvalidRecord, JournalClosed, JournalError
from mxp_agents.memory._journal_api import Durability, JournalEntry, Retention
from mxp_agents.memory._postgres._codec import Row, encode_record, read_filters
from mxp_agents.memory._postgres._conn import Dsn, guarded
from mxp_agents.memory._postgres._options import Options
from mxp_agents.memory._postgres._readers import ReaderPool
from mxp_agents.memory._postgres._schema import check_table_name
from mxp_agents.memory._postgres._writer import Writer

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from mxp_agents.memory._record import MemoryRecord

__all__ = ["PostgresJournal"]

_log: Final = logging.getLogger("mxp_agents.memory.postgres")
_MAX_BATCH: Final = 1000  # rows per transaction; the rest wait for the next one


class _Pending:
    __slots__ = ("enqueued", "error", "offset", "row", "taken")

    def __init__(self, row: Row) -> None:
        self.row = row
        self.enqueued = trio.current_time()
        self.taken = False
        self.offset: int | None = None
        self.error: str | None = None


class PostgresJournal(ClosesOnExit):
    """The `Journal` in one PostgreSQL table: one row per record, offsets as the primary key.

    Open it with `open` (or `opened`, an async context manager). One journal writes a table at
    a time (a session advisory lock; a second writer is refused), so offsets are assigned in
    the process, from the table's last offset, without gaps. ``durability``: ``ALWAYS``
    commits each append with ``synchronous_commit=on``; ``BATCH`` gathers concurrent appends
    into one transaction started at most ``batch_delay`` seconds after the first; ``NONE``
    batches too and commits with ``synchronous_commit=off``. Rows carry an xxh3_64 checksum
    checked on every read. ``retention`` deletes the oldest rows (checked after appends, at
    most every ``retention_interval`` seconds for age, and by `apply_retention`). Errors are
    `JournalError`s that never show the DSN's password.

    Example:
        >>> async with PostgresJournal.opened("postgresql://app@db/agents") as journal:
        ...     offset = await journal.append(MemoryRecord(MemoryChannel.INPUT, "hi", run_id="r"))
        ...     [e.record.payload async for e in journal.read(run_id="r")]
        ['hi']
    """

    def __init__(self, writer: Writer, dsn: Dsn, options: Options) -> None:
        """Use `open`: this takes an already opened writer."""
        self._writer = writer
        self._dsn = dsn
        self._options = options
        self._threads = trio.CapacityLimiter(1 + options.max_readers)
        self._readers = ReaderPool(dsn, options.max_readers, self._threads, options.connect_timeout)
        self._write_lock = trio.Lock()
        self._pending: list[_Pending] = []
        self._closing = False
        self._closed = False
        self._next_age_check = -math.inf

    @classmethod
    async def open(
        cls,
        dsn: str | Secret,
        *,
        table: str = "mxp_journal",
        durability: Durability = Durability.BATCH,
        retention: Retention | None = None,
        batch_delay: float = 0.002,
        retention_interval: float = 60.0,
        max_readers: int = 4,
        connect_timeout: float = 10.0,
        statement_timeout: float = 30.0,
    ) -> PostgresJournal:
        """Connect, create the table if missing (or check its shape) and take its writer lock.

        Example:
            >>> journal = await PostgresJournal.open(dsn, table="agent_one")
            >>> journal.durability
            <Durability.BATCH: 'batch'>
        """
        name = check_table_name(table)
        options = Options.checked(
            durability=durability,
            retention=Retention() if retention is None else retention,
            batch_delay=batch_delay,
            retention_interval=retention_interval,
            max_readers=max_readers,
            connect_timeout=connect_timeout,
            statement_timeout=statement_timeout,
        )
        if isinstance(dsn, Secret):
            dsn = dsn.reveal()
        if not isinstance(dsn, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidRecord(f"dsn must be a str or Secret, got {type(dsn).__name__}", "$.dsn")
        private = Dsn(dsn)
        writer = await trio.to_thread.run_sync(
            lambda: Writer.open(
                private,
                name,
                durability=options.durability,
                count_bytes=options.retention.max_bytes is not None,
                statement_timeout=options.statement_timeout,
                connect_timeout=options.connect_timeout,
            )
        )
        journal = cls(writer, private, options)
        _log.debug("opened journal %s at %s", writer.table.label, private.where)
        try:
            await journal.apply_retention()
        except BaseException:
            await journal.aclose()
            raise
        return journal

    @classmethod
    @asynccontextmanager
    async def opened(
        cls, dsn: str | Secret, **options: object
    ) -> AsyncGenerator[PostgresJournal, None]:
        """`open` as an async context manager that closes the journal on exit.

        Example:
            >>> async with PostgresJournal.opened(dsn, durability=Durability.ALWAYS) as j:
            ...     await j.append(MemoryRecord(MemoryChannel.SYSTEM, "started"))
            0
        """
        journal = await cls.open(dsn, **options)  # pyright: ignore[reportArgumentType]
        async with journal:
            yield journal

    @property
    def durability(self) -> Durability:
        """The journal's durability mode."""
        return self._options.durability

    @property
    def table(self) -> str:
        """The table, schema-qualified unless it is in ``public``."""
        return self._writer.table.label

    @property
    def commits(self) -> int:
        """Transactions this journal's writer committed (appends, syncs, retention)."""
        return self._writer.commits

    async def append(self, record: MemoryRecord) -> int:
        """Append ``record``; return its offset once committed as ``durability`` promises.

        Cancelled before its transaction began, nothing is written; after, it is.

        Example:
            >>> await journal.append(MemoryRecord(MemoryChannel.OUTPUT, "5", run_id="r1"))
            7
        """
        row = encode_record(record)
        self._check_open()
        item = _Pending(row)
        self._pending.append(item)
        try:
            async with self._write_lock:
                if item.offset is None and item.error is None:
                    self._check_open(closed_only=True)
                    await self._commit_pending(item)
        except BaseException:
            if not item.taken:
                self._pending.remove(item)
            raise
        if item.error is not None:
            raise JournalError(item.error)
        assert item.offset is not None
        return item.offset

    async def _commit_pending(self, leader: _Pending | None) -> None:
        """Commit pending appends (holding the write lock); ``leader`` None: all, now."""
        mode = self._options.durability
        if leader is not None and mode is Durability.BATCH and self._pending:
            await trio.sleep_until(self._pending[0].enqueued + self._options.batch_delay)
        while self._pending:
            if leader is not None and mode is Durability.ALWAYS:
                batch = [leader]
                self._pending.remove(leader)
            else:
                batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
            await self._insert(batch)
            if leader is not None and leader in batch:
                break
        if self._retention_due():
            try:
                await self.apply_retention(_locked=True)
            except JournalError as error:  # the appends are committed; retention retries later
                _log.warning("retention failed on %s: %s", self.table, error)

    async def _insert(self, batch: list[_Pending]) -> None:
        for item in batch:
            item.taken = True
        writer = await self._live_writer(batch)
        if writer is None:
            return
        first = writer.next_offset
        rows = [item.row for item in batch]
        doing = f"appending {len(rows)} record(s) to {self.table!r}"
        try:
            await trio.to_thread.run_sync(
                lambda: guarded(self._dsn, doing, lambda: writer.insert(first, rows)),
                limiter=self._threads,
            )
        except JournalError as error:
            for item in batch:
                item.error = str(error)
            return
        writer.next_offset = first + len(batch)
        if writer.first_offset is None:
            writer.first_offset = first
        writer.stored_bytes += sum(len(row[3]) for row in rows)
        writer.unsynced = self._options.durability is Durability.NONE
        for index, item in enumerate(batch):
            item.offset = first + index

    async def _live_writer(self, batch: list[_Pending]) -> Writer | None:
        """The writer, reconnected (retaking the lock) if its connection broke."""
        writer = self._writer
        if not (writer.conn.closed or writer.conn.broken):
            return writer
        options, name = self._options, writer.table.name
        try:
            fresh = await trio.to_thread.run_sync(
                lambda: Writer.open(
                    self._dsn,
                    name,
                    durability=options.durability,
                    count_bytes=options.retention.max_bytes is not None,
                    statement_timeout=options.statement_timeout,
                    connect_timeout=options.connect_timeout,
                ),
                limiter=self._threads,
            )
        except JournalError as error:
            for item in batch:
                item.error = f"the writer connection was lost and reconnecting failed: {error}"
            return None
        fresh.commits = writer.commits
        self._writer = fresh
        return fresh

    def read(
        self,
        *,
        run_id: str | None = None,
        since: float | None = None,
        until: float | None = None,
        start: int = 0,
    ) -> AsyncIterator[JournalEntry]:
        """Entries committed when the read begins, from offset ``start`` on, in offset order.

        ``run_id`` reads through the (run_id, offset) index, ``since <= timestamp < until``
        through the ts index. A damaged row raises `JournalCorrupted` after the rows before it.

        Example:
            >>> [e.offset async for e in journal.read(run_id="r1", since=t0)]
            [3, 7]
        """
        filters = read_filters(run_id, since, until, start)
        return self._readers.entries(lambda: self._writer, self._check_open, *filters)

    async def flush(self) -> None:
        """Commit pending appends now and wait until every commit is on the server's disk.

        Example:
            >>> await journal.flush()
        """
        self._check_open()
        async with self._write_lock:
            self._check_open()
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        await self._commit_pending(None)
        writer = self._writer
        if writer.unsynced and not (writer.conn.closed or writer.conn.broken):
            await trio.to_thread.run_sync(
                lambda: guarded(self._dsn, f"flushing {self.table!r}", writer.sync),
                limiter=self._threads,
            )
            writer.unsynced = False

    async def apply_retention(self, *, _locked: bool = False) -> int:
        """Delete the oldest records ``retention`` no longer allows; returns how many.

        Example:
            >>> await journal.apply_retention()
            120
        """
        retention = self._options.retention
        if retention.max_bytes is None and retention.max_age is None:
            return 0
        if not _locked:
            self._check_open()
            async with self._write_lock:
                return await self.apply_retention(_locked=True)
        writer = self._writer
        self._next_age_check = trio.current_time() + self._options.retention_interval
        rows, freed = await trio.to_thread.run_sync(
            lambda: guarded(
                self._dsn,
                f"applying retention to {self.table!r}",
                lambda: writer.trim(retention, time.time()),
            ),
            limiter=self._threads,
        )
        if rows:
            _log.info("retention removed %d record(s), %d bytes, from %s", rows, freed, self.table)
        return rows

    def _retention_due(self) -> bool:
        retention, writer = self._options.retention, self._writer
        if retention.max_bytes is not None and writer.stored_bytes > retention.max_bytes:
            return True
        return retention.max_age is not None and trio.current_time() >= self._next_age_check

    async def aclose(self) -> None:
        """Commit pending appends, flush, and close the connections (a second call does nothing).

        Example:
            >>> await journal.aclose()
        """
        if self._closing:
            return
        self._closing = True
        try:
            async with self._write_lock:
                await self._flush_locked()
        finally:
            self._closed = True
            with trio.CancelScope(shield=True):
                await self._readers.aclose()
                await trio.to_thread.run_sync(self._writer.close, limiter=self._threads)

    def _check_open(self, *, closed_only: bool = False) -> None:
        if self._closed if closed_only else self._closing:
            raise JournalClosed(f"journal {self.table!r} is closed")

    def __repr__(self) -> str:
        state = "closed" if self._closing else "open"
        return (
            f"PostgresJournal(table={self.table!r}, at={self._dsn.where!r}, "
            f"durability={self.durability.value!r}, {state})"
        )
