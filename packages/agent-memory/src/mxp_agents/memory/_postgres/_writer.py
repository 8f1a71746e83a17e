"""The writer connection: the table's single-writer lock, inserts and commits, retention.

Every method blocks; the journal calls them from a worker thread, one at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import psycopg
from psycopg import sql

from mxp_agents.memory._errors import JournalError
from mxp_agents.memory._journal_api import Durability, Retention
from mxp_agents.memory._postgres._conn import Dsn, connect
from mxp_agents.memory._postgres._schema import Table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mxp_agents.memory._postgres._codec import Row

__all__ = ["Writer"]

_SCAN_PAGE: Final = 1000


class Writer:
    """The connection that appends to one table, holding the table's advisory lock.

    ``next_offset`` is the offset the next append gets, ``first_offset`` the oldest kept
    (None while the table is empty), ``stored_bytes`` the sum of the record sizes (counted
    only when a byte budget is set).
    """

    __slots__ = (
        "commits",
        "conn",
        "dsn",
        "first_offset",
        "next_offset",
        "stored_bytes",
        "table",
        "unsynced",
    )

    def __init__(
        self, dsn: Dsn, conn: psycopg.Connection[tuple[object, ...]], table: Table
    ) -> None:
        self.dsn = dsn
        self.conn = conn
        self.table = table
        self.next_offset = 0
        self.first_offset: int | None = None
        self.stored_bytes = 0
        self.commits = 0
        self.unsynced = False

    @classmethod
    def open(
        cls,
        dsn: Dsn,
        name: str,
        *,
        durability: Durability,
        count_bytes: bool,
        statement_timeout: float,
        connect_timeout: float,
    ) -> Writer:
        """Connect, take the table's writer lock, create or check the table, find its end."""
        conn = connect(dsn, autocommit=False, connect_timeout=connect_timeout)
        try:
            settings = {
                "statement_timeout": str(max(1, round(statement_timeout * 1000))),
                "synchronous_commit": "off" if durability is Durability.NONE else "on",
            }
            for key, value in settings.items():
                conn.execute("SELECT set_config(%s, %s, false)", (key, value))
            writer = cls(dsn, conn, Table(_current_schema(conn), name))
            writer._lock()
            writer.table.ensure(conn)
            low, high = conn.execute(
                sql.SQL('SELECT min("offset"), max("offset") FROM {}').format(writer.table.sql)
            ).fetchone() or (None, None)
            if isinstance(low, int) and isinstance(high, int):
                writer.first_offset, writer.next_offset = low, high + 1
            if count_bytes:
                total = _one(
                    conn,
                    sql.SQL("SELECT coalesce(sum(octet_length(record)), 0) FROM {}").format(
                        writer.table.sql
                    ),
                )
                writer.stored_bytes = int(total) if isinstance(total, int | float) else 0
            conn.commit()
            return writer
        except BaseException:
            conn.close()
            raise

    def _lock(self) -> None:
        if _one(self.conn, "SELECT pg_try_advisory_lock(%s)", (self.table.lock_key,)) is True:
            return
        query, params = self.table.lock_holder_query()
        holder = self.conn.execute(query, params).fetchone()
        who = (
            f"backend pid {holder[0]}, application {holder[1]!r}, client {holder[2]}"
            if holder
            else "a backend that just released it"
        )
        raise JournalError(
            f"journal table {self.table.label!r} already has a writer ({who}); a table takes "
            "one PostgresJournal at a time: close that one, or use another table"
        )

    def insert(self, first: int, rows: Sequence[Row]) -> None:
        """Insert ``rows`` at offsets ``first``, ``first + 1``, … and commit."""
        query = sql.SQL(
            'INSERT INTO {} ("offset", run_id, ts, channel, record, checksum)'
            " VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(self.table.sql)
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(query, [(first + i, *row) for i, row in enumerate(rows)])
            self.conn.commit()
        except BaseException:
            self._rollback()
            raise
        self.commits += 1

    def sync(self) -> None:
        """Wait until every commit so far is flushed to the server's disk.

        A transaction that takes an xid writes a commit record; committing it with
        synchronous_commit on waits for the WAL up to that record, and so for every
        asynchronous commit before it.
        """
        try:
            self.conn.execute("SET LOCAL synchronous_commit = on")
            self.conn.execute("SELECT txid_current()")
            self.conn.commit()
        except BaseException:
            self._rollback()
            raise
        self.commits += 1

    def trim(self, retention: Retention, now: float) -> tuple[int, int]:
        """Delete the oldest rows that ``retention`` no longer allows, never the newest one.

        Only a prefix of offsets goes: rows are scanned oldest first (by primary key) while
        one is older than ``max_age`` or the total exceeds ``max_bytes``. Returns (rows,
        bytes) deleted.
        """
        if self.first_offset is None or self.next_offset - self.first_offset < 2:
            return 0, 0
        cutoff = None if retention.max_age is None else now - retention.max_age
        budget = retention.max_bytes
        newest = self.next_offset - 1
        cut, freed = self.first_offset, 0
        scan = sql.SQL(
            'SELECT "offset", ts, octet_length(record) FROM {} WHERE "offset" >= %s'
            ' AND "offset" < %s ORDER BY "offset" LIMIT %s'
        ).format(self.table.sql)
        try:
            while cut < newest:
                rows = self.conn.execute(scan, (cut, newest, _SCAN_PAGE)).fetchall()
                for offset, ts, size in rows:
                    assert isinstance(offset, int)
                    assert isinstance(ts, float)
                    assert isinstance(size, int)
                    old = cutoff is not None and ts < cutoff
                    over = budget is not None and self.stored_bytes - freed > budget
                    if not (old or over):
                        break
                    cut, freed = offset + 1, freed + size
                else:
                    if len(rows) == _SCAN_PAGE:
                        continue
                break
            if cut == self.first_offset:
                self.conn.rollback()
                return 0, 0
            delete = sql.SQL('DELETE FROM {} WHERE "offset" < %s').format(self.table.sql)
            deleted = self.conn.execute(delete, (cut,)).rowcount
            self.conn.commit()
        except BaseException:
            self._rollback()
            raise
        self.commits += 1
        self.first_offset = cut
        self.stored_bytes -= freed
        return deleted, freed

    def close(self) -> None:
        self.conn.close()

    def _rollback(self) -> None:
        if not self.conn.closed and not self.conn.broken:
            try:
                self.conn.rollback()
            except psycopg.Error:
                self.conn.close()


def _one(
    conn: psycopg.Connection[tuple[object, ...]],
    query: str | sql.Composable,
    params: tuple[object, ...] = (),
) -> object:
    row = conn.execute(query, params).fetchone()  # pyright: ignore[reportArgumentType]
    return None if row is None else row[0]


def _current_schema(conn: psycopg.Connection[tuple[object, ...]]) -> str:
    schema = _one(conn, "SELECT current_schema()")
    if not isinstance(schema, str):
        raise JournalError("no schema to create the journal table in: the search_path is empty")
    return schema
