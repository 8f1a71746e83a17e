"""The rules every approval store applies, whatever holds the records: which ids and requests
are accepted, what `decide` refuses (and in which order), and when a pending approval counts
as expired. Pure functions over records and a Unix time, so the stores stay thin."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final

import msgspec

from mxp_agents.policy._approval_api import (
    ApprovalRecord,
    ApprovalRequest,
    ApprovalStatus,
    fingerprint,
)
from mxp_agents.policy._decision import DecisionKind
from mxp_agents.policy._errors import ApprovalError, InvalidPolicy

__all__ = [
    "ID_PATTERN",
    "as_of",
    "check_id",
    "check_request",
    "check_status",
    "decided",
    "expired",
    "format_time",
    "positive",
    "resubmitted",
]

ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""Approval ids: 1-128 characters of letters, digits, ``.``, ``_`` and ``-`` (no leading dot),
safe as a file name and in a URL."""


def check_id(approval_id: object) -> str:
    """``approval_id`` if it is a valid id, else `ApprovalError` saying what is allowed.

    Example:
        >>> check_id("appr-01")
        'appr-01'
    """
    if not isinstance(approval_id, str) or not ID_PATTERN.fullmatch(approval_id):
        raise ApprovalError(
            f"invalid approval id {approval_id!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "not starting with '.'"
        )
    return approval_id


def check_request(request: ApprovalRequest) -> None:
    """Refuse a request no store should hold: a bad id, a fingerprint that is not the one of
    its agent and action, blank reason or approvers, a deadline not after ``created``, or an
    ``escalate`` fallback (at the deadline someone must answer allow or deny).

    Example:
        >>> check_request(request)  # doctest: +SKIP
    """
    if not isinstance(request, ApprovalRequest):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ApprovalError(f"expected an ApprovalRequest, got {type(request).__name__}")
    where = f"approval {request.id!r}"
    check_id(request.id)
    expected = fingerprint(request.agent_id, request.action)
    if request.fingerprint != expected:
        raise ApprovalError(
            f"{where}: fingerprint {request.fingerprint[:16]!r}... is not the fingerprint of "
            f"its agent and action ({expected[:16]}...); build it with fingerprint(agent_id, "
            "action)"
        )
    if not request.reason.strip():
        raise ApprovalError(f"{where}: reason must not be blank")
    for index, approver in enumerate(request.approvers):
        if not approver.strip():
            raise ApprovalError(f"{where}: approvers[{index}] must not be blank")
    for name, value in (("created", request.created), ("deadline", request.deadline)):
        if not math.isfinite(value):
            raise ApprovalError(f"{where}: {name} must be a finite Unix time, got {value}")
    if request.deadline <= request.created:
        raise ApprovalError(
            f"{where}: deadline ({format_time(request.deadline)}) must be after created "
            f"({format_time(request.created)})"
        )
    if request.fallback is DecisionKind.ESCALATE:
        raise ApprovalError(f"{where}: fallback must be allow or deny, not escalate")


def resubmitted(stored: ApprovalRecord, request: ApprovalRequest) -> ApprovalRecord:
    """``stored`` if it holds ``request`` (submitting again is idempotent), else `ApprovalError`:
    its id is taken by another request.

    Example:
        >>> resubmitted(stored, stored.request) is stored  # doctest: +SKIP
        True
    """
    if stored.request != request:
        raise ApprovalError(
            f"approval {request.id!r} already exists for another request "
            f"({stored.request.action.label} by agent {stored.request.agent_id})"
        )
    return stored


def as_of(record: ApprovalRecord, now: float) -> ApprovalRecord:
    """The record as it stands at ``now``: a pending approval whose deadline has passed is
    `EXPIRED` (decided at its deadline, by nobody), whether or not a store recorded it yet.

    Example:
        >>> as_of(pending, now=pending.request.deadline).status  # doctest: +SKIP
        <ApprovalStatus.EXPIRED: 'expired'>
    """
    if record.status is ApprovalStatus.PENDING and now >= record.request.deadline:
        return expired(record)
    return record


def expired(record: ApprovalRecord) -> ApprovalRecord:
    """``record`` marked `EXPIRED` at its deadline.

    Example:
        >>> expired(pending).decided_at == pending.request.deadline  # doctest: +SKIP
        True
    """
    return msgspec.structs.replace(
        record, status=ApprovalStatus.EXPIRED, decided_at=record.request.deadline
    )


def decided(
    record: ApprovalRecord,
    *,
    approve: bool,
    by: str,
    fingerprint: str,
    note: str | None,
    now: float,
) -> ApprovalRecord:
    """``record`` approved or denied by ``by`` at ``now``, or `ApprovalError` saying why not,
    checked in this order: the approver's name, the fingerprint, expired, already decided,
    the approvers list. Stores pass ``as_of(stored, now)`` and store that expiry first, so an
    approval refused as expired is recorded `EXPIRED`; no other refusal changes anything.

    Example:
        >>> decided(old, approve=True, by="al", fingerprint=fp, note=None, now=t)  # doctest: +SKIP
        ApprovalRecord(..., status=<ApprovalStatus.APPROVED: 'approved'>, decided_by='al', ...)
    """
    request = record.request
    where = f"approval {request.id!r} ({request.action.label})"
    if not isinstance(by, str) or not by.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ApprovalError(f"{where}: the approver's name must not be blank")
    if fingerprint != request.fingerprint:
        raise ApprovalError(
            f"{where} is for a different call: its fingerprint is {request.fingerprint}, "
            f"not {fingerprint}"
        )
    current = as_of(record, now)
    if current.status is ApprovalStatus.EXPIRED:
        raise ApprovalError(
            f"{where} expired at {format_time(request.deadline)}; the {request.fallback} "
            "fallback applies"
        )
    if current.status is not ApprovalStatus.PENDING:
        at = format_time(current.decided_at) if current.decided_at is not None else "?"
        raise ApprovalError(f"{where} was already {current.status} by {current.decided_by} at {at}")
    if request.approvers and by not in request.approvers:
        raise ApprovalError(
            f"{where}: {by!r} may not decide it; its approvers are {', '.join(request.approvers)}"
        )
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DENIED
    return msgspec.structs.replace(record, status=status, decided_by=by, decided_at=now, note=note)


def format_time(seconds: float) -> str:
    """A Unix time as ISO 8601 UTC to the second, for messages and tables.

    Example:
        >>> format_time(1_700_000_000.25)
        '2023-11-14T22:13:20Z'
    """
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_status(status: object) -> ApprovalStatus | None:
    """``status`` as an `ApprovalStatus` (its value is accepted too), or `InvalidPolicy`.

    Example:
        >>> check_status("pending")
        <ApprovalStatus.PENDING: 'pending'>
    """
    if status is None or isinstance(status, ApprovalStatus):
        return status
    try:
        return ApprovalStatus(status)
    except ValueError:
        known = ", ".join(member.value for member in ApprovalStatus)
        raise InvalidPolicy(
            f"unknown approval status {status!r}; use one of {known}", "$.status"
        ) from None


def positive(value: float, name: str) -> float:
    """``value`` if it is a finite number > 0, else `InvalidPolicy` at ``$.<name>``.

    Example:
        >>> positive(0.5, "poll_interval")
        0.5
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise InvalidPolicy(f"expected a finite number of seconds, got {value!r}", f"$.{name}")
    if value <= 0:
        raise InvalidPolicy(f"must be > 0 seconds, got {value!r}", f"$.{name}")
    return float(value)
