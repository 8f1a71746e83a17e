"""The SQL of a read: the bounds of a time range and one page of rows, in offset order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from psycopg import sql

if TYPE_CHECKING:
    from mxp_agents.memory._postgres._schema import Table

__all__ = ["PAGE", "bounds_query", "page_query", "query_params"]

PAGE: Final = 500


def bounds_query(
    table: Table, run_id: str | None, since: float | None, until: float | None
) -> sql.Composed:
    """The lowest and highest offset in a time range (through the ts index)."""
    return sql.SQL(
        'SELECT min("offset"), max("offset") FROM {} WHERE {}'
        ' AND "offset" >= %(low)s AND "offset" <= %(high)s'
    ).format(table.sql, _conditions(run_id, since, until))


def page_query(
    table: Table, run_id: str | None, since: float | None, until: float | None
) -> sql.Composed:
    """One page of rows from ``%(low)s`` to ``%(high)s`` inclusive, in offset order."""
    return sql.SQL(
        'SELECT "offset", run_id, ts, channel, record, checksum FROM {} WHERE {}'
        ' AND "offset" >= %(low)s AND "offset" <= %(high)s ORDER BY "offset" LIMIT %(page)s'
    ).format(table.sql, _conditions(run_id, since, until))


def query_params(
    run_id: str | None, since: float | None, until: float | None, low: int, high: int
) -> dict[str, object]:
    """The parameters of `bounds_query` and `page_query`."""
    return {"run": run_id, "since": since, "until": until, "low": low, "high": high, "page": PAGE}


def _conditions(run_id: str | None, since: float | None, until: float | None) -> sql.Composable:
    parts: list[sql.Composable] = []
    if run_id is not None:
        parts.append(sql.SQL("run_id = %(run)s"))
    if since is not None:
        parts.append(sql.SQL("ts >= %(since)s"))
    if until is not None:
        parts.append(sql.SQL("ts < %(until)s"))
    if not parts:
        parts.append(sql.SQL("true"))
    return sql.SQL(" AND ").join(parts)
