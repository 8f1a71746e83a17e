"""``mxp-agents approvals list|show|approve|deny``: decide the escalated actions agents wait on.

The store is the one agents use: ``--store DIR`` (the file store) or ``--dsn`` (PostgreSQL),
else the ``[approvals]`` section of ``--config FILE`` and ``MXP_AGENTS_APPROVALS__*``
variables, else the default directory (``$XDG_STATE_HOME/mxp-agents/approvals``). ``approve``
and ``deny`` bind the decision to the fingerprint of the call that was escalated, as ``show``
prints it; ``--fingerprint`` makes the command refuse unless that is still the call you saw.

Exit status: 0 done, 1 refused or failed (unknown id, decided, expired, not an approver,
another call, store unreachable), 2 bad options or configuration.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import TYPE_CHECKING, Final, ParamSpec, TypeVar

from cyclopts import App, Parameter

from mxp_agents.cli._errors import CliError, CommandFailed, UsageError
from mxp_agents.cli._output import error_console

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from mxp_agents.policy import ApprovalRecord, ApprovalStatus, ApprovalStore
    from mxp_agents.policy._approvals import ApprovalSettings

__all__ = ["StoreOptions", "approvals"]

P = ParamSpec("P")
T = TypeVar("T")
_MIN_PREFIX: Final = 8

approvals: Final = App(
    name="approvals",
    help="List, show, approve and deny the escalated actions agents wait on.",
    help_format="plaintext",
)


@Parameter(name="*")
@dataclasses.dataclass(frozen=True)
class StoreOptions:
    """Where the approvals live (default: the [approvals] configuration)."""

    store: str | None = None
    """File store directory [default: [approvals] store, else the state directory]."""
    dsn: str | None = None
    """PostgreSQL connection string (safer: MXP_AGENTS_APPROVALS__DSN; others see arguments)."""
    table: str | None = None
    """PostgreSQL table [default: [approvals] table, else mxp_approvals]."""
    config: str | None = None
    """A TOML file with an [approvals] section."""


def _guarded(function: Callable[P, int]) -> Callable[P, int]:
    """Print a `CliError` as ``error: ...`` on stderr and return its exit status."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return function(*args, **kwargs)
        except CliError as error:
            from rich.markup import escape

            error_console().print(f"[bold red]error:[/] {escape(str(error))}")
            return error.exit_code

    return run


@approvals.command(name="list")
@_guarded
def _list(
    *,
    status: str | None = None,
    json: bool = False,
    where: StoreOptions = StoreOptions(),
) -> int:
    """List approvals, oldest first, with their status, action, reason and deadline.

    Parameters
    ----------
    status
        Only these: pending, approved, denied or expired.
    json
        Print the records as JSON.
    """
    from mxp_agents.cli._approvals_view import render_list

    wanted = _status(status)
    records = _with_store(where, lambda store: store.list(wanted))
    render_list(records, as_json=json)
    return 0


@approvals.command(name="show")
@_guarded
def _show(
    approval_id: str,
    /,
    *,
    json: bool = False,
    where: StoreOptions = StoreOptions(),
) -> int:
    """Show one approval: the exact call (tool, arguments), why, who may decide, its fingerprint.

    Parameters
    ----------
    approval_id
        The approval's id (see `approvals list`).
    json
        Print the record as JSON.
    """
    from mxp_agents.cli._approvals_view import render_record

    render_record(_with_store(where, lambda store: store.get(approval_id)), as_json=json)
    return 0


def _decision_command(approve: bool, summary: str) -> Callable[..., int]:
    """The ``approve`` (``approve=True``) or ``deny`` command, documented by ``summary``."""

    def command(
        approval_id: str,
        /,
        *,
        by: str,
        note: str | None = None,
        fingerprint: str | None = None,
        where: StoreOptions = StoreOptions(),
    ) -> int:
        return _decide(approval_id, approve, by, note, fingerprint, where)

    command.__doc__ = f"""{summary}

    Parameters
    ----------
    approval_id
        The approval's id.
    by
        Your name, as the approval's approvers list it.
    note
        Why (kept with the decision).
    fingerprint
        The fingerprint `approvals show` printed (or its first 8+ characters): refuse if the
        call differs.
    """
    return _guarded(command)


approvals.command(
    _decision_command(True, "Approve a pending approval: the agent's call runs, exactly as shown."),
    name="approve",
)
approvals.command(
    _decision_command(False, "Deny a pending approval: the agent takes its deny path."),
    name="deny",
)


def _decide(
    approval_id: str,
    approve: bool,
    by: str,
    note: str | None,
    seen: str | None,
    where: StoreOptions,
) -> int:
    from mxp_agents.cli._approvals_view import render_decision

    if seen is not None and (len(seen) < _MIN_PREFIX or len(seen) > 64):
        raise UsageError(f"--fingerprint must be 8 to 64 hex characters, got {len(seen)}")

    async def decide(store: ApprovalStore) -> ApprovalRecord:
        stored = (await store.get(approval_id)).request
        if seen is not None and not stored.fingerprint.startswith(seen.lower()):
            raise CommandFailed(
                f"approval {approval_id!r} ({stored.action.label}) is for a different call: its "
                f"fingerprint is {stored.fingerprint}, not {seen}; run `approvals show` again"
            )
        return await store.decide(
            approval_id, approve=approve, by=by, fingerprint=stored.fingerprint, note=note
        )

    render_decision(_with_store(where, decide))
    return 0


def _status(value: str | None) -> ApprovalStatus | None:
    from mxp_agents.policy import ApprovalStatus

    if value is None:
        return None
    try:
        return ApprovalStatus(value.lower())
    except ValueError:
        known = ", ".join(member.value for member in ApprovalStatus)
        raise UsageError(f"--status must be one of {known}, got {value!r}") from None


def _settings(where: StoreOptions) -> ApprovalSettings:
    import msgspec

    from mxp_agents.config import ConfigError, Secret, load_section
    from mxp_agents.policy._approvals import ApprovalSettings

    if where.store is not None and where.dsn is not None:
        raise UsageError("give --store (a directory) or --dsn (PostgreSQL), not both")
    try:
        settings = load_section(ApprovalSettings, "approvals", file=where.config, env=os.environ)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    if where.store is not None:
        settings = msgspec.structs.replace(settings, store=where.store, dsn=None)
    if where.dsn is not None:
        settings = msgspec.structs.replace(settings, dsn=Secret(where.dsn))
    if where.table is not None:
        settings = msgspec.structs.replace(settings, table=where.table)
    return settings


def _with_store(where: StoreOptions, work: Callable[[ApprovalStore], Awaitable[T]]) -> T:
    """Open the store ``where`` names, run ``work`` on it under trio, close it; policy errors
    become CLI errors (a refused decision: 1, a bad option: 2)."""
    import trio

    from mxp_agents.policy import ApprovalError, InvalidPolicy
    from mxp_agents.policy._approvals import open_approval_store

    settings = _settings(where)

    async def main() -> T:
        async with open_approval_store(settings) as store:
            return await work(store)

    try:
        return trio.run(main)
    except InvalidPolicy as error:
        raise UsageError(str(error)) from None
    except ApprovalError as error:
        raise CommandFailed(str(error)) from None
    except ImportError as error:
        raise CommandFailed(
            f"{error}; PostgreSQL approvals need: pip install 'mxp-agents-policy[postgres]'"
        ) from None
