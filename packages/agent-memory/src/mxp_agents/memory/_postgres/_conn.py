"""Connecting to PostgreSQL without ever showing the DSN's password, and turning psycopg's
errors into `JournalError`s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

import psycopg
from psycopg import conninfo

from mxp_agents.memory._errors import JournalError
from mxp_agents.primitives import redact_dsn

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Dsn", "connect", "guarded", "raise_journal_error"]

_T = TypeVar("_T")

_APPLICATION_NAME: Final = "mxp-agents-journal"


class Dsn:
    """A connection string kept private: `str` and `repr` show where it points, never its
    password; `redact` removes the password (raw or URL-decoded) from any text."""

    __slots__ = ("_valid", "_value", "where")

    def __init__(self, value: str) -> None:
        self._value = value
        self._valid = True
        self.where = self._describe()

    def redact(self, text: str) -> str:
        """``text`` without the password; for a DSN libpq cannot parse, also without the DSN
        fragments libpq quotes (a stray token may be a password without its keyword)."""
        return redact_dsn(text, self._value, parsable=self._valid)

    def _describe(self) -> str:
        try:
            params = conninfo.conninfo_to_dict(self._value)
        except psycopg.Error:
            self._valid = False
            return "an invalid DSN"
        user = str(params.get("user") or "")
        host = params.get("host") or params.get("hostaddr") or "localhost"
        port = params.get("port") or 5432
        name = params.get("dbname") or user or "default database"
        return self.redact(f"{user + '@' if user else ''}{host}:{port}/{name}")

    def __repr__(self) -> str:
        return f"Dsn({self.where!r})"

    __str__ = __repr__

    def reveal(self) -> str:
        return self._value


def connect(
    dsn: Dsn, *, autocommit: bool, connect_timeout: float
) -> psycopg.Connection[tuple[object, ...]]:
    """Connect with ``dsn``; failures become `JournalError` naming where, never the password."""
    try:
        return psycopg.Connection.connect(
            dsn.reveal(),
            autocommit=autocommit,
            connect_timeout=max(1, round(connect_timeout)),
            application_name=_APPLICATION_NAME,
        )
    except psycopg.Error as error:
        raise_journal_error(dsn, error, f"cannot connect to PostgreSQL at {dsn.where}")


def raise_journal_error(dsn: Dsn, error: BaseException, doing: str) -> NoReturn:
    """Raise `JournalError` for ``error`` (a psycopg or OS error) met while ``doing``.

    Not chained (``from None``): a psycopg exception can carry the connection string, and a
    chained traceback would print it. The message keeps the SQLSTATE and the server's words,
    with the password masked.
    """
    detail = " ".join(str(error).split()) or type(error).__name__
    state = getattr(error, "sqlstate", None)
    code = f" [SQLSTATE {state}]" if isinstance(state, str) else ""
    raise JournalError(dsn.redact(f"{doing}: {detail}{code}")) from None


def guarded(dsn: Dsn, doing: str, call: Callable[[], _T]) -> _T:
    """Run ``call``; a psycopg or OS error becomes `JournalError` (`raise_journal_error`)."""
    try:
        return call()
    except (psycopg.Error, OSError) as error:
        raise_journal_error(dsn, error, doing)
