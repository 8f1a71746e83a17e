"""PostgresJournal beyond the conformance suite: durability modes, group commit, retention,
damage detection, the single-writer rule, reconnecting, options and secrets."""

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import trio

from mxp_agents.config import Secret
from mxp_agents.memory import (
    Durability,
    InvalidRecord,
    JournalCorrupted,
    JournalError,
    MemoryChannel,
    MemoryRecord,
    PostgresJournal,
    Retention,
)
from mxp_agents.memory._postgres._queries import bounds_query, page_query, query_params
from mxp_agents.memory._postgres._schema import Table
from mxp_agents.memory.testing import TemporaryPostgres

T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    # No skip when PostgreSQL is missing: TemporaryPostgres raises, saying how to install it.
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture
def table() -> str:
    return f"journal_{uuid.uuid4().hex[:12]}"


def rec(n: int, *, run: str | None = "r", at: float | None = None, size: int = 0) -> MemoryRecord:
    payload: Any = n if size == 0 else {"n": n, "pad": "x" * size}
    return MemoryRecord(
        MemoryChannel.INPUT, payload, run_id=run, timestamp=T0 + n if at is None else at
    )


async def sql(server: TemporaryPostgres, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    def run() -> list[Any]:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            cursor = conn.execute(query, params)  # pyright: ignore[reportArgumentType]
            return cursor.fetchall() if cursor.description else []

    return await trio.to_thread.run_sync(run)


async def read_all(journal: PostgresJournal, **filters: Any) -> list[int]:
    return [entry.offset async for entry in journal.read(**filters)]


# -- durability and group commit ---------------------------------------------------------------


async def concurrent_appends(journal: PostgresJournal, count: int) -> list[int]:
    offsets: list[int] = []

    async def one(n: int) -> None:
        offsets.append(await journal.append(rec(n)))

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for n in range(count):
                nursery.start_soon(one, n)
    return sorted(offsets)


async def test_batch_gathers_concurrent_appends_into_few_transactions(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with PostgresJournal.opened(postgres.dsn, table=table, batch_delay=0.05) as journal:
        before = journal.commits
        assert await concurrent_appends(journal, 60) == list(range(60))
        commits = journal.commits - before
    # The server's own count: rows written by one transaction share its xmin.
    [(transactions,)] = await sql(postgres, f"SELECT count(DISTINCT xmin::text) FROM {table}")
    assert transactions == commits
    assert commits <= 3, f"60 concurrent appends took {commits} transactions"


async def test_always_commits_each_append_on_its_own(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with PostgresJournal.opened(
        postgres.dsn, table=table, durability=Durability.ALWAYS
    ) as journal:
        before = journal.commits
        assert await concurrent_appends(journal, 30) == list(range(30))
        assert journal.commits - before == 30
        setting = journal._writer.conn.execute("SHOW synchronous_commit").fetchone()
        assert setting == ("on",)
    [(transactions,)] = await sql(postgres, f"SELECT count(DISTINCT xmin::text) FROM {table}")
    assert transactions == 30


async def test_none_commits_asynchronously_and_flush_syncs(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with PostgresJournal.opened(
        postgres.dsn, table=table, durability=Durability.NONE
    ) as journal:
        assert journal._writer.conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
        assert await concurrent_appends(journal, 20) == list(range(20))
        before = journal.commits
        await journal.flush()  # one synchronous commit that waits for the WAL of all before it
        assert journal.commits == before + 1
        await journal.flush()  # nothing new to sync
        assert journal.commits == before + 1
    assert await sql(postgres, f"SELECT count(*) FROM {table}") == [(20,)]


async def test_append_cancelled_while_waiting_for_its_batch_writes_nothing(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with PostgresJournal.opened(postgres.dsn, table=table, batch_delay=0.5) as journal:
        with trio.move_on_after(0.05) as scope:
            await journal.append(rec(0))
        assert scope.cancelled_caught
        await journal.flush()
        assert await read_all(journal) == []
        async with trio.open_nursery() as nursery:  # the next batch leader is another task
            nursery.start_soon(journal.append, rec(1))
            nursery.start_soon(journal.flush)
        assert await read_all(journal) == [0]


# -- retention ----------------------------------------------------------------------------------


async def test_retention_by_bytes_keeps_the_newest_suffix(
    postgres: TemporaryPostgres, table: str
) -> None:
    budget = 4_000
    async with PostgresJournal.opened(
        postgres.dsn, table=table, retention=Retention(max_bytes=budget)
    ) as journal:
        for n in range(60):
            await journal.append(rec(n, size=200))
        [(stored, low, high)] = await sql(
            postgres,
            f'SELECT sum(octet_length(record)), min("offset"), max("offset") FROM {table}',
        )
        assert stored <= budget
        assert stored > budget - 300  # no more than one record under the budget
        assert high == 59
        assert await read_all(journal) == list(range(low, 60))
    async with PostgresJournal.opened(
        postgres.dsn, table=table, retention=Retention(max_bytes=1)
    ) as journal:  # a budget below one record: the newest stays, offsets go on
        assert await read_all(journal) == [59]
        assert await journal.append(rec(60)) == 60


async def test_retention_by_age_removes_the_old_prefix(
    postgres: TemporaryPostgres, table: str
) -> None:
    now = time.time()
    stamps = [now - 5000, now - 4000, now - 3000, now - 10, now - 4500, now - 5]
    async with PostgresJournal.opened(postgres.dsn, table=table) as journal:
        for n, at in enumerate(stamps):
            await journal.append(rec(n, at=at))
    retention = Retention(max_age=3600)
    async with PostgresJournal.opened(postgres.dsn, table=table, retention=retention) as journal:
        # applied at open: offsets 0 and 1 are too old; 2 is young; 4 (old) stays behind 3
        assert await read_all(journal) == [2, 3, 4, 5]
        assert await journal.apply_retention() == 0
        assert await journal.append(rec(6, at=now)) == 6
        assert await read_all(journal, start=0) == [2, 3, 4, 5, 6]


async def test_retention_by_age_keeps_the_newest_record(
    postgres: TemporaryPostgres, table: str
) -> None:
    retention = Retention(max_age=60)
    async with PostgresJournal.opened(
        postgres.dsn, table=table, retention=retention, retention_interval=0
    ) as journal:
        for n in range(5):
            await journal.append(rec(n, at=time.time() - 1000))  # each append checks age
        assert await read_all(journal) == [4]
        assert await journal.append(rec(5)) == 5


# -- damage -------------------------------------------------------------------------------------


async def filled(postgres: TemporaryPostgres, table: str, count: int = 6) -> None:
    async with PostgresJournal.opened(postgres.dsn, table=table, durability="none") as journal:
        for first in range(0, count, 200):  # in order, 200 at a time
            async with trio.open_nursery() as nursery:
                for n in range(first, min(first + 200, count)):
                    nursery.start_soon(journal.append, rec(n))
                    await trio.lowlevel.checkpoint()


async def read_until_damage(postgres: TemporaryPostgres, table: str) -> tuple[list[int], str]:
    seen: list[int] = []

    async def collect(journal: PostgresJournal) -> None:
        async for entry in journal.read():
            seen.append(entry.offset)

    async with PostgresJournal.opened(postgres.dsn, table=table) as journal:
        with pytest.raises(JournalCorrupted) as caught:
            await collect(journal)
    return seen, str(caught.value)


async def test_a_changed_record_fails_its_checksum(postgres: TemporaryPostgres, table: str) -> None:
    await filled(postgres, table)
    await sql(
        postgres,
        f"UPDATE {table} SET record = set_byte(record, 3, get_byte(record, 3) # 1)"
        ' WHERE "offset" = 3',
    )
    seen, message = await read_until_damage(postgres, table)
    assert seen == [0, 1, 2]
    assert f"{table}@offset 3" in message
    assert "checksum mismatch" in message


async def test_damage_with_a_matching_checksum_is_still_found(
    postgres: TemporaryPostgres, table: str
) -> None:
    await filled(postgres, table)
    await sql(postgres, f"UPDATE {table} SET run_id = 'other' WHERE \"offset\" = 2")
    seen, message = await read_until_damage(postgres, table)
    assert (seen, "disagree with the record" in message) == ([0, 1], True)


async def test_rows_deleted_outside_retention_are_reported(
    postgres: TemporaryPostgres, table: str
) -> None:
    await filled(postgres, table)
    await sql(postgres, f'DELETE FROM {table} WHERE "offset" IN (3, 4)')
    seen, message = await read_until_damage(postgres, table)
    assert seen == [0, 1, 2]
    assert f"{table}@offset 3" in message
    assert "offsets 3..4 are missing" in message


# -- the table ----------------------------------------------------------------------------------


async def test_a_second_writer_is_refused(postgres: TemporaryPostgres, table: str) -> None:
    async with PostgresJournal.opened(postgres.dsn, table=table) as first:
        await first.append(rec(0))
        with pytest.raises(JournalError, match="already has a writer") as caught:
            await PostgresJournal.open(postgres.dsn, table=table)
        assert "backend pid" in str(caught.value)
        assert "mxp-agents-journal" in str(caught.value)
    async with PostgresJournal.opened(postgres.dsn, table=table) as second:
        assert await second.append(rec(1)) == 1


async def test_a_table_of_another_shape_is_refused(postgres: TemporaryPostgres, table: str) -> None:
    await sql(postgres, f'CREATE TABLE {table} ("offset" bigint PRIMARY KEY, body text)')
    with pytest.raises(JournalError, match="is not an mxp-agents journal") as caught:
        await PostgresJournal.open(postgres.dsn, table=table)
    assert "found (offset bigint not null, body text)" in str(caught.value)


async def test_a_newer_schema_version_is_refused(postgres: TemporaryPostgres, table: str) -> None:
    await filled(postgres, table, 1)
    await sql(postgres, f"COMMENT ON TABLE {table} IS 'mxp-agents journal, schema 2'")
    with pytest.raises(JournalError, match="holds journal schema 2"):
        await PostgresJournal.open(postgres.dsn, table=table)


async def test_reads_use_the_indexes(postgres: TemporaryPostgres, table: str) -> None:
    async with PostgresJournal.opened(postgres.dsn, table=table, durability="none") as journal:
        for start in range(0, 4000, 500):
            async with trio.open_nursery() as nursery:
                for n in range(start, start + 500):
                    nursery.start_soon(journal.append, rec(n, run=f"run-{n % 200}"))
    await sql(postgres, f"ANALYZE {table}")
    target = Table("public", table)
    cases = [("run-7", None, None), (None, T0 + 100, T0 + 120), ("run-7", T0 + 100, T0 + 900)]
    for run_id, since, until in cases:
        params = query_params(run_id, since, until, 0, 3999)
        for query in (
            page_query(target, run_id, since, until),
            bounds_query(target, run_id, since, until),
        ):

            def explain(query: Any = query) -> str:
                with psycopg.connect(postgres.dsn) as conn:
                    rows = conn.execute(b"EXPLAIN " + query.as_bytes(conn), params).fetchall()
                return "\n".join(str(row[0]) for row in rows)

            plan = await trio.to_thread.run_sync(explain)
            assert "Seq Scan" not in plan, plan


async def test_lost_writer_connection_fails_one_append_then_reconnects(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with PostgresJournal.opened(postgres.dsn, table=table) as journal:
        assert await journal.append(rec(0)) == 0
        pid = journal._writer.conn.info.backend_pid
        await sql(postgres, "SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(JournalError, match="appending 1 record"):
            await journal.append(rec(1))
        assert await journal.append(rec(2)) == 1
        assert [e.record.payload async for e in journal.read()] == [0, 2]


async def test_many_concurrent_reads_share_few_connections(
    postgres: TemporaryPostgres, table: str
) -> None:
    await filled(postgres, table, 1200)  # more than two pages
    async with PostgresJournal.opened(postgres.dsn, table=table, max_readers=1) as journal:
        results: list[list[int]] = []

        async def reader() -> None:
            results.append(await read_all(journal))

        with trio.fail_after(30):
            async with trio.open_nursery() as nursery:
                for _ in range(4):
                    nursery.start_soon(reader)
    assert results == [list(range(1200))] * 4


# -- options and secrets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"table": "Bad-Name"}, "$.table"),
        ({"table": "1journal"}, "$.table"),
        ({"table": "x" * 49}, "$.table"),
        ({"table": 7}, "$.table"),
        ({"durability": "sometimes"}, "$.durability"),
        ({"batch_delay": -0.1}, "$.batch_delay"),
        ({"batch_delay": 5}, "$.batch_delay"),
        ({"max_readers": 0}, "$.max_readers"),
        ({"retention": {"max_bytes": 5}}, "$.retention"),
        ({"connect_timeout": float("nan")}, "$.connect_timeout"),
    ],
)
async def test_bad_options_are_refused_before_connecting(
    options: dict[str, Any], path: str
) -> None:
    with pytest.raises(InvalidRecord) as caught:
        await PostgresJournal.open("host=127.0.0.1 port=1", **options)
    assert caught.value.path == path


def wrong_password_dsns(server: TemporaryPostgres, password: str) -> list[str]:
    return [
        f"host=127.0.0.1 port={server.port} user=postgres password={password} dbname=postgres",
        f"host=127.0.0.1 port={server.port} user=postgres password='{password}' dbname=postgres",
        f"postgresql://postgres:{password}@127.0.0.1:{server.port}/postgres",
        f"postgresql://127.0.0.1:{server.port}/postgres?user=postgres&password={password}",
        f"host=127.0.0.1 port={server.port} password={password} nonsense",  # malformed DSNs
        f"host=127.0.0.1 port={server.port} user=postgres {password}",
        f"host=127.0.0.1 port={server.port} password={password} sslmode=bogus",
    ]


async def test_the_password_never_shows(
    postgres: TemporaryPostgres, table: str, caplog: pytest.LogCaptureFixture
) -> None:
    password = "hunter2-" + uuid.uuid4().hex
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    for dsn in wrong_password_dsns(postgres, password):
        with pytest.raises(JournalError) as caught:
            await PostgresJournal.open(dsn, table=table)
        error = caught.value
        messages.append(str(error))
        assert password not in str(error)
        assert password not in repr(error)
        assert error.__cause__ is None
        assert error.__suppress_context__  # the psycopg error is not printed with it
    assert "password authentication failed" in messages[0]
    assert "cannot connect to PostgreSQL at postgres@127.0.0.1" in messages[0]
    assert 'missing "=" after "…"' in messages[5]  # libpq quoted the password; masked
    assert password not in caplog.text
    assert all(password not in str(record.args) for record in caplog.records)


async def test_a_good_connection_hides_its_password_too(
    postgres: TemporaryPostgres, table: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with PostgresJournal.opened(Secret(postgres.dsn), table=table) as journal:
        assert postgres.password not in repr(journal)
        assert f"postgres@127.0.0.1:{postgres.port}/postgres" in repr(journal)
        await journal.append(rec(0))
    assert postgres.password not in caplog.text
    assert postgres.password not in repr(postgres)


def test_missing_server_binaries_say_how_to_install(tmp_path: Any) -> None:
    from mxp_agents.memory.testing import TemporaryPostgresError

    with pytest.raises(TemporaryPostgresError, match=r"apt-get install postgresql"):
        TemporaryPostgres(bin_dir=tmp_path)
