"""PostgresApprovalStore against a real server: the conformance suite, its table, a waiter in
one connection seeing a decision made in another, secrets kept out of errors, bad options."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import trio

from mxp_agents.config import Secret
from mxp_agents.policy import (
    ApprovalError,
    ApprovalRequest,
    ApprovalStatus,
    InvalidPolicy,
    InvokeTool,
    fingerprint,
)
from mxp_agents.policy._approvals import ApprovalSettings, open_approval_store
from mxp_agents.policy._approvals._postgres import PostgresApprovalStore
from mxp_agents.policy.testing import approval_check_names, run_approval_check
from mxp_agents.primitives import Clock
from mxp_agents.primitives.testing import TemporaryPostgres


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    # No skip when PostgreSQL is missing: TemporaryPostgres raises, saying how to install it.
    with TemporaryPostgres(fsync=False) as server:
        yield server


@pytest.fixture
def table() -> str:
    return f"approvals_{uuid.uuid4().hex[:12]}"


async def sql(server: TemporaryPostgres, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    def run() -> list[Any]:
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            cursor = conn.execute(query, params)  # pyright: ignore[reportArgumentType]
            return cursor.fetchall() if cursor.description else []

    return await trio.to_thread.run_sync(run)


def pay(approval_id: str = "pay-1", *, ttl: float = 60.0) -> ApprovalRequest:
    action = InvokeTool("pay", arguments={"amount": 120})
    now = time.time()
    return ApprovalRequest(
        id=approval_id,
        agent_id="agent-1",
        action=action,
        fingerprint=fingerprint("agent-1", action),
        reason="payments over 100 need finance",
        created=now,
        deadline=now + ttl,
    )


@pytest.mark.parametrize("name", approval_check_names())
async def test_postgres_store_conformance(
    name: str, postgres: TemporaryPostgres, table: str
) -> None:
    def open_store(clock: Clock) -> PostgresApprovalStore:
        return PostgresApprovalStore(postgres.dsn, table=table, clock=clock, poll_interval=0.01)

    await run_approval_check(name, open_store)


async def test_one_row_per_approval_with_its_decision(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with PostgresApprovalStore(Secret(postgres.dsn), table=table) as store:
        asked = await store.submit(pay())
        await store.decide("pay-1", approve=False, by="bob", fingerprint=asked.request.fingerprint)
    rows = await sql(postgres, f"SELECT id, status, decided_by, fingerprint FROM {table}")
    assert rows == [("pay-1", "denied", "bob", asked.request.fingerprint)]


async def test_a_waiter_sees_a_decision_from_another_connection(
    postgres: TemporaryPostgres, table: str
) -> None:
    async with (
        PostgresApprovalStore(postgres.dsn, table=table, poll_interval=0.01) as agent,
        PostgresApprovalStore(postgres.dsn, table=table) as operator,
    ):
        asked = await agent.submit(pay())
        results = []
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:

                async def waiter() -> None:
                    results.append(await agent.wait("pay-1"))

                nursery.start_soon(waiter)
                fp = asked.request.fingerprint
                await operator.decide("pay-1", approve=True, by="ann", fingerprint=fp, note="ok")
        assert results[0].status is ApprovalStatus.APPROVED
        assert results[0].note == "ok"


async def test_a_lost_connection_is_reopened(postgres: TemporaryPostgres, table: str) -> None:
    async with PostgresApprovalStore(postgres.dsn, table=table) as store:
        await store.submit(pay())
        await sql(
            postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'mxp-agents-approvals'",
        )
        with pytest.raises(ApprovalError, match="cannot read approval 'pay-1'"):
            await store.get("pay-1")
        assert (await store.get("pay-1")).status is ApprovalStatus.PENDING


async def test_errors_never_show_the_password(postgres: TemporaryPostgres) -> None:
    wrong = postgres.dsn.replace(postgres.password, "not-the-Password-42")
    store = PostgresApprovalStore(wrong, table="approvals")
    with pytest.raises(ApprovalError) as raised:
        await store.list()
    message = str(raised.value)
    assert "cannot connect to PostgreSQL at postgres@127.0.0.1" in message
    assert "not-the-Password-42" not in message
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert postgres.password not in repr(PostgresApprovalStore(postgres.dsn))
    url = f"postgresql://postgres:p%40ss@127.0.0.1:{postgres.port}/postgres"
    described = repr(PostgresApprovalStore(url))
    assert "p@ss" not in described
    assert "p%40ss" not in described


async def test_a_foreign_table_is_refused(postgres: TemporaryPostgres, table: str) -> None:
    await sql(postgres, f"CREATE TABLE {table} (id text PRIMARY KEY, payload text)")
    with pytest.raises(ApprovalError, match=rf"table {table} exists but is not an approvals table"):
        await PostgresApprovalStore(postgres.dsn, table=table).list()


async def test_a_damaged_row_is_an_error_naming_it(postgres: TemporaryPostgres, table: str) -> None:
    async with PostgresApprovalStore(postgres.dsn, table=table) as store:
        await store.submit(pay())
        await sql(postgres, f"UPDATE {table} SET request = '{{\"id\": 1}}'")
        with pytest.raises(ApprovalError, match=r"approval row 'pay-1' is damaged"):
            await store.get("pay-1")


def test_bad_options_name_the_option() -> None:
    with pytest.raises(InvalidPolicy, match=r"\$\.table"):
        PostgresApprovalStore("host=127.0.0.1", table="Approvals; DROP TABLE x")
    with pytest.raises(InvalidPolicy, match=r"\$\.statement_timeout"):
        PostgresApprovalStore("host=127.0.0.1", statement_timeout=-1)


async def test_settings_open_the_postgres_store(postgres: TemporaryPostgres, table: str) -> None:
    settings = ApprovalSettings(dsn=Secret(postgres.dsn), table=table)
    store = open_approval_store(settings)
    assert isinstance(store, PostgresApprovalStore)
    async with store:
        assert (await store.submit(pay())).status is ApprovalStatus.PENDING
        assert [r.request.id for r in await store.list(ApprovalStatus.PENDING)] == ["pay-1"]
