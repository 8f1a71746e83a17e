"""The Journal conformance suite against PostgresJournal on a real, temporary PostgreSQL."""

import uuid
from collections.abc import Iterator

import pytest

from mxp_agents.memory import Durability, PostgresJournal
from mxp_agents.memory.testing import TemporaryPostgres, journal_check_names, run_journal_check


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    # No skip when PostgreSQL is missing: TemporaryPostgres raises, saying how to install it.
    # fsync off: the suite checks behaviour, not power-loss safety, and ALWAYS's 1,000
    # one-append commits would otherwise wait for the disk each time (test_memory_postgres.py
    # runs its server with fsync on).
    with TemporaryPostgres(fsync=False) as server:
        yield server


@pytest.mark.parametrize("durability", list(Durability))
@pytest.mark.parametrize("name", journal_check_names())
async def test_journal_conformance(
    name: str, durability: Durability, postgres: TemporaryPostgres
) -> None:
    table = f"conformance_{uuid.uuid4().hex[:12]}"
    await run_journal_check(
        name,
        lambda: PostgresJournal.opened(postgres.dsn, table=table, durability=durability),
    )
