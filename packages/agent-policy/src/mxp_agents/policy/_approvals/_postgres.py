"""`PostgresApprovalStore`: approvals in one PostgreSQL table, for deployments where agents and
deciders run on several machines. Same rules as the file store; decisions lock the row
(``SELECT ... FOR UPDATE``), so two deciders never both win."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, LiteralString, Self, TypeVar

import msgspec
import psycopg
import trio
from psycopg import sql

from mxp_agents.policy._approval_api import ApprovalRecord, ApprovalRequest, ApprovalStatus
from mxp_agents.policy._approvals._pg_conn import Dsn, Row, connect, raise_approval_error
from mxp_agents.policy._approvals._rules import (
    as_of,
    check_id,
    check_request,
    check_status,
    decided,
    positive,
    resubmitted,
)
from mxp_agents.policy._approvals._waiting import wait_until_decided
from mxp_agents.policy._errors import ApprovalError, InvalidPolicy

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from mxp_agents.config import Secret
    from mxp_agents.primitives import Clock

__all__ = ["PostgresApprovalStore"]

_T = TypeVar("_T")

_TABLE: Final = re.compile(r"[a-z_][a-z0-9_]{0,47}")
_COLUMNS: Final = "id, request, status, decided_by, decided_at, note"
_ALL_COLUMNS: Final = frozenset(
    ("id", "created", "deadline", "fingerprint", "request", "status", "decided_by", "decided_at")
) | {"note"}
_encode: Final = msgspec.json.Encoder().encode
_decode_request: Final = msgspec.json.Decoder(ApprovalRequest).decode
_DDL: Final[tuple[LiteralString, ...]] = (
    "CREATE TABLE IF NOT EXISTS {t} (id text PRIMARY KEY, created double precision NOT NULL,"
    " deadline double precision NOT NULL, fingerprint text NOT NULL, request text NOT NULL,"
    " status text NOT NULL, decided_by text, decided_at double precision, note text)",
    "CREATE INDEX IF NOT EXISTS {i} ON {t} (status, created)",
)
_WHERE: Final[dict[ApprovalStatus | None, LiteralString]] = {
    None: "TRUE",
    ApprovalStatus.PENDING: "status = 'pending' AND deadline > %(now)s",
    ApprovalStatus.EXPIRED: "status = 'expired' OR (status = 'pending' AND deadline <= %(now)s)",
    ApprovalStatus.APPROVED: "status = 'approved'",
    ApprovalStatus.DENIED: "status = 'denied'",
}


class PostgresApprovalStore:
    """An `ApprovalStore` in the PostgreSQL table ``table`` (created if missing): one row per
    approval, the request as JSON beside its status and decision. `decide` locks the row
    (``SELECT ... FOR UPDATE``); `wait` re-reads the row every ``poll_interval`` seconds until
    it is decided or its deadline passes (then records `EXPIRED`).

    ``dsn`` is a libpq string or URI, or a `Secret`; its password never appears in errors or
    reprs. One connection per store (opened on first use, reopened after a failure); calls
    on one store take turns, blocking work runs in a worker thread. Statements and row locks
    time out after ``statement_timeout`` seconds. Times come from ``clock``.

    Example:
        >>> async with PostgresApprovalStore(dsn, table="approvals") as store:  # doctest: +SKIP
        ...     record = await store.wait((await store.submit(request)).request.id)
    """

    def __init__(
        self,
        dsn: str | Secret,
        *,
        table: str = "mxp_approvals",
        clock: Clock | None = None,
        poll_interval: float = 0.1,
        connect_timeout: float = 10.0,
        statement_timeout: float = 30.0,
    ) -> None:
        from mxp_agents.primitives import SystemClock

        if not isinstance(table, str) or not _TABLE.fullmatch(table):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise InvalidPolicy(
                f"table must be 1-48 characters of a-z, 0-9 and _ (not starting with a digit), "
                f"got {table!r}",
                "$.table",
            )
        self._dsn = Dsn(dsn)
        self._table = table
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._poll = positive(poll_interval, "poll_interval")
        self._connect_timeout = positive(connect_timeout, "connect_timeout")
        self._statement_timeout = positive(statement_timeout, "statement_timeout")
        self._conn: psycopg.Connection[Row] | None = None
        self._lock = trio.Lock()
        self._sql = {
            "insert": self._q(
                "INSERT INTO {t} (id, created, deadline, fingerprint, request, status)"
                " VALUES (%s, %s, %s, %s, %s, 'pending') ON CONFLICT (id) DO NOTHING"
            ),
            "get": self._q(f"SELECT {_COLUMNS} FROM {{t}} WHERE id = %s"),
            "lock": self._q(f"SELECT {_COLUMNS} FROM {{t}} WHERE id = %s FOR UPDATE"),
            "update": self._q(
                "UPDATE {t} SET status = %s, decided_by = %s, decided_at = %s, note = %s"
                " WHERE id = %s"
            ),
        }

    def _q(self, text: LiteralString) -> sql.Composed:
        return sql.SQL(text).format(
            t=sql.Identifier(self._table), i=sql.Identifier(f"{self._table}_status_created")
        )

    @property
    def table(self) -> str:
        """The table's name.

        Example:
            >>> PostgresApprovalStore("host=db", table="approvals").table
            'approvals'
        """
        return self._table

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def _run(self, doing: str, work: Callable[[psycopg.Connection[Row]], _T]) -> _T:
        """Run ``work`` on the store's connection in a worker thread, one call at a time."""
        async with self._lock:
            return await trio.to_thread.run_sync(self._run_sync, doing, work)

    def _run_sync(self, doing: str, work: Callable[[psycopg.Connection[Row]], _T]) -> _T:
        if self._conn is None or self._conn.closed:
            conn = connect(
                self._dsn,
                connect_timeout=self._connect_timeout,
                statement_timeout=self._statement_timeout,
            )
            try:
                self._ensure_table(conn)
            except (psycopg.Error, OSError) as error:
                conn.close()
                raise_approval_error(self._dsn, error, f"cannot create table {self._table}")
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        conn = self._conn
        try:
            return work(conn)
        except (psycopg.Error, OSError) as error:
            if conn.broken or conn.closed:
                conn.close()
                self._conn = None  # reconnect on the next call
            raise_approval_error(self._dsn, error, f"{doing} (table {self._table})")

    def _ensure_table(self, conn: psycopg.Connection[Row]) -> None:
        with conn.transaction():
            key = f"mxp-agents-approvals:{self._table}"
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
            conn.execute(self._q(_DDL[0]))
            found = {
                str(row[0])
                for row in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
                    " AND table_schema = current_schema()",
                    (self._table,),
                )
            }
            missing = sorted(_ALL_COLUMNS - found)
            if missing:
                raise ApprovalError(
                    f"table {self._table} exists but is not an approvals table (no column "
                    f"{', '.join(missing)}); choose another table"
                )
            conn.execute(self._q(_DDL[1]))

    async def submit(self, request: ApprovalRequest) -> ApprovalRecord:
        """Store ``request`` as pending; the same request again returns its stored record,
        another request under a stored id is an `ApprovalError`.

        Example:
            >>> (await store.submit(request)).status  # doctest: +SKIP
            <ApprovalStatus.PENDING: 'pending'>
        """
        check_request(request)

        def work(conn: psycopg.Connection[Row]) -> ApprovalRecord | None:
            with conn.transaction():
                values = (request.id, request.created, request.deadline, request.fingerprint)
                conn.execute(self._sql["insert"], (*values, _encode(request).decode()))
                row = conn.execute(self._sql["get"], (request.id,)).fetchone()
            return _record(row) if row is not None else None

        stored = await self._run(f"cannot store approval {request.id!r}", work)
        if stored is None:
            raise ApprovalError(f"approval {request.id!r} vanished right after it was stored")
        return as_of(resubmitted(stored, request), self._now())

    async def get(self, approval_id: str) -> ApprovalRecord:
        """The approval as it stands now (`EXPIRED` once its deadline passed).

        Example:
            >>> (await store.get("appr-1")).status  # doctest: +SKIP
            <ApprovalStatus.PENDING: 'pending'>
        """
        return as_of(await self._read(approval_id), self._now())

    async def _read(self, approval_id: str) -> ApprovalRecord:
        check_id(approval_id)
        row = await self._run(
            f"cannot read approval {approval_id!r}",
            lambda conn: conn.execute(self._sql["get"], (approval_id,)).fetchone(),
        )
        if row is None:
            raise ApprovalError(f"no approval {approval_id!r} in table {self._table}")
        return _record(row)

    async def decide(
        self,
        approval_id: str,
        *,
        approve: bool,
        by: str,
        fingerprint: str,
        note: str | None = None,
    ) -> ApprovalRecord:
        """Approve or deny a pending approval bound to ``fingerprint`` (see `ApprovalStore`).

        Example:
            >>> await store.decide("a-1", approve=False, by="bob", fingerprint=fp)  # doctest: +SKIP
        """
        check_id(approval_id)

        def work(conn: psycopg.Connection[Row]) -> ApprovalRecord | ApprovalError:
            with conn.transaction():
                row = conn.execute(self._sql["lock"], (approval_id,)).fetchone()
                if row is None:
                    return ApprovalError(f"no approval {approval_id!r} in table {self._table}")
                stored = _record(row)
                now = self._now()
                current = as_of(stored, now)
                if current is not stored:
                    self._update(conn, current)  # the expiry is recorded even when refused
                try:
                    outcome = decided(
                        current, approve=approve, by=by, fingerprint=fingerprint, note=note, now=now
                    )
                except ApprovalError as refused:
                    return refused  # commit the expiry, then raise outside the transaction
                self._update(conn, outcome)
                return outcome

        result = await self._run(f"cannot decide approval {approval_id!r}", work)
        if isinstance(result, ApprovalError):
            raise result
        return result

    def _update(self, conn: psycopg.Connection[Row], record: ApprovalRecord) -> None:
        values = (record.status.value, record.decided_by, record.decided_at, record.note)
        conn.execute(self._sql["update"], (*values, record.request.id))

    async def wait(self, approval_id: str) -> ApprovalRecord:
        """The record once decided, or `EXPIRED` (recorded) at its deadline; cancel to stop
        waiting earlier.

        Example:
            >>> with trio.move_on_after(600):  # doctest: +SKIP
            ...     record = await store.wait("appr-1")
        """
        return await wait_until_decided(
            lambda: self._read(approval_id),
            lambda: self._expire(approval_id),
            now=self._now,
            poll=self._poll,
        )

    async def _expire(self, approval_id: str) -> ApprovalRecord:
        def work(conn: psycopg.Connection[Row]) -> ApprovalRecord:
            with conn.transaction():
                row = conn.execute(self._sql["lock"], (approval_id,)).fetchone()
                if row is None:
                    raise ApprovalError(f"approval {approval_id!r} vanished from {self._table}")
                stored = _record(row)
                current = as_of(stored, self._now())
                if current is not stored:
                    self._update(conn, current)
                return current

        return await self._run(f"cannot expire approval {approval_id!r}", work)

    async def aclose(self) -> None:
        """Close the connection (the next call reopens one).

        Example:
            >>> await store.aclose()  # doctest: +SKIP
        """
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await trio.to_thread.run_sync(conn.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with trio.CancelScope(shield=True):
            await self.aclose()

    def __repr__(self) -> str:
        return f"PostgresApprovalStore({self._dsn.where!r}, table={self._table!r})"

    async def list(self, status: ApprovalStatus | None = None) -> list[ApprovalRecord]:
        """Approvals as they stand now, oldest first (by created, then id), optionally only
        those with ``status``.

        Example:
            >>> [r.request.id for r in await store.list(ApprovalStatus.PENDING)]  # doctest: +SKIP
            ['appr-1']
        """
        wanted = check_status(status)
        now = self._now()
        query = self._q(f"SELECT {_COLUMNS} FROM {{t}} WHERE {_WHERE[wanted]} ORDER BY created, id")

        def work(conn: psycopg.Connection[Row]) -> Any:
            params = {"now": now} if "%(now)s" in _WHERE[wanted] else None
            return conn.execute(query, params).fetchall()

        rows: Any = await self._run("cannot list approvals", work)
        records = [as_of(_record(row), now) for row in rows]
        return [record for record in records if wanted is None or record.status is wanted]


def _record(row: Row) -> ApprovalRecord:
    approval_id, request, status, decided_by, decided_at, note = row
    try:
        parsed = _decode_request(str(request))
        record = ApprovalRecord(
            request=parsed,
            status=ApprovalStatus(status),
            decided_by=None if decided_by is None else str(decided_by),
            decided_at=None if decided_at is None else float(decided_at),  # pyright: ignore[reportArgumentType]
            note=None if note is None else str(note),
        )
    except (msgspec.DecodeError, ValueError, TypeError) as error:
        raise ApprovalError(f"approval row {approval_id!r} is damaged: {error}") from None
    if parsed.id != approval_id:
        raise ApprovalError(f"approval row {approval_id!r} holds approval {parsed.id!r}")
    return record
