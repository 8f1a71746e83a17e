"""Durable approval stores: `FileApprovalStore` (embedded, one file per approval, shared by
processes on one machine) and `PostgresApprovalStore` (extra ``postgres``, shared by many),
with `ApprovalSettings` / `open_approval_store` for the ``[approvals]`` config section.
`PostgresApprovalStore` is imported on first use (it needs psycopg)."""

from typing import TYPE_CHECKING, Any

from mxp_agents.policy._approvals._file import FileApprovalStore
from mxp_agents.policy._approvals._settings import (
    ApprovalSettings,
    default_approval_directory,
    open_approval_store,
)

if TYPE_CHECKING:
    from mxp_agents.policy._approvals._postgres import PostgresApprovalStore

__all__ = [
    "ApprovalSettings",
    "FileApprovalStore",
    "PostgresApprovalStore",
    "default_approval_directory",
    "open_approval_store",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresApprovalStore":
        from mxp_agents.policy._approvals._postgres import PostgresApprovalStore

        return PostgresApprovalStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
