"""How ``mxp-agents approvals`` prints approvals: a table, one record in full, a decision, or
JSON (the stored records, exactly)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import msgspec

from mxp_agents.cli._output import stdout_console

if TYPE_CHECKING:
    from mxp_agents.policy import ApprovalRecord

__all__ = ["render_decision", "render_list", "render_record"]

_SHORT_FINGERPRINT = 12
_COLUMNS = ("ID", "STATUS", "AGENT", "ACTION", "REASON", "APPROVERS", "DEADLINE", "FINGERPRINT")


def render_list(records: list[ApprovalRecord], *, as_json: bool) -> None:
    """Print ``records`` as a table (or a JSON array).

    Example:
        >>> render_list([], as_json=True)
        []
    """
    console = stdout_console()
    if as_json:
        console.print(msgspec.json.encode(records).decode(), markup=False, soft_wrap=True)
        return
    if not records:
        console.print("no approvals")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in _COLUMNS:
        table.add_column(column, overflow="fold")
    for record in records:
        request = record.request
        cells = (
            request.id,
            _status(record),
            request.agent_id,
            request.action.label,
            request.reason,
            ", ".join(request.approvers) or "(anyone)",
            _when(request.deadline),
            request.fingerprint[:_SHORT_FINGERPRINT],
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: no markup in stored values
    console.print(table)


def render_record(record: ApprovalRecord, *, as_json: bool) -> None:
    """Print one approval in full: the exact action, its fingerprint, the decision if any.

    Example:
        >>> render_record(record, as_json=False)  # doctest: +SKIP
    """
    console = stdout_console()
    if as_json:
        console.print(msgspec.json.encode(record).decode(), markup=False, soft_wrap=True)
        return
    request = record.request
    action = msgspec.json.encode(request.action, order="sorted").decode()
    rows = [
        ("id", request.id),
        ("status", _status(record)),
        ("agent", request.agent_id),
        ("run", request.run_id or "-"),
        ("action", request.action.label),
        ("call", action),
        ("reason", request.reason),
        ("approvers", ", ".join(request.approvers) or "(anyone)"),
        ("created", _when(request.created)),
        ("deadline", _when(request.deadline)),
        ("fallback", f"{request.fallback} at the deadline"),
        ("fingerprint", request.fingerprint),
    ]
    if record.decided_at is not None:
        rows.append(("decided", f"by {record.decided_by or '-'} at {_when(record.decided_at)}"))
    if record.note is not None:
        rows.append(("note", record.note))
    for key, value in rows:
        console.print(f"{key:<12} {value}", markup=False, soft_wrap=True)


def render_decision(record: ApprovalRecord) -> None:
    """Print what was decided: ``approved pay-1 (tool `pay`) by finance``.

    Example:
        >>> render_decision(record)  # doctest: +SKIP
        approved pay-1 (tool `pay`) by finance
    """
    request = record.request
    line = f"{record.status} {request.id} ({request.action.label}) by {record.decided_by}"
    stdout_console().print(line, markup=False, soft_wrap=True)


def _status(record: ApprovalRecord) -> str:
    if record.status == "pending":
        return "pending"
    return f"{record.status} ({record.decided_by})" if record.decided_by else str(record.status)


def _when(seconds: float) -> str:
    from mxp_agents.policy._approvals._rules import format_time

    left = seconds - time.time()
    if abs(left) < 1:
        return f"{format_time(seconds)} (now)"
    span = _span(abs(left))
    return f"{format_time(seconds)} ({'in ' + span if left > 0 else span + ' ago'})"


def _span(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
