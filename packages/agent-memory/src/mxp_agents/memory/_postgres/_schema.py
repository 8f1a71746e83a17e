"""The journal table: its name rules, its DDL, the shape check and the SQL the journal runs."""

from __future__ import annotations

import re
from typing import Final, LiteralString

import psycopg
import xxhash
from psycopg import sql

from mxp_agents.memory._errors import InvalidRecord, JournalError

__all__ = ["SCHEMA_VERSION", "Table", "check_table_name"]

SCHEMA_VERSION: Final = 1
_MARK: Final = "mxp-agents journal, schema "
_NAME: Final = re.compile(r"[a-z_][a-z0-9_]*")
_MAX_NAME: Final = 48  # leaves room for the index suffixes within PostgreSQL's 63 bytes

# name, type as format_type() writes it, NOT NULL
_COLUMNS: Final[tuple[tuple[LiteralString, LiteralString, bool], ...]] = (
    ("offset", "bigint", True),
    ("run_id", "text", False),
    ("ts", "double precision", True),
    ("channel", "text", True),
    ("record", "bytea", True),
    ("checksum", "bigint", True),
)


def check_table_name(table: object) -> str:
    """``table`` if it is a safe, unquoted PostgreSQL identifier, else `InvalidRecord`."""
    if not isinstance(table, str):
        raise InvalidRecord(f"table must be a str, got {type(table).__name__}", "$.table")
    if not _NAME.fullmatch(table) or len(table) > _MAX_NAME:
        raise InvalidRecord(
            f"table must be 1-{_MAX_NAME} characters of a-z, 0-9 and _ (not starting with a "
            f"digit), got {table!r}",
            "$.table",
        )
    return table


class Table:
    """One journal table, fully qualified with the schema it lives in."""

    __slots__ = ("label", "lock_key", "name", "schema", "sql")

    def __init__(self, schema: str, name: str) -> None:
        self.schema = schema
        self.name = name
        self.label = name if schema == "public" else f"{schema}.{name}"
        self.sql = sql.Identifier(schema, name)
        digest = xxhash.xxh3_64_intdigest(f"mxp-agents-journal:{schema}.{name}".encode())
        self.lock_key = digest - (1 << 64) if digest >= 1 << 63 else digest

    def lock_holder_query(self) -> tuple[sql.SQL, tuple[int, int]]:
        """SQL naming the backend that holds this table's writer lock (pid, application)."""
        unsigned = self.lock_key & 0xFFFF_FFFF_FFFF_FFFF
        query = sql.SQL(
            "SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local')"
            " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.database = ("
            "SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 1"
        )
        return query, (unsigned >> 32, unsigned & 0xFFFF_FFFF)

    def ensure(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        """Create the table and its indexes if missing, or refuse one of another shape.

        Blocking; run it holding the writer lock, inside the caller's transaction.
        """
        row = conn.execute(
            "SELECT c.oid, obj_description(c.oid, 'pg_class'), c.relkind FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
            " AND c.relname = %s",
            (self.schema, self.name),
        ).fetchone()
        if row is None:
            self._create(conn)
            return
        oid, comment, kind = row
        if kind not in ("r", "p"):
            raise JournalError(f"{self.label!r} exists and is not a table (relkind {kind!r})")
        self._check_version(comment)
        self._check_shape(conn, oid)
        self._create_indexes(conn)

    def _create(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}{}").format(
                sql.Identifier(name),
                sql.SQL(kind),
                sql.SQL(" PRIMARY KEY" if name == "offset" else (" NOT NULL" if not_null else "")),
            )
            for name, kind, not_null in _COLUMNS
        )
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(self.sql, columns))
        conn.execute(
            sql.SQL("COMMENT ON TABLE {} IS {}").format(
                self.sql, sql.Literal(f"{_MARK}{SCHEMA_VERSION}")
            )
        )
        self._create_indexes(conn)

    def _create_indexes(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        for suffix, columns in (("run_idx", ("run_id", "offset")), ("ts_idx", ("ts",))):
            conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(f"{self.name}_{suffix}"),
                    self.sql,
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                )
            )

    def _check_version(self, comment: object) -> None:
        if not isinstance(comment, str) or not comment.startswith(_MARK):
            return  # made by hand or by a migration tool: the shape check decides
        version = comment.removeprefix(_MARK)
        if version != str(SCHEMA_VERSION):
            raise JournalError(
                f"table {self.label!r} holds journal schema {version}; this mxp-agents-memory "
                f"reads schema {SCHEMA_VERSION} (upgrade the package, or use another table)"
            )

    def _check_shape(self, conn: psycopg.Connection[tuple[object, ...]], oid: object) -> None:
        found = conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute"
            " WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (oid,),
        ).fetchall()
        primary = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s AND i.indisprimary",
            (oid,),
        ).fetchall()
        if [tuple(r) for r in found] == list(_COLUMNS) and [r[0] for r in primary] == ["offset"]:
            return
        expected = ", ".join(_describe(c) for c in _COLUMNS)
        actual = ", ".join(_describe((str(n), str(k), bool(nn))) for n, k, nn in found)
        raise JournalError(
            f"table {self.label!r} exists but is not an mxp-agents journal: expected columns "
            f"({expected}) with primary key (offset), found ({actual}) with primary key "
            f"({', '.join(str(r[0]) for r in primary)}); choose another table name"
        )


def _describe(column: tuple[str, str, bool]) -> str:
    name, kind, not_null = column
    return f"{name} {kind}{' not null' if not_null else ''}"
