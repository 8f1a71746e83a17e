"""`ApprovalSettings`: where approvals live, as the ``[approvals]`` config section, and
`open_approval_store` to open that store (the agent that waits and the CLI that decides read
the same settings, so they meet in the same place)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.config import Secret

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mxp_agents.policy._approvals._file import FileApprovalStore
    from mxp_agents.policy._approvals._postgres import PostgresApprovalStore
    from mxp_agents.primitives import Clock

__all__ = ["ApprovalSettings", "default_approval_directory", "open_approval_store"]


class ApprovalSettings(msgspec.Struct, frozen=True, kw_only=True):
    """The ``[approvals]`` section: ``store``, the directory of the file store (default
    `default_approval_directory`), or ``dsn`` (a `Secret`) for PostgreSQL with its ``table``;
    a ``dsn`` wins over ``store``. From the environment: ``MXP_AGENTS_APPROVALS__STORE``,
    ``MXP_AGENTS_APPROVALS__DSN``, ``MXP_AGENTS_APPROVALS__TABLE``.

    Example:
        >>> from mxp_agents.config import load_section
        >>> env = {"MXP_AGENTS_APPROVALS__STORE": "/srv/approvals"}
        >>> load_section(ApprovalSettings, "approvals", env=env).store
        '/srv/approvals'
    """

    store: str | None = None
    dsn: Secret | None = None
    table: str = "mxp_approvals"


def default_approval_directory(env: Mapping[str, str] | None = None) -> Path:
    """Where the file store lives when nothing says otherwise: ``$XDG_STATE_HOME`` (default
    ``~/.local/state``) ``/mxp-agents/approvals``.

    Example:
        >>> str(default_approval_directory({"XDG_STATE_HOME": "/state"}))
        '/state/mxp-agents/approvals'
    """
    values = os.environ if env is None else env
    state = values.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "mxp-agents" / "approvals"


def open_approval_store(
    settings: ApprovalSettings | None = None, *, clock: Clock | None = None
) -> FileApprovalStore | PostgresApprovalStore:
    """The store ``settings`` describe: PostgreSQL when a ``dsn`` is set (needs the
    ``postgres`` extra), else the file store in ``store`` or the default directory.

    Example:
        >>> open_approval_store(ApprovalSettings(store="/srv/approvals"))
        FileApprovalStore('/srv/approvals')
    """
    chosen = settings if settings is not None else ApprovalSettings()
    if chosen.dsn is not None:
        from mxp_agents.policy._approvals._postgres import PostgresApprovalStore

        return PostgresApprovalStore(chosen.dsn, table=chosen.table, clock=clock)
    from mxp_agents.policy._approvals._file import FileApprovalStore

    directory = chosen.store if chosen.store else default_approval_directory()
    return FileApprovalStore(Path(directory).expanduser(), clock=clock)
