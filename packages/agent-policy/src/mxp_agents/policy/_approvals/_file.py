"""`FileApprovalStore`: the embedded approval store, one JSON file per approval in a directory
that the waiting agent and the deciding CLI share across processes and restarts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Self

import trio

from mxp_agents.policy._approval_api import ApprovalRecord, ApprovalRequest, ApprovalStatus
from mxp_agents.policy._approvals._file_io import ApprovalFiles
from mxp_agents.policy._approvals._rules import (
    as_of,
    check_id,
    check_request,
    check_status,
    decided,
    positive,
    resubmitted,
)
from mxp_agents.policy._approvals._waiting import wait_until_decided
from mxp_agents.policy._errors import ApprovalError
from mxp_agents.primitives import Clock, SystemClock

if TYPE_CHECKING:
    import os
    from types import TracebackType

__all__ = ["FileApprovalStore"]


class FileApprovalStore:
    """An `ApprovalStore` in a directory: ``<id>.json`` per approval (msgspec JSON), written
    atomically; decisions under an exclusive ``flock`` so two deciders never both win, in one
    process or many; `wait` re-reads the file every ``poll_interval`` seconds until it is
    decided or its deadline passes (then records `EXPIRED`). A new store on the same
    directory, in this process or another, after a restart, sees every approval.

    Times come from ``clock`` (wall time, Unix seconds). The directory is created on first
    write; files are group-readable (mode 0o660 minus the umask). Blocking file work runs in
    a worker thread.

    Example:
        >>> store = FileApprovalStore("/var/lib/agent/approvals")
        >>> record = await store.submit(request)  # doctest: +SKIP
        >>> record = await store.wait(request.id)  # doctest: +SKIP
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        clock: Clock | None = None,
        poll_interval: float = 0.05,
        lock_timeout: float = 10.0,
    ) -> None:
        self._files = ApprovalFiles(
            Path(directory), lock_timeout=positive(lock_timeout, "lock_timeout")
        )
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._poll = positive(poll_interval, "poll_interval")

    @property
    def directory(self) -> Path:
        """Where the approval files live.

        Example:
            >>> FileApprovalStore("approvals").directory
            PosixPath('approvals')
        """
        return self._files.directory

    def _now(self) -> float:
        return self._clock.now().timestamp()

    async def submit(self, request: ApprovalRequest) -> ApprovalRecord:
        """Store ``request`` as pending; the same request again returns its stored record,
        another request under a stored id is an `ApprovalError`.

        Example:
            >>> (await store.submit(request)).status  # doctest: +SKIP
            <ApprovalStatus.PENDING: 'pending'>
        """
        check_request(request)
        return await trio.to_thread.run_sync(self._submit, request)

    def _submit(self, request: ApprovalRequest) -> ApprovalRecord:
        with self._files.locked():
            stored = self._files.read(request.id)
            if stored is None:
                record = ApprovalRecord(request=request)
                self._files.write(record)
                return as_of(record, self._now())
        return as_of(resubmitted(stored, request), self._now())

    async def get(self, approval_id: str) -> ApprovalRecord:
        """The approval as it stands now (`EXPIRED` once its deadline passed).

        Example:
            >>> (await store.get("appr-1")).request.reason  # doctest: +SKIP
            'payments over 100 need finance'
        """
        return as_of(await self._read(approval_id), self._now())

    async def _read(self, approval_id: str) -> ApprovalRecord:
        check_id(approval_id)
        record = await trio.to_thread.run_sync(self._files.read, approval_id)
        if record is None:
            raise ApprovalError(f"no approval {approval_id!r} in {self.directory}")
        return record

    async def decide(
        self,
        approval_id: str,
        *,
        approve: bool,
        by: str,
        fingerprint: str,
        note: str | None = None,
    ) -> ApprovalRecord:
        """Approve or deny a pending approval bound to ``fingerprint`` (see `ApprovalStore`).

        Example:
            >>> await store.decide("a-1", approve=True, by="al", fingerprint=fp)  # doctest: +SKIP
        """
        check_id(approval_id)

        def run() -> ApprovalRecord:
            with self._files.locked():
                stored = self._files.read(approval_id)
                if stored is None:
                    raise ApprovalError(f"no approval {approval_id!r} in {self.directory}")
                now = self._now()
                current = as_of(stored, now)
                if current is not stored:
                    self._files.write(current)  # the expiry is recorded even when refused
                outcome = decided(
                    current, approve=approve, by=by, fingerprint=fingerprint, note=note, now=now
                )
                self._files.write(outcome)
                return outcome

        return await trio.to_thread.run_sync(run)

    async def wait(self, approval_id: str) -> ApprovalRecord:
        """The record once decided, or `EXPIRED` (recorded) at its deadline; cancel to stop
        waiting earlier.

        Example:
            >>> with trio.move_on_after(600):  # doctest: +SKIP
            ...     record = await store.wait("appr-1")
        """
        return await wait_until_decided(
            lambda: self._read(approval_id),
            lambda: trio.to_thread.run_sync(self._expire, approval_id),
            now=self._now,
            poll=self._poll,
        )

    def _expire(self, approval_id: str) -> ApprovalRecord:
        with self._files.locked():
            stored = self._files.read(approval_id)
            if stored is None:
                raise ApprovalError(f"approval {approval_id!r} vanished from {self.directory}")
            current = as_of(stored, self._now())
            if current is not stored:
                self._files.write(current)
            return current

    async def aclose(self) -> None:
        """Nothing to release (no file stays open); for symmetry with other stores."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"FileApprovalStore({str(self.directory)!r})"

    async def list(self, status: ApprovalStatus | None = None) -> list[ApprovalRecord]:
        """Approvals as they stand now, oldest first (by created, then id), optionally only
        those with ``status``.

        Example:
            >>> [r.request.id for r in await store.list(ApprovalStatus.PENDING)]  # doctest: +SKIP
            ['appr-1']
        """
        wanted = check_status(status)
        stored = await trio.to_thread.run_sync(self._files.read_all)
        now = self._now()
        records = [as_of(record, now) for record in stored]
        records.sort(key=lambda record: (record.request.created, record.request.id))
        return [record for record in records if wanted is None or record.status is wanted]
