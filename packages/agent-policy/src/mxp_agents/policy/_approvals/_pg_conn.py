"""PostgreSQL connections for `PostgresApprovalStore` that never show the DSN's password:
`Dsn` describes where it points, and psycopg's errors become `ApprovalError`s with the
password masked and the exception not chained (psycopg exceptions can carry the DSN)."""

from __future__ import annotations

from typing import Final, NoReturn

import psycopg
from psycopg import conninfo

from mxp_agents.config import Secret
from mxp_agents.policy._errors import ApprovalError
from mxp_agents.primitives import redact_dsn

__all__ = ["Dsn", "Row", "connect", "raise_approval_error"]

Row = tuple[object, ...]
_APPLICATION_NAME: Final = "mxp-agents-approvals"


class Dsn:
    """A libpq connection string (or URI) kept private: `str` and `repr` name the user, host,
    port and database, never the password; `redact` masks the password in any text.

    Example:
        >>> Dsn("host=db user=ops password=s3cret dbname=gov").where
        'ops@db:5432/gov'
    """

    __slots__ = ("_valid", "_value", "where")

    def __init__(self, value: str | Secret) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else value
        self._valid = True
        self.where = self._describe()

    def redact(self, text: str) -> str:
        """``text`` with every form of the password masked (`redact_dsn`); for a DSN libpq
        cannot parse, also without the DSN fragments libpq quotes.

        Example:
            >>> Dsn("postgresql://ops:s3cret@db/gov").redact("auth failed for s3cret")
            'auth failed for **********'
        """
        return redact_dsn(text, self._value, parsable=self._valid)

    def reveal(self) -> str:
        """The connection string itself, for libpq only."""
        return self._value

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


def connect(
    dsn: Dsn, *, connect_timeout: float, statement_timeout: float
) -> psycopg.Connection[Row]:
    """An autocommit connection whose statements and row locks time out after
    ``statement_timeout`` seconds; failures are `ApprovalError`s naming where, never the
    password.

    Example:
        >>> conn = connect(Dsn(dsn), connect_timeout=10, statement_timeout=30)  # doctest: +SKIP
    """
    millis = max(1, round(statement_timeout * 1000))
    try:
        return psycopg.Connection.connect(
            dsn.reveal(),
            autocommit=True,
            connect_timeout=max(1, round(connect_timeout)),
            application_name=_APPLICATION_NAME,
            options=f"-c statement_timeout={millis} -c lock_timeout={millis}",
        )
    except psycopg.Error as error:
        raise_approval_error(dsn, error, f"cannot connect to PostgreSQL at {dsn.where}")


def raise_approval_error(dsn: Dsn, error: BaseException, doing: str) -> NoReturn:
    """Raise `ApprovalError` for ``error`` (a psycopg or OS error) met while ``doing``: the
    server's words and SQLSTATE, the password masked, not chained.

    Example:
        >>> raise_approval_error(Dsn(dsn), error, "cannot decide")  # doctest: +SKIP
    """
    detail = " ".join(str(error).split()) or type(error).__name__
    state = getattr(error, "sqlstate", None)
    code = f" [SQLSTATE {state}]" if isinstance(state, str) else ""
    raise ApprovalError(dsn.redact(f"{doing}: {detail}{code}")) from None
